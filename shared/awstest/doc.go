// Package awstest gives tests an AWS SDK configuration for the endpoint in
// AWS_ENDPOINT_URL (moto_server, LocalStack or AWS itself) and unique resource
// names, so that tests of S3 and DynamoDB code run against any of them and skip
// with one clear message when no endpoint is set.
package awstest
