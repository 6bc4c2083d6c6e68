package bundle

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/benchtest"
	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/config"
	"github.com/contentml/mlbundle/shared/modelstore"
	"github.com/contentml/mlbundle/shared/onnx/onnxtest"
)

// apiStore makes a local model store whose active versions are the benchmark
// models, or the demo's where those are missing (links to their directories),
// so the local server serves them.
func apiStore(b *testing.B) string {
	root := b.TempDir()
	for _, names := range [][]string{{"ncf-ml100k", "ncf-demo"}, {"classifier-reuters", "classifier-demo"}} {
		d := benchtest.FirstCheckpoint(b, names...)
		kindDir := filepath.Join(root, string(d.Manifest.Kind))
		if err := os.MkdirAll(kindDir, 0o755); err != nil {
			b.Fatal(err)
		}
		abs, _ := filepath.Abs(d.Path)
		if err := os.Symlink(abs, filepath.Join(kindDir, d.Manifest.Version)); err != nil {
			b.Fatal(err)
		}
		if err := modelstore.NewLocalPointer(root).Promote(context.Background(), d.Manifest.Active()); err != nil {
			b.Fatal(err)
		}
	}
	return root
}

// BenchmarkAPI times HTTP requests, one at a time over loopback, to the handlers
// the local server mounts (every function of the bundle) on the benchmark models
// and the embedded SQLite store: recommend for a user with 20 stored
// interactions, classify of one text, and ingest of one interaction.
// Reports p50/p99 per route (api.<route>.p50_ms).
func BenchmarkAPI(b *testing.B) {
	onnxtest.Init(b)
	models := apiStore(b)
	env := map[string]string{"MODELS_DIR": models, "INTERACTIONS_DB": filepath.Join(b.TempDir(), "i.db")}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		b.Fatal(err)
	}
	cfg.ONNXRuntimeLib = os.Getenv("ONNXRUNTIME_LIB")
	bundle, err := Open(context.Background(), cfg, Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), MetricsOut: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	defer bundle.Close()
	bundle.Warm(context.Background())
	rt, err := bundle.Router()
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(rt)
	defer srv.Close()
	user := apiUser(b, models)
	var events bytes.Buffer
	events.WriteString(`{"interactions": [`)
	for i := range 20 {
		fmt.Fprintf(&events, `%s{"user_id": %q, "item_id": %q, "timestamp": "2026-01-01T00:00:%02dZ"}`,
			map[bool]string{true: ",", false: ""}[i > 0], user.id, user.items[i*len(user.items)/20], i)
	}
	events.WriteString("]}")
	do(b, srv, "POST", "/v1/interactions", events.String())
	routes := []struct{ name, method, path, body string }{
		{"recommend", "GET", "/v1/users/" + user.id + "/recommendations?k=10", ""},
		{"classify", "POST", "/v1/classify", `{"text": "Crude oil prices rose after the producers agreed to cut output, traders said."}`},
		{"ingest", "POST", "/v1/interactions", fmt.Sprintf(`{"interactions": [{"user_id": "bench-ingest", "item_id": %q}]}`, user.items[0])},
	}
	for _, r := range routes {
		b.Run(r.name, func(b *testing.B) {
			for range 5 {
				do(b, srv, r.method, r.path, r.body)
			}
			var lat []time.Duration
			for b.Loop() {
				t0 := time.Now()
				do(b, srv, r.method, r.path, r.body)
				lat = append(lat, time.Since(t0))
			}
			slices.Sort(lat)
			at := func(q float64) float64 {
				return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1e3
			}
			extra := map[string]any{"requests": len(lat)}
			benchtest.Check(b, benchtest.ID("api", r.name, "p50_ms"), at(0.5), "ms", extra)
			benchtest.Check(b, benchtest.ID("api", r.name, "p99_ms"), at(0.99), "ms", extra)
		})
	}
}

type apiUserInfo struct {
	id    string
	items []string
}

// apiUser is the first user of the active NCF version and its item ids.
func apiUser(b *testing.B, root string) apiUserInfo {
	a, err := modelstore.NewLocalPointer(root).Get(context.Background(), checkpoint.NCF)
	if err != nil {
		b.Fatal(err)
	}
	d, err := checkpoint.OpenDir(filepath.Join(root, "ncf", a.Version))
	if err != nil {
		b.Fatal(err)
	}
	var users, items []string
	for file, dst := range map[string]*[]string{d.Manifest.NCF.UserIDsFile: &users, d.Manifest.NCF.ItemIDsFile: &items} {
		if err := readJSONFile(filepath.Join(d.Path, file), dst); err != nil {
			b.Fatal(err)
		}
	}
	return apiUserInfo{id: users[0], items: items}
}

// do sends one request and fails b unless it is answered 2xx.
func do(b *testing.B, srv *httptest.Server, method, path, body string) {
	req, err := http.NewRequest(method, srv.URL+path, bytes.NewBufferString(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		b.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
}

func readJSONFile(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}
