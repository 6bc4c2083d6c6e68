package storage

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// ModelsPrefix is the key prefix of the checkpoints in the bucket (docs/checkpoint.md).
const ModelsPrefix = "models/"

// PopularityIndex is the popularity table's index that lists the top items by count.
const PopularityIndex = "top"

// StackProps configures the storage stack.
type StackProps struct {
	awscdk.StackProps
	// NoncurrentVersionDays is how long a replaced or deleted checkpoint object is kept
	// (default 90).
	NoncurrentVersionDays float64
}

// Stack holds the checkpoint bucket and the tables, for the other stacks to grant on.
type Stack struct {
	awscdk.Stack
	Bucket       awss3.Bucket
	AccessLogs   awss3.Bucket      // server access logs of Bucket: who read or wrote which checkpoint
	Interactions awsdynamodb.Table // PK user_id, SK sk = <RFC3339Nano>#<item_id>
	Popularity   awsdynamodb.Table // PK item_id; index "top": PK bucket, SK count
	Models       awsdynamodb.Table // active pointer: PK kind
	Availability awsdynamodb.Table // unavailable items: PK list (always "unavailable"), SK item_id
	Items        awsdynamodb.Table // items registered by text: PK list (always "registered"), SK item_id
}

// NewStack creates the bucket and the five tables.
func NewStack(scope constructs.Construct, id string, props *StackProps) *Stack {
	if props == nil {
		props = &StackProps{}
	}
	days := props.NoncurrentVersionDays
	if days == 0 {
		days = 90
	}
	stack := awscdk.NewStack(scope, &id, &props.StackProps)
	s := &Stack{Stack: stack}
	s.AccessLogs = awss3.NewBucket(stack, jsii.String("AccessLogs"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		MinimumTLSVersion: jsii.Number(1.2),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id: jsii.String("expire-logs"), Expiration: awscdk.Duration_Days(jsii.Number(days)),
		}},
	})
	s.Bucket = awss3.NewBucket(stack, jsii.String("Checkpoints"), &awss3.BucketProps{
		ServerAccessLogsBucket: s.AccessLogs,
		ServerAccessLogsPrefix: jsii.String("checkpoints/"),
		Versioned:              jsii.Bool(true),
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		MinimumTLSVersion:      jsii.Number(1.2),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy:          awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("expire-old-versions"),
			NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(days)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(7)),
			ExpiredObjectDeleteMarker:           jsii.Bool(true),
		}},
	})
	s.Interactions = newTable(stack, "Interactions", "user_id", "sk")
	s.Popularity = newTable(stack, "Popularity", "item_id", "")
	s.Popularity.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
		IndexName:      jsii.String(PopularityIndex),
		PartitionKey:   &awsdynamodb.Attribute{Name: jsii.String("bucket"), Type: awsdynamodb.AttributeType_STRING},
		SortKey:        &awsdynamodb.Attribute{Name: jsii.String("count"), Type: awsdynamodb.AttributeType_NUMBER},
		ProjectionType: awsdynamodb.ProjectionType_ALL,
	})
	s.Models = newTable(stack, "Models", "kind", "")
	s.Availability = newTable(stack, "Availability", "list", "item_id")
	s.Items = newTable(stack, "Items", "list", "item_id")
	return s
}

// newTable creates an on-demand, encrypted table with point-in-time recovery and string
// keys; sortKey may be empty.
func newTable(scope constructs.Construct, id, partitionKey, sortKey string) awsdynamodb.Table {
	props := &awsdynamodb.TableProps{
		PartitionKey: &awsdynamodb.Attribute{Name: jsii.String(partitionKey), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		Encryption:   awsdynamodb.TableEncryption_AWS_MANAGED,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	}
	if sortKey != "" {
		props.SortKey = &awsdynamodb.Attribute{Name: jsii.String(sortKey), Type: awsdynamodb.AttributeType_STRING}
	}
	return awsdynamodb.NewTable(scope, jsii.String(id), props)
}
