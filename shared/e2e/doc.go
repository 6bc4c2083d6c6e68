// Package e2e holds the end-to-end test of the AWS path against a
// LocalStack-compatible endpoint (moto_server in scripts/test.sh): S3 upload of a
// checkpoint, S3 event notification to SQS, the reload handler, promotion in the
// DynamoDB models table, recommend answering with the new model_version, and an
// ingested interaction excluded from the very next answer. The test skips when
// AWS_ENDPOINT_URL is not set. The package has no non-test code.
package e2e
