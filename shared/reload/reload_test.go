package reload_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/checkpoint/checkpointtest"
	"github.com/contentml/mlbundle/shared/classify"
	"github.com/contentml/mlbundle/shared/metrics"
	"github.com/contentml/mlbundle/shared/modelstore"
	"github.com/contentml/mlbundle/shared/ncf"
	"github.com/contentml/mlbundle/shared/onnx"
	"github.com/contentml/mlbundle/shared/onnx/onnxtest"
	"github.com/contentml/mlbundle/shared/reload"
)

const bucket = "mlbundle-models"

var t0 = time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)

func initORT(t testing.TB) {
	t.Helper()
	onnxtest.Init(t)
}

// kinds is the product's validator: each kind's Verify, as the bundle wires it.
func kinds() reload.Kinds {
	return reload.Kinds{
		checkpoint.NCF:        ncf.Kind(onnx.Options{IntraOpThreads: 1}).Verify,
		checkpoint.Classifier: classify.Kind(classify.Options{IntraOpThreads: 1}).Verify,
	}
}

// rig is a handler over a fresh local store, with its metrics captured.
type rig struct {
	h       *reload.Handler
	store   *modelstore.Local
	pointer modelstore.Pointer
	emf     *bytes.Buffer
	log     *bytes.Buffer
}

func newRig(t *testing.T) *rig {
	t.Helper()
	root := t.TempDir()
	store := modelstore.NewLocal(root)
	emf := &bytes.Buffer{}
	r := &rig{store: store, pointer: modelstore.NewLocalPointer(root), emf: emf, log: &bytes.Buffer{}}
	r.h = &reload.Handler{Store: store, Pointer: r.pointer, Bucket: bucket, Prefix: "models/",
		Dir: t.TempDir(), Validator: kinds(),
		Metrics: metrics.New(emf, "reload"), Logger: slog.New(slog.NewJSONHandler(r.log, nil))}
	return r
}

func (r *rig) put(t *testing.T, c *checkpointtest.Checkpoint) string {
	t.Helper()
	if err := c.WriteTo(r.store.Root); err != nil {
		t.Fatal(err)
	}
	return "models/" + string(c.Manifest.Kind) + "/" + c.Manifest.Version + "/manifest.json"
}

func (r *rig) active(t *testing.T, kind checkpoint.Kind) string {
	t.Helper()
	a, err := r.pointer.Get(context.Background(), kind)
	if errors.Is(err, modelstore.ErrNotFound) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return a.Version
}

// emfCount returns how many EMF lines carry metric name with the given reason.
func (r *rig) emfCount(t *testing.T, name, reason string) int {
	t.Helper()
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(r.emf.String()), "\n") {
		var rec map[string]any
		if line == "" || json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		if _, ok := rec["_aws"]; ok && rec[name] == float64(1) && (reason == "" || rec["reason"] == reason) {
			n++
		}
	}
	return n
}

func TestPromoteGood(t *testing.T) {
	initORT(t)
	for _, c := range []*checkpointtest.Checkpoint{
		checkpointtest.NCF("v1", t0),
		checkpointtest.Classifier("v1", t0),
	} {
		t.Run(string(c.Manifest.Kind), func(t *testing.T) {
			r := newRig(t)
			res, err := r.h.Process(context.Background(), bucket, r.put(t, c))
			if err != nil || res.Outcome != reload.Promoted {
				t.Fatalf("Process = %+v, %v; want promoted", res, err)
			}
			if got := r.active(t, c.Manifest.Kind); got != "v1" {
				t.Errorf("active = %q, want v1", got)
			}
			if r.emfCount(t, metrics.ReloadPromoted, "") != 1 {
				t.Errorf("no ReloadPromoted EMF line in %s", r.emf)
			}
		})
	}
}

func TestRejected(t *testing.T) {
	initORT(t)
	tests := []struct {
		name   string
		make   func() *checkpointtest.Checkpoint
		reason string
		want   string
	}{
		{"tampered file", func() *checkpointtest.Checkpoint {
			c := checkpointtest.NCF("v2", t0.Add(time.Hour))
			c.Files["popular.json"] = []byte(`[{"item_id":"i4","count":9}]`)
			return c
		}, "integrity", "popular.json has"},
		{"path traversal", func() *checkpointtest.Checkpoint {
			c := checkpointtest.NCF("v2", t0.Add(time.Hour))
			c.Files["../escape.json"] = []byte("{}")
			c.Seal()
			delete(c.Files, "../escape.json") // WriteTo must not write it
			return c
		}, "invalid_manifest", "path traversal"},
		{"wrong onnx inputs", func() *checkpointtest.Checkpoint {
			c := checkpointtest.NCF("v2", t0.Add(time.Hour))
			c.Files[checkpoint.ModelFile] = checkpointtest.Classifier("x", t0).Files[checkpoint.ModelFile]
			return c.Seal()
		}, "onnx_io", `input "user" missing`},
		{"parity mismatch", func() *checkpointtest.Checkpoint {
			c := checkpointtest.NCF("v2", t0.Add(time.Hour))
			c.Parity.Checks[1].Outputs["logits"].Data[2] += 0.01
			return c.Seal()
		}, "parity", "differs by 0.01 at index 2"},
		{"labels do not match logits", func() *checkpointtest.Checkpoint {
			c := checkpointtest.Classifier("v2", t0.Add(time.Hour))
			c.Manifest.Classifier.Labels = c.Manifest.Classifier.Labels[:2]
			c.Manifest.Classifier.Thresholds = c.Manifest.Classifier.Thresholds[:2]
			c.Manifest.Classifier.NumLabels = 2
			return c
		}, "onnx_io", `output "logits" dimension 1 is 3, want 2`},
		{"not above popularity on validation", func() *checkpointtest.Checkpoint {
			c := checkpointtest.NCF("v2", t0.Add(time.Hour))
			c.Manifest.Metrics["validation_full_ndcg@10"] = c.Manifest.Metrics["popularity_validation_full_ndcg@10"]
			return c
		}, "quality", "validation_full_ndcg@10 0.0500 is not above the popularity baseline's 0.0500"},
		{"no validation metrics", func() *checkpointtest.Checkpoint {
			c := checkpointtest.NCF("v2", t0.Add(time.Hour))
			c.Manifest.Metrics = map[string]float64{"hr@10": 0.9}
			return c
		}, "quality", "lack validation_ndcg@10 or popularity_validation_ndcg@10"},
		{"num_labels disagrees with labels", func() *checkpointtest.Checkpoint {
			c := checkpointtest.Classifier("v2", t0.Add(time.Hour))
			c.Manifest.Classifier.NumLabels = 4
			return c
		}, "invalid_manifest", "num_labels is 4 but labels has 3 entries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { expectRejected(t, tt.make(), tt.reason, tt.want) })
	}
}

// expectRejected publishes a good v1 of c's kind, then c, and checks that c is
// rejected for reason with an error containing want, logged and counted, while
// v1 stays active and loadable.
func expectRejected(t *testing.T, c *checkpointtest.Checkpoint, reason, want string) {
	t.Helper()
	r := newRig(t)
	kind := c.Manifest.Kind
	good := checkpointtest.NCF("v1", t0)
	if kind == checkpoint.Classifier {
		good = checkpointtest.Classifier("v1", t0)
	}
	if res, err := r.h.Process(context.Background(), bucket, r.put(t, good)); res.Outcome != reload.Promoted {
		t.Fatalf("good version: %+v, %v", res, err)
	}
	res, err := r.h.Process(context.Background(), bucket, r.put(t, c))
	if err != nil {
		t.Fatalf("Process returned %v: a rejection must not ask for a retry", err)
	}
	if res.Outcome != reload.Rejected || res.Reason != reason || !strings.Contains(res.Err.Error(), want) {
		t.Errorf("Process = %+v, want rejected (%s) with an error containing %q", res, reason, want)
	}
	if got := r.active(t, kind); got != "v1" {
		t.Errorf("active = %q after a rejected artifact, want v1 (old one keeps serving)", got)
	}
	if r.emfCount(t, metrics.ReloadRejected, reason) != 1 {
		t.Errorf("want one ReloadRejected EMF line with reason %s in %s", reason, r.emf)
	}
	if !strings.Contains(r.log.String(), `"reason":"`+reason+`"`) || !strings.Contains(r.log.String(), "artifact rejected") {
		t.Errorf("want the rejection logged with reason %s, log:\n%s", reason, r.log)
	}
}

func TestOlderNeverReplacesNewer(t *testing.T) {
	initORT(t)
	r := newRig(t)
	ctx := context.Background()
	newer := r.put(t, checkpointtest.NCF("v2", t0.Add(time.Hour)))
	older := r.put(t, checkpointtest.NCF("v1", t0))
	if res, _ := r.h.Process(ctx, bucket, newer); res.Outcome != reload.Promoted {
		t.Fatalf("newer: %+v", res)
	}
	res, err := r.h.Process(ctx, bucket, older)
	if err != nil || res.Outcome != reload.Stale {
		t.Errorf("older after newer = %+v, %v; want stale", res, err)
	}
	if got := r.active(t, checkpoint.NCF); got != "v2" {
		t.Errorf("active = %s, want v2", got)
	}
	if res, err := r.h.Process(ctx, bucket, newer); err != nil || res.Outcome != reload.Promoted {
		t.Errorf("the same event again = %+v, %v; want promoted (idempotent)", res, err)
	}
}

func TestIgnored(t *testing.T) {
	r := newRig(t)
	for _, tc := range []struct{ bucket, key string }{
		{bucket, "models/ncf/v1/model.onnx"},
		{bucket, "other/ncf/v1/manifest.json"},
		{bucket, "models/gbdt/v1/manifest.json"},
		{bucket, "models/ncf/v1/extra/manifest.json"},
		{bucket, "models/ncf/..%2F..%2Fetc/manifest.json"},
		{bucket, "models/ncf/ACTIVE"},
		{"another-bucket", "models/ncf/v1/manifest.json"},
	} {
		res, err := r.h.Process(context.Background(), tc.bucket, tc.key)
		if err != nil || res.Outcome != reload.Ignored {
			t.Errorf("Process(%s, %s) = %+v, %v; want ignored", tc.bucket, tc.key, res, err)
		}
	}
}

func TestParseKey(t *testing.T) {
	kind, version, ok := reload.ParseKey("models/", "models/classifier/benchmark_v1/manifest.json")
	if !ok || kind != checkpoint.Classifier || version != "benchmark_v1" {
		t.Errorf("ParseKey = %s %s %v", kind, version, ok)
	}
	if _, v, ok := reload.ParseKey("", "ncf/2026%2E1/manifest.json"); !ok || v != "2026.1" {
		t.Errorf("URL-encoded key: %s %v", v, ok)
	}
}

// panicky is a validator that panics, as a bug on malformed input would.
type panicky struct{}

func (panicky) Validate(context.Context, *checkpoint.Manifest, string) error {
	panic("index out of range")
}

func TestValidatorPanicRejects(t *testing.T) {
	r := newRig(t)
	r.h.Validator = panicky{}
	res, err := r.h.Process(context.Background(), bucket, r.put(t, checkpointtest.NCF("v1", t0)))
	if err != nil {
		t.Fatalf("Process returned %v: a panic is a rejection, not a retry", err)
	}
	if res.Outcome != reload.Rejected || res.Reason != "unloadable" || !strings.Contains(res.Err.Error(), "validation panicked: index out of range") {
		t.Errorf("Process = %+v, want rejected with the panic named", res)
	}
	if got := r.active(t, checkpoint.NCF); got != "" {
		t.Errorf("active = %q after a panicking validation, want none", got)
	}
}
