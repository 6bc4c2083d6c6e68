package recommend

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/contentml/mlbundle/shared/api"
	"github.com/contentml/mlbundle/shared/interactions"
)

// call sends one API Gateway HTTP API v2 event through a router holding the recommend
// and ingest routes; sub, when set, is the caller's verified JWT subject.
func call(t *testing.T, rt *api.Router, method, path, query, body, sub string) (int, map[string]any, map[string]string) {
	t.Helper()
	e := events.APIGatewayV2HTTPRequest{RawPath: path, RawQueryString: query, Body: body}
	e.RequestContext.HTTP.Method = method
	if sub != "" {
		e.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{"sub": sub}},
		}
	}
	resp, err := rt.Lambda(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &out); err != nil {
		t.Fatalf("%s %s: body %q is not JSON: %v", method, path, resp.Body, err)
	}
	return resp.StatusCode, out, resp.Headers
}

func newRouter(svc *Service, store interactions.Store, auth api.Auth) *api.Router {
	rt := api.NewRouter(api.WithAuth(auth), api.WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))))
	NewHandler(svc).Register(rt)
	if store != nil {
		interactions.NewHandler(store).Register(rt)
	}
	return rt
}

func errCode(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func errMessage(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	msg, _ := e["message"].(string)
	return msg
}

func TestHandlerBadInput(t *testing.T) {
	rt := newRouter(New(&fixedModels{m: newFake()}, &memStore{}, nil), nil, api.Auth{})
	const rec = "/v1/users/u0/recommendations"
	cases := []struct {
		name, method, path, query, body string
		status                          int
		msgHas                          string
	}{
		{"k zero", "GET", rec, "k=0", "", 400, "k must be an integer in 1..100"},
		{"k too big", "GET", rec, "k=101", "", 400, "1..100"},
		{"k not a number", "GET", rec, "k=ten", "", 400, `"ten"`},
		{"bad bool", "GET", rec, "exclude_seen=maybe", "", 400, "exclude_seen"},
		{"blank user", "GET", "/v1/users/%20/recommendations", "", "", 400, "user_id"},
		{"no user segment", "GET", "/v1/users//recommendations", "", "", 404, ""},
		{"wrong method", "POST", rec, "", "", 405, ""},
		{"scores malformed", "POST", "/v1/scores", "", `{"user_id":`, 400, "malformed"},
		{"scores wrong type", "POST", "/v1/scores", "", `{"user_id":"u0","item_ids":"i1"}`, 400, "item_ids"},
		{"scores unknown field", "POST", "/v1/scores", "", `{"user_id":"u0","item_ids":["i1"],"x":1}`, 400, "unknown field"},
		{"scores missing user", "POST", "/v1/scores", "", `{"item_ids":["i1"]}`, 400, "user_id is required"},
		{"scores no items", "POST", "/v1/scores", "", `{"user_id":"u0","item_ids":[]}`, 400, "1..1000"},
		{"scores too many items", "POST", "/v1/scores", "", `{"user_id":"u0","item_ids":[` +
			strings.TrimSuffix(strings.Repeat(`"i1",`, MaxScoreItems+1), ",") + `]}`, 413, "at most 1000"},
		{"scores bad item", "POST", "/v1/scores", "", `{"user_id":"u0","item_ids":["ok",""]}`, 400, "item_ids[1]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, out, _ := call(t, rt, tc.method, tc.path, tc.query, tc.body, "")
			if status != tc.status || !strings.Contains(errMessage(out), tc.msgHas) {
				t.Errorf("status %d body %v, want %d with message containing %q", status, out, tc.status, tc.msgHas)
			}
		})
	}
}

func TestHandlerAnswers(t *testing.T) {
	rt := newRouter(New(&fixedModels{m: newFake()}, &memStore{}, nil), nil, api.Auth{})
	status, out, _ := call(t, rt, "GET", "/v1/users/u0/recommendations", "k=2&exclude_seen=false", "", "")
	if status != 200 {
		t.Fatalf("status %d: %v", status, out)
	}
	for _, key := range []string{"user_id", "items", "strategy", "cold_start", "confidence", "model_version"} {
		if _, ok := out[key]; !ok {
			t.Errorf("response lacks %q: %v", key, out)
		}
	}
	items := out["items"].([]any)
	first := items[0].(map[string]any)
	if len(items) != 2 || first["item_id"] != "i5" || first["rank"] != 1.0 || first["score"] == nil {
		t.Errorf("items = %v", items)
	}
	status, out, _ = call(t, rt, "GET", "/v1/users/u0/recommendations", "", "", "")
	if status != 200 || len(out["items"].([]any)) != 6 {
		t.Errorf("default k: %d %v", status, out)
	}
	status, out, _ = call(t, rt, "POST", "/v1/scores", "", `{"user_id":"ghost","item_ids":["i1","zz"]}`, "")
	if status != 200 || out["known_user"] != false || len(out["unknown_items"].([]any)) != 1 {
		t.Errorf("scores for an unknown user: %d %v", status, out)
	}
}

func TestHandlerNoModel(t *testing.T) {
	rt := newRouter(New(&fixedModels{err: noModel}, nil, nil), nil, api.Auth{})
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/v1/users/u0/recommendations", ""},
		{"POST", "/v1/scores", `{"user_id":"u0","item_ids":["i1"]}`},
	} {
		status, out, headers := call(t, rt, c.method, c.path, "", c.body, "")
		if status != 503 || errCode(out) != "model_unavailable" || headers["Retry-After"] != "7" {
			t.Errorf("%s %s: %d %v %v, want 503 with Retry-After 7", c.method, c.path, status, out, headers)
		}
		if strings.Contains(errMessage(out), "ACTIVE") {
			t.Errorf("internal detail leaked: %q", errMessage(out))
		}
	}
}

func TestHandlerAuthorizesUser(t *testing.T) {
	rt := newRouter(New(&fixedModels{m: newFake()}, &memStore{}, nil), nil,
		api.Auth{Mode: api.AuthJWT, ServiceScope: api.DefaultServiceScope})
	if status, _, _ := call(t, rt, "GET", "/v1/users/u0/recommendations", "", "", "u0"); status != 200 {
		t.Errorf("own user: %d, want 200", status)
	}
	if status, out, _ := call(t, rt, "GET", "/v1/users/u0/recommendations", "", "", "u1"); status != 403 {
		t.Errorf("other user: %d %v, want 403", status, out)
	}
	if status, _, _ := call(t, rt, "POST", "/v1/scores", "", `{"user_id":"u0","item_ids":["i1"]}`, "u1"); status != 403 {
		t.Errorf("scores for another user: %d, want 403", status)
	}
}
