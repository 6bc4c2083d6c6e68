// Command classify is the Lambda function behind POST /v1/classify (see
// shared/classify). It loads the active classifier at init.
//
// Every function is built by shared/bundle from the environment (docs/infra.md).
package main

import "github.com/contentml/mlbundle/shared/bundle"

func main() { bundle.Main(bundle.Classify) }
