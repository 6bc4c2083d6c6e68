// Command ingest is the Lambda function behind POST /v1/interactions: it stores
// a batch of interactions, so that the next recommend call of those users already
// excludes the items (see shared/interactions).
//
// Every function is built by shared/bundle from the environment (docs/infra.md).
package main

import "github.com/contentml/mlbundle/shared/bundle"

func main() { bundle.Main(bundle.Ingest) }
