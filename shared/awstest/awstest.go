package awstest

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
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

var seq atomic.Int64

// Config returns an SDK configuration for AWS_ENDPOINT_URL, or skips t when it is
// unset. Credentials and region come from the environment (us-east-1 when unset).
func Config(t testing.TB) aws.Config {
	t.Helper()
	endpoint := os.Getenv("AWS_ENDPOINT_URL")
	if endpoint == "" {
		t.Skip("AWS_ENDPOINT_URL unset: start moto_server (scripts/test.sh does) to run the S3/DynamoDB tests")
	}
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = "us-east-1"
	}
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithRegion(region))
	if err != nil {
		t.Fatalf("aws config: %v", err)
	}
	cfg.BaseEndpoint = aws.String(endpoint)
	return cfg
}

// S3 returns a path-style S3 client for the test endpoint, or skips t.
func S3(t testing.TB) *s3.Client {
	t.Helper()
	return s3.NewFromConfig(Config(t), func(o *s3.Options) { o.UsePathStyle = true })
}

// DynamoDB returns a DynamoDB client for the test endpoint, or skips t.
func DynamoDB(t testing.TB) *dynamodb.Client {
	t.Helper()
	return dynamodb.NewFromConfig(Config(t))
}

// Name returns a name unique to this process and call, valid for buckets and tables.
func Name(prefix string) string {
	return strings.ToLower(fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e12, seq.Add(1)))
}
