// Package serving provides the stateless part of mlbundle: one Go Lambda function per
// entry point under functions/ on provided.al2023, the ONNX Runtime layer, the HTTP API
// with its JWT authorizer and throttling, the S3 trigger that reloads a new checkpoint,
// and the alarms. Table and bucket names reach the functions as environment variables.
package serving
