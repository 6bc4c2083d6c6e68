package e2e

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/contentml/mlbundle/shared/api"
	"github.com/contentml/mlbundle/shared/bundle"
	"github.com/contentml/mlbundle/shared/checkpoint"
)

const fixture = "../../testdata/checkpoints/ncf/tiny-v1"

// receive reads the queue until a message about key arrives; every message read is
// returned in Lambda's SQS event shape.
func (c *cloud) receive(t *testing.T, key string) events.SQSEvent {
	t.Helper()
	var e events.SQSEvent
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		out, err := c.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: &c.queueID, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		found := false
		for _, m := range out.Messages {
			e.Records = append(e.Records, events.SQSMessage{MessageId: aws.ToString(m.MessageId),
				Body: aws.ToString(m.Body), EventSource: "aws:sqs"})
			found = found || strings.Contains(aws.ToString(m.Body), url.QueryEscape(key)) ||
				strings.Contains(aws.ToString(m.Body), key)
		}
		if found {
			return e
		}
	}
	t.Fatalf("no S3 notification for %s within 20s", key)
	return e
}

func call(t *testing.T, rt *api.Router, method, path, query, body string) (int, map[string]any) {
	t.Helper()
	status, out, _ := callH(t, rt, method, path, query, body)
	return status, out
}

// callH is call that also returns the response headers.
func callH(t *testing.T, rt *api.Router, method, path, query, body string) (int, map[string]any, map[string]string) {
	t.Helper()
	resp, _ := rt.Lambda(context.Background(), events.APIGatewayV2HTTPRequest{
		Version: "2.0", RawPath: path, RawQueryString: query, Body: body,
		RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: "e2e",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path}},
	})
	var out map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &out); err != nil {
		t.Fatalf("%s %s: body %q is not JSON", method, path, resp.Body)
	}
	return resp.StatusCode, out, resp.Headers
}

// itemIDs lists the item ids of a recommend answer, in rank order.
func itemIDs(t *testing.T, ans map[string]any) []string {
	t.Helper()
	items, _ := ans["items"].([]any)
	var ids []string
	for _, it := range items {
		m, _ := it.(map[string]any)
		id, _ := m["item_id"].(string)
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		t.Fatalf("answer has no items: %v", ans)
	}
	return ids
}

func TestS3EventToRecommend(t *testing.T) {
	c := newCloud(t)
	ctx := context.Background()
	cfg := c.env(t)
	b, err := bundle.Open(ctx, cfg, bundle.Options{
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), MetricsOut: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	rt, err := b.Router()
	if err != nil {
		t.Fatal(err)
	}

	// Before any checkpoint: 503 with Retry-After, never a crash.
	status, body, headers := callH(t, rt, "GET", "/v1/users/u1/recommendations", "k=3", "")
	retry, err := strconv.Atoi(headers["Retry-After"])
	if status != 503 || err != nil || retry < 1 || retry > 60 {
		t.Fatalf("before promotion: %d %v %v, want 503 with Retry-After", status, body, headers)
	}

	// Publish: files first, manifest last; S3 notifies SQS about the manifest only.
	c.upload(t, fixture, checkpoint.NCF, "tiny-v1")
	key := c.prefix + "ncf/tiny-v1/" + checkpoint.ManifestFile
	msgs := c.receive(t, key)
	resp := b.Reload.HandleSQS(ctx, msgs)
	if len(resp.BatchItemFailures) > 0 {
		t.Fatalf("reload asks to retry %v", resp.BatchItemFailures)
	}
	active, err := b.Pointer.Get(ctx, checkpoint.NCF)
	if err != nil || active.Version != "tiny-v1" {
		t.Fatalf("active ncf = %+v, %v; want tiny-v1", active, err)
	}

	// Recommend answers with the promoted version once Retry-After has passed.
	time.Sleep(time.Duration(retry) * time.Second)
	status, ans := call(t, rt, "GET", "/v1/users/u1/recommendations", "k=5&exclude_seen=true", "")
	if status != 200 || ans["model_version"] != "tiny-v1" {
		t.Fatalf("recommend: %d %v, want 200 with model_version tiny-v1", status, ans)
	}
	first := itemIDs(t, ans)[0]

	// An ingested interaction is excluded from the very next answer.
	post := `{"interactions":[{"user_id":"u1","item_id":"` + first + `","timestamp":"` +
		time.Now().UTC().Format(time.RFC3339Nano) + `"}]}`
	if status, out := call(t, rt, "POST", "/v1/interactions", "", post); status/100 != 2 {
		t.Fatalf("ingest: %d %v", status, out)
	}
	_, ans = call(t, rt, "GET", "/v1/users/u1/recommendations", "k=5&exclude_seen=true", "")
	for _, id := range itemIDs(t, ans) {
		if id == first {
			t.Errorf("item %s was ingested as seen but is recommended again: %v", first, ans)
		}
	}

	// A broken artifact (its manifest names another version than its key) is
	// rejected; the promoted version keeps serving.
	c.upload(t, fixture, checkpoint.NCF, "broken-v2")
	resp = b.Reload.HandleSQS(ctx, c.receive(t, c.prefix+"ncf/broken-v2/"+checkpoint.ManifestFile))
	if len(resp.BatchItemFailures) > 0 {
		t.Fatalf("a rejected artifact must not be retried: %v", resp.BatchItemFailures)
	}
	if active, err := b.Pointer.Get(ctx, checkpoint.NCF); err != nil || active.Version != "tiny-v1" {
		t.Fatalf("after a rejected artifact active = %+v, %v; want tiny-v1", active, err)
	}
	if _, ans := call(t, rt, "GET", "/v1/users/u1/recommendations", "k=5", ""); ans["model_version"] != "tiny-v1" {
		t.Errorf("after a rejected artifact recommend answers %v", ans)
	}

	// The models route reports the promoted version from S3 + DynamoDB.
	status, models := call(t, rt, "GET", "/v1/models", "", "")
	if status != 200 || !strings.Contains(mustJSON(models), `"version":"tiny-v1"`) {
		t.Errorf("models: %d %v", status, models)
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }
