package config

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// AWS loads the SDK configuration (region, credentials) the usual way and points
// every client at AWSEndpointURL when it is set (moto_server, LocalStack).
func (c Config) AWS(ctx context.Context) (aws.Config, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load aws config: %w", err)
	}
	if c.AWSEndpointURL != "" {
		cfg.BaseEndpoint = aws.String(c.AWSEndpointURL)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return cfg, nil
}

// S3 returns an S3 client; against a custom endpoint it uses path-style addressing.
func (c Config) S3(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = c.AWSEndpointURL != "" })
}

// DynamoDB returns a DynamoDB client.
func (c Config) DynamoDB(cfg aws.Config) *dynamodb.Client { return dynamodb.NewFromConfig(cfg) }

// SQS returns an SQS client.
func (c Config) SQS(cfg aws.Config) *sqs.Client { return sqs.NewFromConfig(cfg) }
