package modelstore_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

var uniq atomic.Int64

// name returns a fresh bucket or table name for one test.
func name(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e9, uniq.Add(1))
}

// awsConfig returns an SDK config for AWS_ENDPOINT_URL (moto_server) or skips.
func awsConfig(t testing.TB) aws.Config {
	t.Helper()
	endpoint := os.Getenv("AWS_ENDPOINT_URL")
	if endpoint == "" {
		t.Skip("AWS_ENDPOINT_URL unset: start moto_server (scripts/test.sh does) to run the S3/DynamoDB tests")
	}
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithRegion("us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.BaseEndpoint = aws.String(endpoint)
	return cfg
}

// newBucket creates an empty bucket and returns a path-style client.
func newBucket(t testing.TB) (*s3.Client, string) {
	t.Helper()
	client := s3.NewFromConfig(awsConfig(t), func(o *s3.Options) { o.UsePathStyle = true })
	bucket := strings.ToLower(name("models"))
	if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("create bucket %s: %v", bucket, err)
	}
	return client, bucket
}

// newTable creates the models (active pointer) table.
func newTable(t testing.TB) (*dynamodb.Client, string) {
	t.Helper()
	client := dynamodb.NewFromConfig(awsConfig(t))
	table := name("models")
	_, err := client.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: []dtypes.AttributeDefinition{{AttributeName: aws.String("kind"), AttributeType: dtypes.ScalarAttributeTypeS}},
		KeySchema:            []dtypes.KeySchemaElement{{AttributeName: aws.String("kind"), KeyType: dtypes.KeyTypeHash}},
		BillingMode:          dtypes.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatalf("create table %s: %v", table, err)
	}
	return client, table
}
