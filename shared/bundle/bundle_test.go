package bundle

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

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
			"POST /v1/recommendations", "POST /v1/scores", "PUT /v1/items/{item_id}"}},
		{[]string{Classify, Ingest}, []string{"DELETE /v1/users/{user_id}/interactions", "POST /v1/classify", "POST /v1/interactions"}},
		{nil, []string{"DELETE /v1/users/{user_id}/interactions", "GET /healthz", "GET /v1/items/{item_id}/similar", "GET /v1/models", "GET /v1/users/{user_id}/recommendations",
			"POST /v1/classify", "POST /v1/interactions", "POST /v1/recommendations", "POST /v1/scores", "PUT /v1/items/{item_id}"}},
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

// Each Lambda function builds only itself: the stores and models it uses, and
// the handler the Lambda runtime calls.
func TestForLambda(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("MODELS_DIR", filepath.Join(dir, "models"))
	t.Setenv("INTERACTIONS_DB", filepath.Join(dir, "db", "i.db"))
	t.Setenv("LOG_LEVEL", "error")
	for _, k := range []string{"MODELS_BUCKET", "ACTIVE_TABLE", "INTERACTIONS_TABLE", "POPULARITY_TABLE", "AWS_LAMBDA_FUNCTION_NAME"} {
		t.Setenv(k, "")
	}
	tests := []struct {
		fn           string
		routes       []string
		interactions bool
	}{
		{Recommend, []string{"GET /v1/users/{user_id}/recommendations", "POST /v1/scores"}, true},
		{Classify, []string{"POST /v1/classify"}, false},
		{Ingest, []string{"POST /v1/interactions"}, true},
		{Models, []string{"GET /healthz", "GET /v1/models"}, false},
		{Reload, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.fn, func(t *testing.T) {
			b, h, err := ForLambda(context.Background(), tc.fn)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if (b.Interactions != nil) != tc.interactions {
				t.Errorf("interactions store opened = %v, want %v", b.Interactions != nil, tc.interactions)
			}
			switch h := h.(type) {
			case func(context.Context, json.RawMessage) (*events.SQSEventResponse, error):
				if tc.fn != Reload {
					t.Errorf("%s got the reload handler", tc.fn)
				}
				resp, err := h(context.Background(), []byte(`{"Event":"s3:TestEvent"}`))
				if err != nil || resp != nil {
					t.Errorf("reload(test event) = %v, %v", resp, err)
				}
			case func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error):
				rt, _ := b.Router(tc.fn)
				for _, want := range tc.routes {
					if !slices.Contains(rt.Routes(), want) {
						t.Errorf("%s routes %v lack %s", tc.fn, rt.Routes(), want)
					}
				}
			default:
				t.Errorf("handler of %s is %T", tc.fn, h)
			}
			if got := b.Functions(); tc.fn != Reload && !slices.Equal(got, []string{tc.fn}) {
				t.Errorf("Functions() = %v, want only %s", got, tc.fn)
			}
		})
	}
}

func TestForLambdaConfigErrors(t *testing.T) {
	for _, k := range []string{"MODELS_DIR", "INTERACTIONS_DB", "MODELS_BUCKET", "ACTIVE_TABLE", "INTERACTIONS_TABLE", "POPULARITY_TABLE"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "recommend")
	if _, _, err := ForLambda(context.Background(), Recommend); err == nil ||
		!strings.Contains(err.Error(), "MODELS_BUCKET is required on Lambda") || !strings.Contains(err.Error(), "INTERACTIONS_TABLE is required on Lambda") {
		t.Errorf("ForLambda on Lambda without stores = %v, want every missing variable named", err)
	}
	t.Setenv("MODEL_TTL_SECONDS", "soon")
	if _, _, err := ForLambda(context.Background(), Models); err == nil || !strings.Contains(err.Error(), "MODEL_TTL_SECONDS") {
		t.Errorf("ForLambda with a bad TTL = %v, want an error naming MODEL_TTL_SECONDS", err)
	}
	if _, _, err := ForLambda(context.Background(), "gbdt"); err == nil || !strings.Contains(err.Error(), "unknown function") {
		t.Errorf("ForLambda(gbdt) = %v, want unknown function", err)
	}
}
