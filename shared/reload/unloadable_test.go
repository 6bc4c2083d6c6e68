package reload_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/checkpoint/checkpointtest"
	"github.com/contentml/mlbundle/shared/metrics"
	"github.com/contentml/mlbundle/shared/reload"
)

// withVectors gives an ncf checkpoint item vectors of dim 2 (4 items).
func withVectors(c *checkpointtest.Checkpoint, values ...float32) *checkpointtest.Checkpoint {
	if values == nil {
		values = []float32{1, 0, 0, 1, 0.6, 0.8, 0.8, 0.6}
	}
	buf := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
	}
	c.Manifest.NCF.ItemVectorsFile, c.Manifest.NCF.ItemVectorDim = "item_vectors.f32", 2
	c.Files["item_vectors.f32"] = buf
	return c.Seal()
}

// TestUnloadableRejected covers each way a checkpoint whose hashes are all valid
// can still be unloadable by serving: each is rejected, logged and counted, and
// the old version keeps serving.
func TestUnloadableRejected(t *testing.T) {
	initORT(t)
	v2 := t0.Add(time.Hour)
	ncf := func(edit func(c *checkpointtest.Checkpoint)) func() *checkpointtest.Checkpoint {
		return func() *checkpointtest.Checkpoint {
			c := withVectors(checkpointtest.NCF("v2", v2))
			edit(c)
			return c.Seal()
		}
	}
	cls := func(edit func(c *checkpointtest.Checkpoint)) func() *checkpointtest.Checkpoint {
		return func() *checkpointtest.Checkpoint {
			c := checkpointtest.Classifier("v2", v2)
			edit(c)
			return c.Seal()
		}
	}
	tests := []struct {
		name   string
		make   func() *checkpointtest.Checkpoint
		reason string
		want   string
	}{
		{"score_all graph and its checks missing", ncf(func(c *checkpointtest.Checkpoint) {
			delete(c.Files, checkpoint.ScoreAllFile)
			delete(c.Manifest.ONNX, checkpoint.ScoreAllFile)
			c.Parity.Checks = c.Parity.Checks[:1]
		}), "unloadable", "manifest lists no score_all.onnx"},
		{"users.json inconsistent with the manifest", ncf(func(c *checkpointtest.Checkpoint) {
			c.Files["users.json"] = []byte(`["u1","u2"]`)
		}), "unloadable", "users.json has 2 ids, manifest says 3"},
		{"duplicate item id", ncf(func(c *checkpointtest.Checkpoint) {
			c.Files["items.json"] = []byte(`["i1","i2","i1","i4"]`)
		}), "unloadable", `items.json[2] "i1" repeats index 0`},
		{"popular counts rising", ncf(func(c *checkpointtest.Checkpoint) {
			c.Files["popular.json"] = []byte(`[{"item_id":"i2","count":1},{"item_id":"i1","count":3}]`)
		}), "unloadable", "counts must not increase"},
		{"item vector NaN", ncf(func(c *checkpointtest.Checkpoint) {
			withVectors(c, 1, 0, 0, 1, float32(math.NaN()), 0.8, 0.8, 0.6)
		}), "unloadable", "value 4 is not finite"},
		{"item vectors 4 bytes short", ncf(func(c *checkpointtest.Checkpoint) {
			c.Files["item_vectors.f32"] = c.Files["item_vectors.f32"][:28]
		}), "unloadable", "has 28 bytes, want 32"},
		{"wrong vector size", ncf(func(c *checkpointtest.Checkpoint) {
			c.Manifest.NCF.ItemVectorDim = 3
		}), "unloadable", "has 32 bytes, want 48 (4 items x 3 float32)"},
		{"score_all gives fewer logits than items", ncf(func(c *checkpointtest.Checkpoint) {
			c.Manifest.NCF.NumItems = 5
			c.Files["items.json"] = []byte(`["i1","i2","i3","i4","i5"]`)
			delete(c.Files, "item_vectors.f32")
			c.Manifest.NCF.ItemVectorsFile, c.Manifest.NCF.ItemVectorDim = "", 0
		}), "unloadable", "model returned 4 logits, the checkpoint has 5 items"},
		{"empty ONNX file", ncf(func(c *checkpointtest.Checkpoint) {
			c.Files[checkpoint.ScoreAllFile] = []byte{}
		}), "unloadable", "score_all.onnx"},
		{"no parity check of a graph serving runs", ncf(func(c *checkpointtest.Checkpoint) {
			c.Parity.Checks = c.Parity.Checks[:1]
		}), "parity", "parity.json has no check of [score_all.onnx]"},
		{"classifier vocab without [UNK]", cls(func(c *checkpointtest.Checkpoint) {
			c.Files["vocab.txt"] = []byte("[PAD]\n[CLS]\n[SEP]\noil\nprices\n")
		}), "unloadable", `unknown token "[UNK]" not in the vocabulary`},
		{"classifier parity.json without texts", cls(func(c *checkpointtest.Checkpoint) {
			c.Parity.Texts = nil
		}), "parity", "parity.json has no texts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { expectRejected(t, tt.make(), tt.reason, tt.want) })
	}
}

// When ONNX Runtime cannot start (ONNXRUNTIME_LIB unset), the fault lies in the
// environment: reload fails and asks for a retry (SQS redelivery) instead of
// rejecting a good checkpoint. The check runs in a child process that never
// initialises ONNX Runtime.
func TestRuntimeUnavailableFailsForRetry(t *testing.T) {
	if os.Getenv("RELOAD_TEST_NO_ORT") == "1" {
		r := newRig(t)
		res, err := r.h.Process(context.Background(), bucket, r.put(t, checkpointtest.NCF("v1", t0)))
		if err == nil || res.Outcome != reload.Failed || !strings.Contains(err.Error(), "ONNX Runtime is unavailable") {
			t.Errorf("Process without ONNX Runtime = %+v, %v; want failed with an error naming the runtime", res, err)
		}
		if got := r.active(t, checkpoint.NCF); got != "" || r.emfCount(t, metrics.ReloadRejected, "") != 0 {
			t.Errorf("active %q, rejections counted %d; want nothing promoted and nothing rejected", got, r.emfCount(t, metrics.ReloadRejected, ""))
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRuntimeUnavailableFailsForRetry$", "-test.v")
	cmd.Env = append(os.Environ(), "RELOAD_TEST_NO_ORT=1", "ONNXRUNTIME_LIB=")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

// An older loadable version replaces an active one that cannot load (promoted
// before this check existed, or by another writer); while the active version
// loads, older ones stay stale.
func TestOlderReplacesUnloadableActive(t *testing.T) {
	initORT(t)
	r := newRig(t)
	ctx := context.Background()
	good := r.put(t, checkpointtest.NCF("v1", t0))
	bad := checkpointtest.NCF("v2", t0.Add(time.Hour))
	bad.Files["users.json"] = []byte(`["u1"]`)
	r.put(t, bad.Seal())
	if err := r.pointer.Promote(ctx, bad.Manifest.Active()); err != nil { // as an unchecked writer would
		t.Fatal(err)
	}
	res, err := r.h.Process(ctx, bucket, good)
	if err != nil || res.Outcome != reload.Promoted {
		t.Fatalf("older good version over an unloadable active one = %+v, %v; want promoted", res, err)
	}
	if got := r.active(t, checkpoint.NCF); got != "v1" {
		t.Errorf("active = %q, want v1", got)
	}
	var warned bool
	for _, line := range strings.Split(r.log.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["active"] == "v2" && rec["reason"] == "unloadable" {
			warned = true
		}
	}
	if !warned {
		t.Errorf("want a warning naming the unloadable active v2, log:\n%s", r.log)
	}
	// the usual rule again: a newer good version goes forward, an older one is stale
	r.put(t, checkpointtest.NCF("v3", t0.Add(2*time.Hour)))
	if res, err := r.h.Process(ctx, bucket, "models/ncf/v3/manifest.json"); err != nil || res.Outcome != reload.Promoted {
		t.Fatalf("v3 = %+v, %v", res, err)
	}
	if res, err := r.h.Process(ctx, bucket, good); err != nil || res.Outcome != reload.Stale {
		t.Errorf("v1 under a loadable v3 = %+v, %v; want stale", res, err)
	}
}
