package reload_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/modelstore"
	"github.com/contentml/mlbundle/shared/reload"
)

// failingPointer stands for DynamoDB being unavailable.
type failingPointer struct{ modelstore.Pointer }

func (failingPointer) Promote(context.Context, checkpoint.Active) error {
	return errors.New("dynamodb: connection refused")
}

func readEvent(t *testing.T, name string) json.RawMessage {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func copyFixture(t *testing.T, root string) { copyKindFixture(t, root, checkpoint.NCF) }

// copyKindFixture copies testdata/checkpoints/<kind>/tiny-v1 (made by
// `make fixtures`) into the store at root.
func copyKindFixture(t *testing.T, root string, kind checkpoint.Kind) {
	t.Helper()
	src := filepath.Join("..", "..", "testdata", "checkpoints", string(kind), "tiny-v1")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatalf("fixture %s missing (committed; `make fixtures` regenerates it): %v", src, err)
	}
	dst := filepath.Join(root, string(kind), "tiny-v1")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// The committed events drive the Lambda entry point, with the committed ncf
// fixture that the Python export produced.
func TestHandleEvents(t *testing.T) {
	initORT(t)
	ctx := context.Background()
	t.Run("s3", func(t *testing.T) {
		r := newRig(t)
		copyFixture(t, r.store.Root)
		resp, err := r.h.Handle(ctx, readEvent(t, "reload-s3-manifest.json"))
		if err != nil || resp != nil {
			t.Fatalf("Handle = %+v, %v", resp, err)
		}
		if got := r.active(t, checkpoint.NCF); got != "tiny-v1" {
			t.Errorf("active = %q, want tiny-v1", got)
		}
	})
	t.Run("sqs", func(t *testing.T) {
		r := newRig(t)
		copyFixture(t, r.store.Root)
		resp, err := r.h.Handle(ctx, readEvent(t, "reload-sqs-s3-manifest.json"))
		if err != nil || resp == nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("Handle = %+v, %v; want an empty batch response", resp, err)
		}
		if got := r.active(t, checkpoint.NCF); got != "tiny-v1" {
			t.Errorf("active = %q, want tiny-v1", got)
		}
	})
	t.Run("sqs transient failure is retried", func(t *testing.T) {
		r := newRig(t)
		copyFixture(t, r.store.Root)
		r.h.Pointer = failingPointer{r.pointer}
		resp, err := r.h.Handle(ctx, readEvent(t, "reload-sqs-s3-manifest.json"))
		if err != nil || resp == nil || len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "059f36b4-87a3-44ab-83d2-661975830a7d" {
			t.Errorf("Handle = %+v, %v; want the message listed for retry", resp, err)
		}
	})
	t.Run("s3 transient failure is returned", func(t *testing.T) {
		r := newRig(t)
		copyFixture(t, r.store.Root)
		r.h.Pointer = failingPointer{r.pointer}
		if _, err := r.h.Handle(ctx, readEvent(t, "reload-s3-manifest.json")); err == nil || !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("Handle = %v, want the transient error", err)
		}
	})
	t.Run("eventTime without a time zone is still processed", func(t *testing.T) {
		r := newRig(t)
		copyFixture(t, r.store.Root)
		raw := `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put",` +
			`"eventTime":"2026-11-26T01:02:03.456","s3":{"bucket":{"name":"mlbundle-models"},` +
			`"object":{"key":"models/ncf/tiny-v1/manifest.json"}}}]}`
		if _, err := r.h.Handle(ctx, json.RawMessage(raw)); err != nil {
			t.Fatalf("Handle = %v", err)
		}
		if got := r.active(t, checkpoint.NCF); got != "tiny-v1" {
			t.Errorf("active = %q, want tiny-v1", got)
		}
	})
	for _, name := range []string{"reload-sqs-s3-test-event.json", "reload-s3-not-manifest.json"} {
		t.Run(name, func(t *testing.T) {
			r := newRig(t)
			resp, err := r.h.Handle(ctx, readEvent(t, name))
			if err != nil || (resp != nil && len(resp.BatchItemFailures) != 0) {
				t.Errorf("Handle = %+v, %v; want ignored", resp, err)
			}
			if got := r.active(t, checkpoint.NCF); got != "" {
				t.Errorf("active = %q, want none", got)
			}
		})
	}
	t.Run("garbage", func(t *testing.T) {
		r := newRig(t)
		for _, raw := range []string{`"x"`, `{}`, `{"Records":[{"eventSource":"aws:sqs","body":"not json","messageId":"m1"}]}`, `{"Event":"s3:TestEvent"}`} {
			resp, err := r.h.Handle(ctx, json.RawMessage(raw))
			if err != nil || (resp != nil && len(resp.BatchItemFailures) != 0) {
				t.Errorf("Handle(%s) = %+v, %v; want ignored", raw, resp, err)
			}
		}
	})
}

// The checkpoints the Python export committed pass every check of their
// parity.json: ONNX checks and, for the classifier, the end-to-end text cases
// through the Go tokenizer.
func TestCommittedFixtures(t *testing.T) {
	initORT(t)
	for _, kind := range checkpoint.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			r := newRig(t)
			copyKindFixture(t, r.store.Root, kind)
			key := "models/" + string(kind) + "/tiny-v1/manifest.json"
			res, err := r.h.Process(context.Background(), bucket, key)
			if err != nil || res.Outcome != reload.Promoted {
				t.Fatalf("Process = %+v, %v; want promoted", res, err)
			}
		})
	}
	t.Run("classifier text parity runs", func(t *testing.T) {
		r := newRig(t)
		copyKindFixture(t, r.store.Root, checkpoint.Classifier)
		dir := filepath.Join(r.store.Root, "classifier", "tiny-v1")
		data, err := os.ReadFile(filepath.Join(dir, "parity.json"))
		if err != nil {
			t.Fatal(err)
		}
		var p map[string]any
		if err := json.Unmarshal(data, &p); err != nil {
			t.Fatal(err)
		}
		texts, _ := p["texts"].([]any)
		if len(texts) == 0 {
			t.Fatal("fixture parity.json has no texts to tamper with")
		}
		texts[0].(map[string]any)["logits"].([]any)[0] = 99.0 // a reference the model cannot meet
		rewriteSealed(t, dir, "parity.json", p)
		res, err := r.h.Process(context.Background(), bucket, "models/classifier/tiny-v1/manifest.json")
		if err != nil || res.Outcome != reload.Rejected || res.Reason != "parity" || !strings.Contains(res.Err.Error(), "text 0") {
			t.Errorf("Process = %+v, %v; want rejected for text 0 parity", res, err)
		}
	})
}

// rewriteSealed replaces a JSON file of a version and updates its hash in the
// manifest, as a publisher of a wrong artifact would.
func rewriteSealed(t *testing.T, dir, name string, v any) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	m["files"].(map[string]any)[name] = map[string]any{"sha256": hex.EncodeToString(sum[:]), "size": len(data)}
	raw, err = json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
}
