// Command models is the Lambda function behind GET /v1/models and GET /healthz
// (see shared/catalog).
//
// Every function is built by shared/bundle from the environment (docs/infra.md).
package main

import "github.com/contentml/mlbundle/shared/bundle"

func main() { bundle.Main(bundle.Models) }
