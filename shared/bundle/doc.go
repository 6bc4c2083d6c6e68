// Package bundle is the one wiring of the ML bundle: from a Config it builds the
// model store and active pointers (local dir or S3 + DynamoDB), the interactions
// store (SQLite or DynamoDB), ONNX Runtime, the serving caches of each model kind
// (ncf.Kind, classify.Kind), every HTTP handler and the reload handler, whose check
// uses the same kinds. Each Lambda function is one call, Main(name), which builds
// only that function; the local server, the local invoker (cmd/mlbundle) and the
// end-to-end tests build all of them, so that everything runs exactly the handlers
// the Lambda functions run.
package bundle
