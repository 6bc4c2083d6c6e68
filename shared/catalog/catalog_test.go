package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/contentml/mlbundle/shared/api"
	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/modelstore"
)

const hash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// writeNCF writes a valid ncf manifest for version v under root and promotes it.
func writeNCF(t *testing.T, root, v string, created time.Time, hr float64) {
	t.Helper()
	f := checkpoint.File{SHA256: hash, Size: 1}
	spec := []checkpoint.TensorSpec{{Name: "user", DType: "int64", Shape: []checkpoint.Dim{{Size: -1, Name: "batch"}}}}
	m := checkpoint.Manifest{
		SchemaVersion: 1, Kind: checkpoint.NCF, Version: v, CreatedAt: created, GitRevision: "abc1234",
		Files: map[string]checkpoint.File{"model.onnx": f, "parity.json": f, "users.json": f, "items.json": f, "popular.json": f},
		ONNX:  map[string]checkpoint.ModelIO{"model.onnx": {Inputs: spec, Outputs: spec}},
		Data:  map[string]any{"source": "synthetic"}, Metrics: map[string]float64{"hr@10": hr},
		NCF: &checkpoint.NCFSection{Variant: "neumf", NumUsers: 5, NumItems: 7,
			UserIDsFile: "users.json", ItemIDsFile: "items.json", PopularFile: "popular.json"},
	}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "ncf", v)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := modelstore.NewLocalPointer(root).Promote(context.Background(), m.Active()); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, c *Catalog, path string) (int, string) {
	t.Helper()
	rt := api.NewRouter()
	c.Register(rt)
	resp, _ := rt.Lambda(context.Background(), events.APIGatewayV2HTTPRequest{RawPath: path,
		RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET"}}})
	return resp.StatusCode, resp.Body
}

func TestModels(t *testing.T) {
	root := t.TempDir()
	t0 := time.Date(2026, 11, 26, 1, 2, 3, 0, time.UTC)
	writeNCF(t, root, "v1", t0, 0.5)
	c := New(modelstore.NewLocal(root), modelstore.NewLocalPointer(root), 0)
	status, body := get(t, c, "/v1/models")
	if status != 200 {
		t.Fatalf("status %d body %s", status, body)
	}
	var ans Answer
	if err := json.Unmarshal([]byte(body), &ans); err != nil {
		t.Fatal(err)
	}
	if len(ans.Models) != 2 {
		t.Fatalf("want 2 kinds, got %s", body)
	}
	ncf, cls := ans.Models[0], ans.Models[1]
	if ncf.Kind != "ncf" || ncf.Status != StatusActive || ncf.Version != "v1" || ncf.Metrics["hr@10"] != 0.5 ||
		ncf.NumItems != 7 || ncf.Data["source"] != "synthetic" || !ncf.CreatedAt.Equal(t0) {
		t.Errorf("ncf entry = %+v", ncf)
	}
	if cls.Kind != "classifier" || cls.Status != StatusNone {
		t.Errorf("classifier entry = %+v", cls)
	}

	writeNCF(t, root, "v2", t0.Add(time.Hour), 0.7)
	_, body = get(t, c, "/v1/models")
	if !strings.Contains(body, `"version":"v2"`) {
		t.Errorf("ttl 0 must re-read: %s", body)
	}
	// The entry shows how v2 got there and what it replaced: what to roll back to.
	if err := json.Unmarshal([]byte(body), &ans); err != nil {
		t.Fatal(err)
	}
	p := ans.Models[0].Promotion
	if p == nil || p.Previous == nil || p.Previous.Version != "v1" || !p.Previous.CreatedAt.Equal(t0) || p.PromotedAt == nil || p.Pinned {
		t.Errorf("promotion of v2 = %+v in %s", p, body)
	}
}

func TestModelsCachedForTTL(t *testing.T) {
	root := t.TempDir()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	writeNCF(t, root, "v1", t0, 0.5)
	c := New(modelstore.NewLocal(root), modelstore.NewLocalPointer(root), time.Minute)
	now := t0
	c.now = func() time.Time { return now }
	get(t, c, "/v1/models")
	writeNCF(t, root, "v2", t0.Add(time.Hour), 0.7)
	if _, body := get(t, c, "/v1/models"); !strings.Contains(body, `"version":"v1"`) {
		t.Errorf("within ttl want cached v1: %s", body)
	}
	now = now.Add(2 * time.Minute)
	if _, body := get(t, c, "/v1/models"); !strings.Contains(body, `"version":"v2"`) {
		t.Errorf("after ttl want v2: %s", body)
	}
}

type brokenPointer struct{}

func (brokenPointer) Get(context.Context, checkpoint.Kind) (checkpoint.Active, error) {
	return checkpoint.Active{}, errors.New("dynamodb: connection refused at 10.1.2.3")
}

func (brokenPointer) Promote(context.Context, checkpoint.Active) error                    { return nil }
func (brokenPointer) Replace(context.Context, checkpoint.Active, checkpoint.Active) error { return nil }

func TestModelsErrorsDoNotLeak(t *testing.T) {
	root := t.TempDir()
	c := New(modelstore.NewLocal(root), brokenPointer{}, 0)
	status, body := get(t, c, "/v1/models")
	if status != 200 || !strings.Contains(body, `"status":"error"`) || strings.Contains(body, "10.1.2.3") {
		t.Errorf("broken pointer: %d %s", status, body)
	}
	// A pointer naming a version whose manifest is missing.
	p := modelstore.NewLocalPointer(root)
	if err := p.Promote(context.Background(), checkpoint.Active{Kind: "ncf", Version: "gone", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	c = New(modelstore.NewLocal(root), p, 0)
	_, body = get(t, c, "/v1/models")
	if !strings.Contains(body, `"status":"error","version":"gone"`) || strings.Contains(body, root) {
		t.Errorf("missing manifest: %s", body)
	}
}

func TestHealth(t *testing.T) {
	c := New(modelstore.NewLocal(t.TempDir()), brokenPointer{}, 0)
	if status, body := get(t, c, "/healthz"); status != 200 || body != `{"status":"ok"}` {
		t.Errorf("healthz: %d %s", status, body)
	}
}
