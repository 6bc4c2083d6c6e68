package reload_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/modelstore"
	"github.com/contentml/mlbundle/shared/reload"
)

// FuzzHandleEvent feeds arbitrary Lambda events (S3, SQS-wrapped S3, anything) to the
// reload entry point over a local store that holds no version. Whatever the event: no
// panic, no pointer written, no file created outside the store's root, and an SQS
// answer lists only ids of the event's own messages. Seeds: the reload events of
// events/ (testdata/fuzz/FuzzHandleEvent) and the ones below.
func FuzzHandleEvent(f *testing.F) {
	for _, name := range []string{"reload-s3-manifest.json", "reload-sqs-s3-manifest.json", "reload-s3-traversal-key.json"} {
		if data, err := os.ReadFile(filepath.Join("..", "..", "events", name)); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"Records":[{"eventSource":"aws:sqs","messageId":"m1","body":"{\"Event\":\"s3:TestEvent\"}"}]}`))
	f.Add([]byte(`{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"models/ncf/..%2F..%2Fx/manifest.json"}}}]}`))
	outside := f.TempDir()
	root := filepath.Join(outside, "store")
	h := &reload.Handler{Store: modelstore.NewLocal(root), Pointer: modelstore.NewLocalPointer(root),
		Bucket: bucket, Prefix: "models/", Dir: filepath.Join(outside, "dl"), Validator: kinds(),
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	f.Fuzz(func(t *testing.T, raw []byte) {
		resp, _ := h.Handle(context.Background(), raw)
		if resp != nil && len(resp.BatchItemFailures) > 0 {
			var e struct {
				Records []struct {
					MessageID string `json:"messageId"`
				}
			}
			_ = json.Unmarshal(raw, &e)
			ids := make([]string, len(e.Records))
			for i, r := range e.Records {
				ids[i] = r.MessageID
			}
			for _, f := range resp.BatchItemFailures {
				if !slices.Contains(ids, f.ItemIdentifier) {
					t.Fatalf("retry asked for %q, not a message of the event %v", f.ItemIdentifier, ids)
				}
			}
		}
		for _, kind := range []checkpoint.Kind{checkpoint.NCF, checkpoint.Classifier} {
			if _, err := os.Stat(filepath.Join(root, string(kind), "ACTIVE")); err == nil {
				t.Fatalf("an event promoted a version of %s out of an empty store", kind)
			}
		}
		entries, _ := os.ReadDir(outside)
		for _, e := range entries {
			if e.Name() != "store" && e.Name() != "dl" {
				t.Fatalf("an event wrote %s outside the store", e.Name())
			}
		}
	})
}
