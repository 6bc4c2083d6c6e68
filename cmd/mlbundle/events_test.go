package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	evfiles "github.com/contentml/mlbundle/events"
	"github.com/contentml/mlbundle/shared/bundle"
	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/config"
	"github.com/contentml/mlbundle/shared/interactions"
	"github.com/contentml/mlbundle/shared/modelstore"
)

const (
	eventsDir   = "../../events"
	fixturesDir = "../../testdata/checkpoints"
	// fixtureVersion is the small test checkpoint of each kind.
	fixtureVersion = "tiny-v1"
)

// readExpected reads events/expected.json (every event file has an entry and
// every entry a file).
func readExpected(t *testing.T) map[string]evfiles.Expected {
	t.Helper()
	want, err := evfiles.Load(eventsDir)
	if err != nil {
		t.Fatal(err)
	}
	return want
}

// fixtureRoot copies the committed test checkpoints into a fresh model store and
// promotes the tiny-v1 version of the kinds listed.
func fixtureRoot(t testing.TB, promote ...checkpoint.Kind) string {
	t.Helper()
	if os.Getenv("ONNXRUNTIME_LIB") == "" {
		t.Skip("ONNXRUNTIME_LIB is not set: run through scripts/test.sh (or export ONNXRUNTIME_LIB=$(scripts/onnxruntime.sh))")
	}
	if _, err := os.Stat(filepath.Join(fixturesDir, "ncf", "tiny-v1", "manifest.json")); err != nil {
		t.Fatalf("test checkpoints missing (make fixtures): %v", err)
	}
	root := filepath.Join(t.TempDir(), "models")
	if err := os.CopyFS(root, os.DirFS(fixturesDir)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, kind := range promote {
		m, err := modelstore.ReadManifest(ctx, modelstore.NewLocal(root), kind, fixtureVersion)
		if err != nil {
			t.Fatal(err)
		}
		if err := modelstore.NewLocalPointer(root).Promote(ctx, m.Active()); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// openBundle opens a local bundle over root and a fresh SQLite store; extra
// overrides environment entries.
func openBundle(t testing.TB, root string, extra ...string) *bundle.Bundle {
	t.Helper()
	env := map[string]string{
		"MODELS_DIR": root, "INTERACTIONS_DB": filepath.Join(t.TempDir(), "i.db"),
		"ONNXRUNTIME_LIB": os.Getenv("ONNXRUNTIME_LIB"), "MODEL_TTL_SECONDS": "0",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	b, err := bundle.Open(context.Background(), cfg, bundle.Options{
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), MetricsOut: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func TestEventsHTTP(t *testing.T) {
	want := readExpected(t)
	names := evfiles.Names(want)
	root := fixtureRoot(t, checkpoint.NCF, checkpoint.Classifier)
	spec := loadOpenAPI(t)
	b := openBundle(t, root)
	bundles := map[string]*bundle.Bundle{"": b, "none": b, "jwt": openBundle(t, root, "AUTH_MODE", "jwt")}
	ctx := context.Background()
	err := b.Interactions.Add(ctx, []interactions.Interaction{
		{UserID: "u1", ItemID: "i1", Time: time.Now().Add(-time.Hour)},
		{UserID: "u1", ItemID: "i2", Time: time.Now().Add(-time.Minute)},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		exp := want[name]
		if exp.Function == bundle.Reload {
			continue
		}
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(eventsDir, name))
			if err != nil {
				t.Fatal(err)
			}
			eb, ok := bundles[exp.AuthMode]
			if !ok {
				t.Fatalf("unknown auth_mode %q", exp.AuthMode)
			}
			out, err := invoke(ctx, eb, exp.Function, raw)
			if err != nil {
				t.Fatal(err)
			}
			resp, ok := out.(events.APIGatewayV2HTTPResponse)
			if !ok {
				t.Fatalf("answer is %T, want an API Gateway response", out)
			}
			if resp.StatusCode != exp.Status {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, exp.Status, resp.Body)
			}
			if resp.Headers["X-Request-Id"] == "" {
				t.Error("no X-Request-Id header")
			}
			spec.check(t, raw, exp, resp)
			for _, c := range exp.Contains {
				if !strings.Contains(resp.Body, c) {
					t.Errorf("body does not contain %s: %s", c, resp.Body)
				}
			}
			if exp.Status >= 400 {
				var e struct {
					Error struct{ Code, Message string } `json:"error"`
				}
				if json.Unmarshal([]byte(resp.Body), &e) != nil || e.Error.Code == "" || e.Error.Message == "" {
					t.Errorf("error body %s is not {error:{code,message}}", resp.Body)
				}
			}
		})
	}
}

func TestEventsReload(t *testing.T) {
	want := readExpected(t)
	names := evfiles.Names(want)
	ctx := context.Background()
	for _, name := range names {
		exp := want[name]
		if exp.Function != bundle.Reload {
			continue
		}
		t.Run(name, func(t *testing.T) {
			root := fixtureRoot(t) // nothing promoted
			b := openBundle(t, root)
			raw, err := os.ReadFile(filepath.Join(eventsDir, name))
			if err != nil {
				t.Fatal(err)
			}
			out, err := invoke(ctx, b, bundle.Reload, raw)
			if err != nil {
				t.Fatal(err)
			}
			if ie, ok := out.(invokeError); ok {
				t.Fatalf("reload failed: %s", ie.ErrorMessage)
			}
			if r, ok := out.(*events.SQSEventResponse); ok && len(r.BatchItemFailures) > 0 {
				t.Fatalf("reload asks to retry %v", r.BatchItemFailures)
			}
			got := ""
			a, err := b.Pointer.Get(ctx, checkpoint.NCF)
			if err == nil {
				got = string(a.Kind) + "/" + a.Version
			}
			if got != exp.Active {
				t.Errorf("active after the event = %q, want %q", got, exp.Active)
			}
		})
	}
}

func TestInvokeRejectsMismatchedEvents(t *testing.T) {
	b := openBundle(t, t.TempDir())
	ctx := context.Background()
	api, _ := os.ReadFile(filepath.Join(eventsDir, "models-healthz.json"))
	s3, _ := os.ReadFile(filepath.Join(eventsDir, "reload-s3-manifest.json"))
	tests := []struct {
		name, fn string
		raw      []byte
		want     string
	}{
		{"api event to reload", "reload", api, "S3 or SQS"},
		{"s3 event to models", "models", s3, "API Gateway"},
		{"unknown function", "nope", api, "unknown HTTP function"},
		{"not json", "models", []byte("{"), "not JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := invoke(ctx, b, tc.fn, tc.raw)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestEventsWithoutModels(t *testing.T) {
	b := openBundle(t, fixtureRoot(t)) // checkpoints present, none promoted
	for _, tc := range []struct{ fn, event string }{
		{bundle.Recommend, "recommend-get.json"},
		{bundle.Recommend, "recommend-scores.json"},
		{bundle.Classify, "classify-text.json"},
	} {
		t.Run(tc.event, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(eventsDir, tc.event))
			if err != nil {
				t.Fatal(err)
			}
			out, err := invoke(context.Background(), b, tc.fn, raw)
			if err != nil {
				t.Fatal(err)
			}
			resp := out.(events.APIGatewayV2HTTPResponse)
			if resp.StatusCode != 503 || resp.Headers["Retry-After"] == "" ||
				!strings.Contains(resp.Body, `"code":"model_unavailable"`) {
				t.Errorf("got %d %v %s, want 503 model_unavailable with Retry-After", resp.StatusCode, resp.Headers, resp.Body)
			}
		})
	}
}
