package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

type echoBody struct {
	Name string `json:"name"`
	K    int    `json:"k"`
}

// newTestRouter registers the routes the tests use and logs into buf.
func newTestRouter(buf *bytes.Buffer, opts ...Option) *Router {
	opts = append([]Option{WithLogger(slog.New(slog.NewJSONHandler(buf, nil)))}, opts...)
	rt := NewRouter(opts...)
	rt.Handle("GET", "/v1/users/{user_id}/recommendations", func(_ context.Context, r *Request) (*Response, error) {
		if err := AuthorizeUser(r, r.PathParams["user_id"]); err != nil {
			return nil, err
		}
		return JSON(200, map[string]string{"user_id": r.PathParams["user_id"], "k": r.Query["k"]}), nil
	})
	rt.Handle("POST", "/v1/echo", func(_ context.Context, r *Request) (*Response, error) {
		var b echoBody
		if err := DecodeJSON(r, 64, &b); err != nil {
			return nil, err
		}
		return JSON(200, b), nil
	})
	rt.Handle("GET", "/v1/secret", func(context.Context, *Request) (*Response, error) {
		return nil, errors.New("dial tcp 10.0.0.7:5432: secret-password refused")
	})
	rt.Handle("GET", "/v1/panic", func(context.Context, *Request) (*Response, error) {
		panic("boom at secret place")
	})
	rt.Handle("GET", "/v1/nil", func(context.Context, *Request) (*Response, error) { return nil, nil })
	rt.Handle("GET", "/v1/unencodable", func(context.Context, *Request) (*Response, error) {
		return JSON(200, map[string]any{"f": func() {}}), nil
	})
	rt.Handle("GET", "/v1/busy", func(context.Context, *Request) (*Response, error) {
		return nil, Unavailable("no ncf model is loaded yet", 5)
	})
	rt.Handle("GET", "/v1/timeout", func(context.Context, *Request) (*Response, error) {
		return nil, context.DeadlineExceeded
	})
	return rt
}

func event(method, path, query, body string) events.APIGatewayV2HTTPRequest {
	return events.APIGatewayV2HTTPRequest{
		Version: "2.0", RawPath: path, RawQueryString: query, Body: body,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: "req-1", HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path},
		},
	}
}

type errShape struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func TestLambdaStatusAndErrors(t *testing.T) {
	tests := []struct {
		name, method, path, query, body string
		wantStatus                      int
		wantCode                        string // error code, "" for success
		wantMsg                         string // substring of the message
	}{
		{"ok get with param", "GET", "/v1/users/u1/recommendations", "k=3", "", 200, "", ""},
		{"escaped param", "GET", "/v1/users/u%20one/recommendations", "", "", 200, "", ""},
		{"escaped slash in param", "GET", "/v1/users/a%2Fb/recommendations", "", "", 400, "invalid_request", "path"},
		{"ok post", "POST", "/v1/echo", "", `{"name":"x","k":2}`, 200, "", ""},
		{"unknown route", "GET", "/v2/nothing", "", "", 404, "not_found", "no route"},
		{"wrong method", "DELETE", "/v1/echo", "", "", 405, "method_not_allowed", "POST"},
		{"malformed json", "POST", "/v1/echo", "", `{"name":`, 400, "invalid_request", "malformed JSON"},
		{"syntax error", "POST", "/v1/echo", "", `{"name" "x"}`, 400, "invalid_request", "malformed JSON"},
		{"wrong type", "POST", "/v1/echo", "", `{"k":"three"}`, 400, "invalid_request", `field "k" must be an integer`},
		{"fraction for int", "POST", "/v1/echo", "", `{"k":1.5}`, 400, "invalid_request", `field "k"`},
		{"array body", "POST", "/v1/echo", "", `[1,2]`, 400, "invalid_request", "must be a JSON object"},
		{"null body", "POST", "/v1/echo", "", `null`, 400, "invalid_request", "not null"},
		{"unknown field", "POST", "/v1/echo", "", `{"nme":"x"}`, 400, "invalid_request", `unknown field "nme"`},
		{"trailing data", "POST", "/v1/echo", "", `{"name":"x"} {}`, 400, "invalid_request", "after the JSON value"},
		{"trailing garbage", "POST", "/v1/echo", "", `{"name":"x"}x`, 400, "invalid_request", "after the JSON value"},
		{"empty body", "POST", "/v1/echo", "", `  `, 400, "invalid_request", "empty"},
		{"invalid utf-8", "POST", "/v1/echo", "", "{\"name\":\"\xff\xfe\"}", 400, "invalid_request", "UTF-8"},
		{"too large", "POST", "/v1/echo", "", `{"name":"` + strings.Repeat("a", 100) + `"}`, 413, "payload_too_large", "limit is 64"},
		{"internal error hidden", "GET", "/v1/secret", "", "", 500, "internal", "internal error"},
		{"panic recovered", "GET", "/v1/panic", "", "", 500, "internal", "internal error"},
		{"nil response", "GET", "/v1/nil", "", "", 500, "internal", "internal error"},
		{"unencodable body", "GET", "/v1/unencodable", "", "", 500, "internal", "internal error"},
		{"unavailable", "GET", "/v1/busy", "", "", 503, "model_unavailable", "no ncf model"},
		{"timeout", "GET", "/v1/timeout", "", "", 504, "timeout", "timed out"},
		{"malformed query", "GET", "/v1/users/u1/recommendations", "k=%zz", "", 400, "invalid_request", "query"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			rt := newTestRouter(&logs)
			resp, err := rt.Lambda(context.Background(), event(tc.method, tc.path, tc.query, tc.body))
			if err != nil {
				t.Fatalf("Lambda returned error %v", err)
			}
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", resp.StatusCode, tc.wantStatus, resp.Body)
			}
			if resp.Headers["X-Request-Id"] != "req-1" {
				t.Errorf("X-Request-Id = %q, want req-1", resp.Headers["X-Request-Id"])
			}
			if resp.Headers["Content-Type"] != "application/json" {
				t.Errorf("Content-Type = %q", resp.Headers["Content-Type"])
			}
			if allow := resp.Headers["Allow"]; (tc.wantStatus == 405) != (allow != "") || (allow != "" && allow != tc.wantMsg) {
				t.Errorf("Allow header %q on a %d answer", allow, tc.wantStatus)
			}
			if tc.wantCode == "" {
				return
			}
			var got errShape
			if err := json.Unmarshal([]byte(resp.Body), &got); err != nil {
				t.Fatalf("error body %q is not the error shape: %v", resp.Body, err)
			}
			if got.Error.Code != tc.wantCode || !strings.Contains(got.Error.Message, tc.wantMsg) {
				t.Errorf("error = %+v, want code %q message containing %q", got.Error, tc.wantCode, tc.wantMsg)
			}
			for _, leak := range []string{"secret", "boom", "10.0.0.7", "func()"} {
				if strings.Contains(resp.Body, leak) {
					t.Errorf("body %q leaks %q", resp.Body, leak)
				}
			}
		})
	}
}

func TestRetryAfterAndAllowHeaders(t *testing.T) {
	var logs bytes.Buffer
	rt := newTestRouter(&logs)
	resp, _ := rt.Lambda(context.Background(), event("GET", "/v1/busy", "", ""))
	if resp.Headers["Retry-After"] != "5" {
		t.Errorf("Retry-After = %q, want 5", resp.Headers["Retry-After"])
	}
	if got := Unavailable("x", 0).RetryAfter; got != 1 {
		t.Errorf("Unavailable(_, 0).RetryAfter = %d, want 1", got)
	}
}

func TestInternalErrorsAreLoggedWithRequestID(t *testing.T) {
	for _, path := range []string{"/v1/secret", "/v1/panic"} {
		var logs bytes.Buffer
		rt := newTestRouter(&logs)
		_, _ = rt.Lambda(context.Background(), event("GET", path, "", ""))
		var found bool
		for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("log line %q is not JSON: %v", line, err)
			}
			if rec["level"] == "ERROR" {
				found = true
				if rec["request_id"] != "req-1" {
					t.Errorf("%s: error log without request id: %v", path, rec)
				}
			}
		}
		if !found {
			t.Errorf("%s: no error logged; logs: %s", path, logs.String())
		}
	}
}

func TestLambdaBase64AndQueryFallback(t *testing.T) {
	var logs bytes.Buffer
	rt := newTestRouter(&logs)
	e := event("POST", "/v1/echo", "", "eyJuYW1lIjoiYiJ9") // {"name":"b"}
	e.IsBase64Encoded = true
	resp, _ := rt.Lambda(context.Background(), e)
	if resp.StatusCode != 200 || !strings.Contains(resp.Body, `"name":"b"`) {
		t.Errorf("base64 body: got %d %s", resp.StatusCode, resp.Body)
	}
	e.Body = "!!not base64"
	resp, _ = rt.Lambda(context.Background(), e)
	if resp.StatusCode != 400 {
		t.Errorf("bad base64: status %d, want 400", resp.StatusCode)
	}
	g := event("GET", "/v1/users/u1/recommendations", "", "")
	g.QueryStringParameters = map[string]string{"k": "7"}
	g.RequestContext.RequestID = ""
	resp, _ = rt.Lambda(context.Background(), g)
	if !strings.Contains(resp.Body, `"k":"7"`) {
		t.Errorf("query fallback: body %s", resp.Body)
	}
	if len(resp.Headers["X-Request-Id"]) != 32 {
		t.Errorf("generated request id %q, want 32 hex chars", resp.Headers["X-Request-Id"])
	}
}

func TestLambdaNamedStage(t *testing.T) {
	var logs bytes.Buffer
	rt := newTestRouter(&logs)
	e := event("GET", "/prod/v1/users/u1/recommendations", "", "")
	e.RequestContext.Stage = "prod"
	if resp, _ := rt.Lambda(context.Background(), e); resp.StatusCode != 200 {
		t.Errorf("named stage: %d %s", resp.StatusCode, resp.Body)
	}
	e.RequestContext.Stage = "$default"
	if resp, _ := rt.Lambda(context.Background(), e); resp.StatusCode != 404 {
		t.Errorf("$default stage keeps the path: %d %s", resp.StatusCode, resp.Body)
	}
}

func TestServeHTTP(t *testing.T) {
	var logs bytes.Buffer
	srv := httptest.NewServer(newTestRouter(&logs, WithMaxBody(1024)))
	defer srv.Close()
	tests := []struct {
		name, method, path, body, reqID string
		wantStatus                      int
		wantBody                        string
	}{
		{"get", "GET", "/v1/users/u%C3%A9/recommendations?k=2", "", "abc-1", 200, `"user_id":"ué"`},
		{"post", "POST", "/v1/echo", `{"name":"n"}`, "", 200, `"name":"n"`},
		{"body over router limit", "POST", "/v1/echo", strings.Repeat(" ", 2000), "", 413, "payload_too_large"},
		{"unknown", "GET", "/nope", "", "", 404, "not_found"},
		{"method", "PUT", "/v1/users/u/recommendations", "", "", 405, "method_not_allowed"},
		{"panic", "GET", "/v1/panic", "", "bad id with spaces", 500, `"message":"internal error"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			if tc.reqID != "" {
				req.Header.Set("X-Request-Id", tc.reqID)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus || !strings.Contains(string(b), tc.wantBody) {
				t.Errorf("got %d %s, want %d containing %s", resp.StatusCode, b, tc.wantStatus, tc.wantBody)
			}
			id := resp.Header.Get("X-Request-Id")
			switch {
			case tc.reqID == "abc-1" && id != "abc-1":
				t.Errorf("request id %q not reused", id)
			case id == "" || strings.Contains(id, " "):
				t.Errorf("bad request id header %q", id)
			}
			if tc.wantStatus == 405 && resp.Header.Get("Allow") != "GET" {
				t.Errorf("405 Allow header %q, want GET (body %s)", resp.Header.Get("Allow"), b)
			}
		})
	}
}

func TestRoutes(t *testing.T) {
	rt := NewRouter()
	rt.Handle("GET", "/b", nil)
	rt.Handle("POST", "/a", nil)
	rt.Handle("GET", "/b", nil)
	got := strings.Join(rt.Routes(), ",")
	if got != "GET /b,POST /a" {
		t.Errorf("Routes() = %s", got)
	}
}
