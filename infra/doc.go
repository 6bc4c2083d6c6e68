// Command infra is the AWS CDK app that deploys mlbundle: the checkpoint bucket and the
// DynamoDB tables (package storage), the Lambda functions behind the HTTP API with the
// ONNX Runtime layer, the checkpoint reload trigger and the alarms (package serving), and
// the GPU batch training with its schedule (package training).
//
// cdk.json at the repository root runs it with `go run ./infra`. Settings come from the
// CDK context (cdk.json or `-c key=value`); see docs/infra.md. The stacks are environment
// agnostic, so `cdk synth` needs no AWS account.
package main
