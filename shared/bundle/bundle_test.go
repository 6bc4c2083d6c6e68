package bundle

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/contentml/mlbundle/shared/config"
)

func openLocal(t *testing.T) *Bundle {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{"MODELS_DIR": filepath.Join(dir, "models"), "INTERACTIONS_DB": filepath.Join(dir, "db", "i.db")}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(context.Background(), cfg, Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), MetricsOut: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func TestRoutersPerFunction(t *testing.T) {
	b := openLocal(t)
	if got, want := b.Functions(), []string{Classify, Ingest, Models, Recommend}; !slices.Equal(got, want) {
		t.Fatalf("Functions() = %v, want %v", got, want)
	}
	tests := []struct {
		fns  []string
		want []string
	}{
		{[]string{Models}, []string{"GET /healthz", "GET /v1/models"}},
		{[]string{Recommend}, []string{"GET /v1/items/{item_id}/similar", "GET /v1/users/{user_id}/recommendations",
			"POST /v1/recommendations", "POST /v1/scores"}},
		{[]string{Classify, Ingest}, []string{"DELETE /v1/users/{user_id}/interactions", "POST /v1/classify", "POST /v1/interactions"}},
		{nil, []string{"DELETE /v1/users/{user_id}/interactions", "GET /healthz", "GET /v1/items/{item_id}/similar", "GET /v1/models", "GET /v1/users/{user_id}/recommendations",
			"POST /v1/classify", "POST /v1/interactions", "POST /v1/recommendations", "POST /v1/scores"}},
	}
	for _, tc := range tests {
		rt, err := b.Router(tc.fns...)
		if err != nil {
			t.Fatal(err)
		}
		if got := rt.Routes(); !slices.Equal(got, tc.want) {
			t.Errorf("Router(%v).Routes() = %v, want %v", tc.fns, got, tc.want)
		}
	}
	if _, err := b.Router("reload"); err == nil || !strings.Contains(err.Error(), "unknown HTTP function") {
		t.Errorf("Router(reload) = %v, want an unknown-function error", err)
	}
}

func TestLocalDefaults(t *testing.T) {
	b := openLocal(t)
	if b.Config.UsesS3() || b.Config.UsesDynamo() || b.Reload == nil || b.Interactions == nil {
		t.Errorf("local bundle: %+v", b)
	}
	if err := b.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
