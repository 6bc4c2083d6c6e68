package modelstore_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/contentml/mlbundle/shared/awstest"
	"github.com/contentml/mlbundle/shared/modelstore"
)

// newBucket creates an empty bucket and returns a path-style client.
func newBucket(t testing.TB) (*s3.Client, string) {
	t.Helper()
	client := awstest.S3(t)
	bucket := awstest.Name("models")
	if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("create bucket %s: %v", bucket, err)
	}
	return client, bucket
}

// newTable creates the models (active pointer) table.
func newTable(t testing.TB) (*dynamodb.Client, string) {
	t.Helper()
	client := awstest.DynamoDB(t)
	table := awstest.Name("models")
	if err := modelstore.CreatePointerTable(context.Background(), client, table); err != nil {
		t.Fatal(err)
	}
	return client, table
}
