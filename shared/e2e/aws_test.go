package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/contentml/mlbundle/shared/availability"
	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/config"
	"github.com/contentml/mlbundle/shared/interactions"
	"github.com/contentml/mlbundle/shared/items"
	"github.com/contentml/mlbundle/shared/modelstore"
)

// cloud is the set of resources one test run creates, named uniquely.
type cloud struct {
	cfg     config.Config
	s3      *s3.Client
	ddb     *dynamodb.Client
	sqs     *sqs.Client
	bucket  string
	queue   string
	tables  map[string]string // role -> table name
	prefix  string
	queueID string
}

func suffix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// newCloud creates bucket, queue, notification and tables on AWS_ENDPOINT_URL.
func newCloud(t *testing.T) *cloud {
	t.Helper()
	if os.Getenv("AWS_ENDPOINT_URL") == "" {
		t.Skip("AWS_ENDPOINT_URL is not set: run through scripts/test.sh, which starts moto_server (any LocalStack-compatible endpoint works)")
	}
	if os.Getenv("ONNXRUNTIME_LIB") == "" {
		t.Skip("ONNXRUNTIME_LIB is not set: run through scripts/test.sh")
	}
	ctx := context.Background()
	cfg, err := config.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	awsCfg, err := cfg.AWS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id := suffix()
	c := &cloud{cfg: cfg, s3: cfg.S3(awsCfg), ddb: cfg.DynamoDB(awsCfg), sqs: cfg.SQS(awsCfg),
		bucket: "mlbundle-e2e-" + id, queue: "mlbundle-reload-" + id, prefix: "models/",
		tables: map[string]string{"models": "models-" + id, "interactions": "interactions-" + id, "popularity": "popularity-" + id,
			"availability": "availability-" + id, "items": "items-" + id}}
	must(t, "create bucket", func() error {
		_, err := c.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &c.bucket})
		return err
	})
	q, err := c.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: &c.queue})
	if err != nil {
		t.Fatalf("create queue: %v", err)
	}
	c.queueID = *q.QueueUrl
	attrs, err := c.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatalf("queue arn: %v", err)
	}
	arn := attrs.Attributes["QueueArn"]
	must(t, "bucket notification", func() error {
		_, err := c.s3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
			Bucket: &c.bucket,
			NotificationConfiguration: &s3types.NotificationConfiguration{QueueConfigurations: []s3types.QueueConfiguration{{
				QueueArn: &arn, Events: []s3types.Event{"s3:ObjectCreated:*"},
				Filter: &s3types.NotificationConfigurationFilter{Key: &s3types.S3KeyFilter{FilterRules: []s3types.FilterRule{
					{Name: s3types.FilterRuleNamePrefix, Value: aws.String(c.prefix)},
					{Name: s3types.FilterRuleNameSuffix, Value: aws.String(checkpoint.ManifestFile)},
				}}},
			}}},
		})
		return err
	})
	c.createTables(t)
	return c
}

func (c *cloud) createTables(t *testing.T) {
	ctx := context.Background()
	must(t, "create models table", func() error {
		return modelstore.CreatePointerTable(ctx, c.ddb, c.tables["models"])
	})
	must(t, "create interaction tables", func() error {
		return interactions.CreateTables(ctx, c.ddb, c.tables["interactions"], c.tables["popularity"])
	})
	must(t, "create items table", func() error {
		return items.CreateTable(ctx, c.ddb, c.tables["items"])
	})
	must(t, "create availability table", func() error {
		return availability.CreateTable(ctx, c.ddb, c.tables["availability"])
	})
}

// upload puts every file of a fixture version under <prefix><kind>/<version>/,
// manifest.json last, as the training publisher does.
func (c *cloud) upload(t *testing.T, dir string, kind checkpoint.Kind, version string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, e := range entries {
		if !e.IsDir() && e.Name() != checkpoint.ManifestFile && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	names = append(names, checkpoint.ManifestFile)
	for _, name := range names {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		key := fmt.Sprintf("%s%s/%s/%s", c.prefix, kind, version, name)
		_, err = c.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &c.bucket, Key: &key, Body: f})
		f.Close()
		if err != nil {
			t.Fatalf("upload %s: %v", key, err)
		}
	}
}

// env is the configuration a deployed function would get.
func (c *cloud) env(t *testing.T) config.Config { return c.envAt(t, c.cfg.AWSEndpointURL) }

// envAt is env with the AWS endpoint at endpoint (a fault proxy in front of the emulator).
func (c *cloud) envAt(t *testing.T, endpoint string) config.Config {
	m := map[string]string{
		"MODELS_BUCKET": c.bucket, "MODELS_PREFIX": c.prefix, "ACTIVE_TABLE": c.tables["models"],
		"INTERACTIONS_TABLE": c.tables["interactions"], "POPULARITY_TABLE": c.tables["popularity"],
		"AVAILABILITY_TABLE": c.tables["availability"], "ITEMS_TABLE": c.tables["items"],
		"AWS_ENDPOINT_URL": endpoint, "ONNXRUNTIME_LIB": os.Getenv("ONNXRUNTIME_LIB"),
		"MODEL_TTL_SECONDS": "0",
	}
	cfg, err := config.Load(func(k string) string { return m[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func must(t *testing.T, what string, f func() error) {
	t.Helper()
	if err := f(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
