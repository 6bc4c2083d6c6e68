package reload_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/contentml/mlbundle/shared/awstest"
	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/checkpoint/checkpointtest"
	"github.com/contentml/mlbundle/shared/metrics"
	"github.com/contentml/mlbundle/shared/modelstore"
	"github.com/contentml/mlbundle/shared/reload"
)

// newBucketB creates a fresh bucket on AWS_ENDPOINT_URL.
func newBucketB(t testing.TB) (*s3.Client, string) {
	t.Helper()
	name := awstest.Name("reload")
	s3c := awstest.S3(t)
	if _, err := s3c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	return s3c, name
}

// awsRig is a handler over a fresh bucket and models table on AWS_ENDPOINT_URL.
func awsRig(t *testing.T) (*reload.Handler, *modelstore.S3, *modelstore.DynamoPointer, *bytes.Buffer) {
	t.Helper()
	ctx := context.Background()
	s3c, name := newBucketB(t)
	ddb := awstest.DynamoDB(t)
	if err := modelstore.CreatePointerTable(ctx, ddb, name); err != nil {
		t.Fatal(err)
	}
	store := modelstore.NewS3(s3c, name, "models/")
	ptr := modelstore.NewDynamoPointer(ddb, name)
	emf := &bytes.Buffer{}
	h := &reload.Handler{Store: store, Pointer: ptr, Bucket: name, Prefix: "models/", Dir: t.TempDir(),
		Validator: kinds(), Metrics: metrics.New(emf, "reload")}
	return h, store, ptr, emf
}

func uploadAll(t *testing.T, s modelstore.Store, c *checkpointtest.Checkpoint) string {
	t.Helper()
	var manifestKey string
	for key, data := range c.Objects() {
		if strings.HasSuffix(key, checkpoint.ManifestFile) {
			manifestKey = key
			continue
		}
		if err := s.Put(context.Background(), key, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Put(context.Background(), manifestKey, bytes.NewReader(c.ManifestJSON())); err != nil {
		t.Fatal(err)
	}
	return "models/" + manifestKey
}

func TestS3DynamoReload(t *testing.T) {
	initORT(t)
	h, store, ptr, emf := awsRig(t)
	ctx := context.Background()
	v2 := uploadAll(t, store, checkpointtest.Classifier("v2", t0.Add(time.Hour)))
	if res, err := h.Process(ctx, h.Bucket, v2); err != nil || res.Outcome != reload.Promoted {
		t.Fatalf("v2: %+v, %v", res, err)
	}
	bad := checkpointtest.Classifier("v3", t0.Add(2*time.Hour))
	bad.Files["vocab.txt"] = append(bad.Files["vocab.txt"], "extra\n"...)
	if res, err := h.Process(ctx, h.Bucket, uploadAll(t, store, bad)); err != nil || res.Outcome != reload.Rejected || res.Reason != "integrity" {
		t.Errorf("tampered v3: %+v, %v; want rejected (integrity)", res, err)
	}
	v1 := uploadAll(t, store, checkpointtest.Classifier("v1", t0))
	if res, err := h.Process(ctx, h.Bucket, v1); err != nil || res.Outcome != reload.Stale {
		t.Errorf("older v1: %+v, %v; want stale", res, err)
	}
	a, err := ptr.Get(ctx, checkpoint.Classifier)
	if err != nil || a.Version != "v2" {
		t.Errorf("active = %+v, %v; want v2", a, err)
	}
	entries, _ := os.ReadDir(h.Dir + "/classifier")
	if len(entries) != 0 {
		t.Errorf("downloaded copies left in %s: %v", h.Dir, entries)
	}
	if !strings.Contains(emf.String(), `"ReloadRejected":1`) || !strings.Contains(emf.String(), `"ReloadPromoted":1`) {
		t.Errorf("EMF lines missing: %s", emf)
	}
}
