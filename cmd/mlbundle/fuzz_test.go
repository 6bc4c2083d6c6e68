package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/contentml/mlbundle/shared/checkpoint"
)

// FuzzRoutes sends arbitrary requests (method, path, query, body) to every route of the
// bundle over the fixture models, through both adapters (Lambda and net/http). Whatever
// the input: no 500 and no panic, and every answer is JSON; an error answer has the one
// error shape with a code and a message. Seeds: testdata/fuzz/FuzzRoutes, one per event
// in events/.
func FuzzRoutes(f *testing.F) {
	f.Add("GET", "/v1/users/u1/recommendations", "k=5", []byte(nil))
	f.Add("POST", "/v1/classify", "", []byte(`{"texts":["oil prices","wheat"],"top_k":2}`))
	f.Add("POST", "/v1/interactions", "", []byte(`{"interactions":[{"user_id":"u1","item_id":"i1"}]}`))
	f.Add("POST", "/v1/scores", "", []byte(`{"user_id":"u1","item_ids":["i1","zz"]}`))
	f.Add("DELETE", "/v1/users/u1/interactions", "", []byte(nil))
	f.Add("GET", "/v1/models", "", []byte(nil))
	b := openBundle(f, fixtureRoot(f, checkpoint.NCF, checkpoint.Classifier))
	rt, err := b.Router()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, path, query string, body []byte) {
		if len(body) > 1<<20 || !strings.HasPrefix(path, "/") {
			return
		}
		resp, err := rt.Lambda(context.Background(), events.APIGatewayV2HTTPRequest{
			Version: "2.0", RawPath: path, RawQueryString: query, Body: string(body),
			RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: "fuzz",
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path}},
		})
		if err != nil {
			t.Fatalf("Lambda adapter error: %v", err)
		}
		checkAnswer(t, "lambda", resp.StatusCode, []byte(resp.Body))
		req := httptest.NewRequest("GET", "/", strings.NewReader(string(body)))
		req.Method, req.URL.Path, req.URL.RawPath, req.URL.RawQuery = method, path, "", query
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, req)
		checkAnswer(t, "http", w.Code, w.Body.Bytes())
	})
}

func checkAnswer(t *testing.T, adapter string, status int, body []byte) {
	t.Helper()
	if status >= 500 {
		t.Fatalf("%s: status %d: %s", adapter, status, body)
	}
	if len(body) == 0 {
		return
	}
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("%s: answer is not a JSON object: %q", adapter, body)
	}
	if status >= 400 {
		e, _ := out["error"].(map[string]any)
		code, _ := e["code"].(string)
		msg, _ := e["message"].(string)
		if code == "" || msg == "" {
			t.Fatalf("%s: %d without the error shape: %s", adapter, status, body)
		}
	}
}
