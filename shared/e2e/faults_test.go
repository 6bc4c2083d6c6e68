package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/contentml/mlbundle/shared/api"
	"github.com/contentml/mlbundle/shared/awstest"
	"github.com/contentml/mlbundle/shared/bundle"
	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/checkpoint/checkpointtest"
	"github.com/contentml/mlbundle/shared/interactions"
	"github.com/contentml/mlbundle/shared/modelstore"
)

// faultRig is a bundle whose every S3 and DynamoDB call goes through a fault proxy in
// front of the emulator.
type faultRig struct {
	c     *cloud
	proxy *awstest.FaultProxy
	b     *bundle.Bundle
	rt    *api.Router
}

func newFaultRig(t *testing.T) *faultRig {
	t.Helper()
	c := newCloud(t)
	p := awstest.NewFaultProxy(t)
	b, err := bundle.Open(context.Background(), c.envAt(t, p.URL), bundle.Options{
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), MetricsOut: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	rt, err := b.Router()
	if err != nil {
		t.Fatal(err)
	}
	return &faultRig{c: c, proxy: p, b: b, rt: rt}
}

// publish uploads a version (the fixture for "tiny-v1", else a generated one created
// later) and moves the pointer to it.
func (f *faultRig) publish(t *testing.T, version string, created time.Time) {
	t.Helper()
	if version == "tiny-v1" {
		f.c.upload(t, fixture, checkpoint.NCF, version)
	} else {
		for key, data := range checkpointtest.NCF(version, created).Objects() {
			k := f.c.prefix + key
			if _, err := f.c.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &f.c.bucket, Key: &k,
				Body: strings.NewReader(string(data))}); err != nil {
				t.Fatal(err)
			}
		}
	}
	m, err := modelstore.ReadManifest(context.Background(), f.b.Store, checkpoint.NCF, version)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.b.Pointer.Promote(context.Background(), m.Active()); err != nil {
		t.Fatal(err)
	}
}

func (f *faultRig) recommend(t *testing.T, user string) (int, map[string]any, map[string]string) {
	t.Helper()
	return callH(t, f.rt, "GET", "/v1/users/"+user+"/recommendations", "k=2", "")
}

// TestFaultS3AtColdStart: S3 unreachable, or answering errors, while the first model
// loads gives 503 + Retry-After; once S3 answers, the same process serves.
func TestFaultS3AtColdStart(t *testing.T) {
	for _, fault := range []awstest.Fault{awstest.Drop, awstest.ServerError} {
		t.Run(fmt.Sprint(fault), func(t *testing.T) {
			f := newFaultRig(t)
			f.publish(t, "tiny-v1", time.Time{})
			f.proxy.SetRule(awstest.Only(fault, "S3."))
			status, body, headers := f.recommend(t, "u1")
			retry, err := strconv.Atoi(headers["Retry-After"])
			if status != 503 || err != nil || retry < 1 {
				t.Fatalf("S3 down at cold start: %d %v %v, want 503 with Retry-After", status, body, headers)
			}
			f.proxy.SetRule(nil)
			time.Sleep(time.Duration(retry) * time.Second)
			if status, body, _ := f.recommend(t, "u1"); status != 200 || body["model_version"] != "tiny-v1" {
				t.Fatalf("after S3 recovered: %d %v, want 200 from tiny-v1 in the same process", status, body)
			}
		})
	}
}

// TestFaultS3SlowAtColdStart: S3 answering every request 300 ms late while the first
// model loads makes the first call slow, not failed: it waits for the load (bounded by
// the cache's refresh timeout, and on Lambda by the function timeout) and answers 200.
func TestFaultS3SlowAtColdStart(t *testing.T) {
	f := newFaultRig(t)
	f.publish(t, "tiny-v1", time.Time{})
	f.proxy.SetDelay(func(op string) time.Duration {
		if strings.HasPrefix(op, "S3.") {
			return 300 * time.Millisecond
		}
		return 0
	})
	start := time.Now()
	status, body, _ := f.recommend(t, "u1")
	if status != 200 || body["model_version"] != "tiny-v1" {
		t.Fatalf("slow S3 at cold start: %d %v, want 200 from tiny-v1", status, body)
	}
	if d := time.Since(start); d < 600*time.Millisecond {
		t.Errorf("the first call took %v: the delay was not in its path", d)
	}
}

// TestFaultS3DuringReload: while S3 cannot be read, neither the reload function nor the
// serving refresh takes the old model away; when S3 is back, the new version serves.
func TestFaultS3DuringReload(t *testing.T) {
	f := newFaultRig(t)
	f.publish(t, "tiny-v1", time.Time{})
	if status, body, _ := f.recommend(t, "u1"); status != 200 {
		t.Fatalf("before the fault: %d %v", status, body)
	}
	f.proxy.SetRule(awstest.Only(awstest.Drop, "S3.GET"))
	res, err := f.b.Reload.Process(context.Background(), f.c.bucket, f.c.prefix+"ncf/v2/manifest.json")
	if err == nil {
		t.Errorf("reload with S3 unreachable: %+v, want an error (retried by SQS)", res)
	}
	if a, err := f.b.Pointer.Get(context.Background(), checkpoint.NCF); err != nil || a.Version != "tiny-v1" {
		t.Errorf("pointer after a failed reload: %+v %v, want tiny-v1", a, err)
	}
	f.proxy.SetRule(nil)
	f.publish(t, "v2", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)) // the pointer moves to v2
	f.proxy.SetRule(awstest.Only(awstest.Drop, "S3.GET"))
	for range 3 { // the serving refresh (TTL 0) cannot fetch v2: tiny-v1 keeps answering
		if status, body, _ := f.recommend(t, "u1"); status != 200 || body["model_version"] != "tiny-v1" {
			t.Fatalf("S3 down during the refresh: %d %v, want 200 from tiny-v1", status, body)
		}
	}
	f.proxy.SetRule(nil)
	if status, body, _ := f.recommend(t, "u1"); status != 200 || body["model_version"] != "v2" {
		t.Fatalf("S3 back: %d %v, want 200 from v2", status, body)
	}
	if f.proxy.Seen()["S3.GET drop"] == 0 {
		t.Error("the proxy dropped no S3 request: the test did not test the fault")
	}
}

// TestFaultDynamoOnRecommend: when DynamoDB throttles or cannot be reached, recommend
// answers 503 store_unavailable with Retry-After: never items without the exclusion of
// what the user saw.
func TestFaultDynamoOnRecommend(t *testing.T) {
	f := newFaultRig(t)
	f.publish(t, "tiny-v1", time.Time{})
	status, body, _ := f.recommend(t, "u1")
	if status != 200 {
		t.Fatalf("before the fault: %d %v", status, body)
	}
	seen := itemIDs(t, body)[0]
	post := fmt.Sprintf(`{"interactions":[{"user_id":"u1","item_id":%q,"timestamp":"2026-03-01T00:00:00Z"}]}`, seen)
	if status, out := call(t, f.rt, "POST", "/v1/interactions", "", post); status != 200 {
		t.Fatalf("ingest: %d %v", status, out)
	}
	for _, fault := range []awstest.Fault{awstest.Throttle, awstest.Drop} {
		f.proxy.SetRule(awstest.Only(fault, "DynamoDB.Query"))
		for _, user := range []string{"u1", "newcomer"} {
			status, body, headers := f.recommend(t, user)
			e, _ := body["error"].(map[string]any)
			if status != 503 || headers["Retry-After"] != "1" || e["code"] != "store_unavailable" {
				t.Errorf("%v on Query, %s: %d %v %v, want 503 store_unavailable with Retry-After", fault, user, status, body, headers)
			}
		}
	}
	f.proxy.SetRule(nil)
	status, body, _ = f.recommend(t, "u1")
	if status != 200 || strings.Contains(mustJSON(body), `"`+seen+`"`) {
		t.Errorf("DynamoDB back: %d %v, want 200 without %s", status, body, seen)
	}
}

// TestFaultDynamoMidBatchIngest: DynamoDB failing after the first of three batch writes
// makes ingest answer 503 (nothing acknowledged); the retried call stores every
// interaction once and counts each user once.
func TestFaultDynamoMidBatchIngest(t *testing.T) {
	f := newFaultRig(t)
	var items []string
	for i := range 60 {
		items = append(items, fmt.Sprintf(`{"user_id":"w%d","item_id":"i%d","timestamp":"2026-03-01T00:00:%02dZ"}`, i%3, i%7, i))
	}
	body := `{"interactions":[` + strings.Join(items, ",") + `]}`
	f.proxy.SetRule(func(op string, n int) awstest.Fault {
		if op == "DynamoDB.BatchWriteItem" && n > 1 {
			return awstest.ServerError
		}
		return awstest.Pass
	})
	status, out := call(t, f.rt, "POST", "/v1/interactions", "", body)
	if e, _ := out["error"].(map[string]any); status != 503 || e["code"] != "store_unavailable" {
		t.Fatalf("DynamoDB failing mid-batch: %d %v, want 503 store_unavailable", status, out)
	}
	f.proxy.SetRule(nil)
	for range 2 { // the retry, and a second one: idempotent
		if status, out := call(t, f.rt, "POST", "/v1/interactions", "", body); status != 200 || out["accepted"] != 60.0 {
			t.Fatalf("retry: %d %v", status, out)
		}
	}
	store := f.b.Interactions
	for u := range 3 {
		got, err := store.Recent(context.Background(), fmt.Sprintf("w%d", u), 100)
		if err != nil || len(got) != 20 {
			t.Errorf("w%d has %d interactions (%v), want 20 stored once each", u, len(got), err)
		}
	}
	top, err := store.TopItems(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range top { // each item was touched by all three users: 3, never more
		if c.Count != 3 {
			t.Errorf("popularity %v after a failed call and two retries, want 3 users per item", top)
			break
		}
	}
	if len(top) != 7 {
		t.Errorf("%d items counted, want 7", len(top))
	}
	var _ interactions.Store = store
}
