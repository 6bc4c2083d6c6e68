// Command reload is the Lambda function that verifies a checkpoint announced by an
// S3 ObjectCreated event (directly or through SQS) and promotes it (see
// shared/reload).
//
// Every function is built by shared/bundle from the environment (docs/infra.md).
package main

import "github.com/contentml/mlbundle/shared/bundle"

func main() { bundle.Main(bundle.Reload) }
