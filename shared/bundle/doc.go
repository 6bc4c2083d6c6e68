// Package bundle assembles the functions of the ML bundle from a Config: the model
// store and active pointers (local dir or S3 + DynamoDB), the interactions store
// (SQLite or DynamoDB), the serving caches, every HTTP handler and the reload
// handler. The local server and the local invoker (cmd/mlbundle) and the
// end-to-end tests use it, so that they run exactly the handlers the Lambda
// functions run.
package bundle
