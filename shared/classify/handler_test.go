package classify

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/contentml/mlbundle/shared/api"
	"github.com/contentml/mlbundle/shared/modelstore"
)

// eventsDir holds the API Gateway HTTP API v2 events shared with
// `mlbundle invoke`.
var eventsDir = filepath.Join("..", "..", "events")

func loadEvent(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(eventsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	var e events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return e
}

func router(models Models) *api.Router {
	rt := api.NewRouter(api.WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))))
	NewHandler(models).Register(rt)
	return rt
}

type errorBody struct {
	Error struct{ Code, Message string } `json:"error"`
}

func TestHandlerEvents(t *testing.T) {
	m, _ := fakeModel(t, 32)
	rt := router(fakeModels{model: m})
	tests := []struct {
		event   string
		status  int
		code    string // error code, for errors
		message string // part of the error message
		results int    // result count, for 200
	}{
		{"classify-text.json", 200, "", "", 1},
		{"classify-texts-top-k.json", 200, "", "", 2},
		{"classify-empty-text.json", 400, "invalid_request", "text is empty", 0},
		{"classify-invalid-utf8.json", 400, "invalid_request", "UTF-8", 0},
		{"classify-malformed-json.json", 400, "invalid_request", "malformed JSON", 0},
		{"classify-unknown-field.json", 400, "invalid_request", "unknown field", 0},
		{"classify-wrong-type.json", 400, "invalid_request", `"text"`, 0},
		{"classify-wrong-method.json", 405, "method_not_allowed", "POST", 0},
		{"classify-too-long.json", 413, "payload_too_large", "text is 17600 bytes", 0},
		{"classify-too-many-texts.json", 413, "payload_too_large", "65 texts", 0},
		{"classify-bad-threshold.json", 400, "invalid_request", "threshold", 0},
		{"classify-bad-top-k.json", 400, "invalid_request", "top_k must be at least 1", 0},
		{"classify-text-and-texts.json", 400, "invalid_request", "not both", 0},
	}
	for _, tc := range tests {
		t.Run(tc.event, func(t *testing.T) {
			resp, err := rt.Lambda(context.Background(), loadEvent(t, tc.event))
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tc.status, resp.Body)
			}
			if tc.status == 200 {
				var got Response
				if err := json.Unmarshal([]byte(resp.Body), &got); err != nil {
					t.Fatal(err)
				}
				if got.ModelVersion != "v-fake" || len(got.Results) != tc.results {
					t.Errorf("answer %s", resp.Body)
				}
				return
			}
			var got errorBody
			if err := json.Unmarshal([]byte(resp.Body), &got); err != nil {
				t.Fatal(err)
			}
			if got.Error.Code != tc.code || !strings.Contains(got.Error.Message, tc.message) {
				t.Errorf("error %+v, want code %s mentioning %q", got.Error, tc.code, tc.message)
			}
		})
	}
}

func TestHandlerAnswers(t *testing.T) {
	m, _ := fakeModel(t, 32)
	rt := router(fakeModels{model: m})
	tests := []struct {
		name   string
		body   string
		status int
		want   string
	}{
		{"top_k above the label count", `{"text": "oil", "top_k": 4}`, 400,
			`{"error":{"code":"invalid_request","message":"top_k must be within 1..3 (the label count), got 4"}}`},
		{"single text", `{"text": "Oil prices rose"}`, 200,
			`{"model_version":"v-fake","results":[{"labels":[{"code":"crude","name":"Crude oil","score":0.8807970779778823}],"truncated":false}]}`},
		{"batch with top_k and threshold", `{"texts": ["gold gold wheat", "price"], "top_k": 1, "threshold": 0.5}`, 200,
			`{"model_version":"v-fake","results":[{"labels":[{"code":"gold","name":"Gold","score":0.9975273768433653}],"truncated":false},{"labels":[],"truncated":false}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/v1/classify", strings.NewReader(tc.body))
			rec := httptest.NewRecorder()
			rt.ServeHTTP(rec, req)
			if rec.Code != tc.status || strings.TrimSpace(rec.Body.String()) != tc.want {
				t.Errorf("got %d %s\nwant %d %s", rec.Code, rec.Body.String(), tc.status, tc.want)
			}
		})
	}
}

func TestHandlerNoModel(t *testing.T) {
	noModel := &modelstore.NoModelError{Kind: "classifier", Where: "s3://bucket/models/classifier/", RetryAfter: 7, Err: errors.New("no ACTIVE pointer")}
	tests := []struct {
		name   string
		err    error
		status int
		retry  string
		code   string
	}{
		{"no model yet", noModel, 503, "7", "model_unavailable"},
		{"other failure stays internal", errors.New("disk on fire"), 500, "", "internal"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := router(fakeModels{err: tc.err}).Lambda(context.Background(), loadEvent(t, "classify-text.json"))
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status || resp.Headers["Retry-After"] != tc.retry {
				t.Errorf("status %d Retry-After %q, want %d %q", resp.StatusCode, resp.Headers["Retry-After"], tc.status, tc.retry)
			}
			if !strings.Contains(resp.Body, tc.code) || strings.Contains(resp.Body, "fire") || strings.Contains(resp.Body, "bucket") {
				t.Errorf("body %s: want code %s and no internal detail", resp.Body, tc.code)
			}
		})
	}
}

func TestHandlerLimits(t *testing.T) {
	m, _ := fakeModel(t, 32)
	rt := router(fakeModels{model: m})
	body := func(v any) string {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	texts := func(n int) []string { return slices.Repeat([]string{"oil"}, n) }
	tests := []struct {
		name   string
		body   string
		status int
		want   string
	}{
		{"64 texts", body(map[string]any{"texts": texts(MaxTexts)}), 200, `"model_version"`},
		{"65 texts", body(map[string]any{"texts": texts(MaxTexts + 1)}), 413, "limit is 64"},
		{"text at the byte limit", body(map[string]any{"text": strings.Repeat("oil ", MaxTextBytes/4)}), 200, `"truncated":true`},
		{"text over the byte limit", body(map[string]any{"text": strings.Repeat("a", MaxTextBytes+1)}), 413, "text is 16385 bytes"},
		{"empty texts", `{"texts": []}`, 400, "texts\\\" is empty"},
		{"whitespace text in batch", `{"texts": ["oil", " \n\t"]}`, 400, "texts[1] is empty"},
		{"only NUL", `{"text": "\u0000\u0000"}`, 400, "text is empty"},
		{"only control characters", `{"texts": ["oil", "\u0001\u007f\u0085\u001b"]}`, 400, "texts[1] is empty"},
		{"only zero-width characters", `{"text": "\u200b\u200c\u200d\u2060\ufeff"}`, 400, "text is empty"},
		// JSON decoding turns a lone surrogate into U+FFFD, which the tokenizer drops
		{"only a lone surrogate", `{"text": "\ud800"}`, 400, "text is empty"},
		{"one letter among invisible characters", `{"text": "\u200bx\u0000"}`, 200, ""},
		{"wrong element type", `{"texts": ["oil", 3]}`, 400, "texts"},
		{"no text", `{"top_k": 1}`, 400, "is required"},
		{"null text", `{"text": null}`, 400, "is required"},
		{"fractional top_k", `{"text": "oil", "top_k": 1.5}`, 400, "top_k"},
		{"negative threshold", `{"text": "oil", "threshold": -0.1}`, 400, "threshold"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			rt.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/classify", strings.NewReader(tc.body)))
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
				t.Errorf("got %d %s, want %d containing %s", rec.Code, rec.Body.String(), tc.status, tc.want)
			}
		})
	}
}
