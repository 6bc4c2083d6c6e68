package recommend

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/contentml/mlbundle/shared/api"
)

func TestHandlerFiltersAndPagingBadInput(t *testing.T) {
	rt := newRouter(New(&fixedModels{m: newFake()}, &memStore{}, nil), nil, api.Auth{})
	const rec = "/v1/users/u0/recommendations"
	many := strings.TrimSuffix(strings.Repeat("i1,", MaxExclude+1), ",")
	users := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, `"u%d",`, i)
		}
		return `{"user_ids":[` + strings.TrimSuffix(b.String(), ",") + `]}`
	}
	cases := []struct {
		name, method, path, query, body string
		status                          int
		msgHas                          string
	}{
		{"offset negative", "GET", rec, "offset=-1", "", 400, "offset must be an integer in 0..990 for k=10"},
		{"offset too deep", "GET", rec, "k=100&offset=901", "", 400, "0..900 for k=100"},
		{"offset not a number", "GET", rec, "offset=x", "", 400, `offset`},
		{"exclude too many", "GET", rec, "exclude=" + many, "", 400, "exclude holds 101 item ids; at most 100"},
		{"exclude empty id", "GET", rec, "exclude=i1,,i2", "", 400, "exclude: item id 2 is empty"},
		{"exclude control char", "GET", rec, "exclude=i1%01", "", 400, "exclude[0] must not contain control characters"},
		{"batch no users", "POST", "/v1/recommendations", "", `{"user_ids":[]}`, 400, "user_ids must hold at least one"},
		{"batch too many users", "POST", "/v1/recommendations", "", users(MaxBatchUsers + 1), 413, "at most 50 per call"},
		{"batch blank user", "POST", "/v1/recommendations", "", `{"user_ids":["u0"," "]}`, 400, "user_ids[1] must not start or end with white space"},
		{"batch repeated user", "POST", "/v1/recommendations", "", `{"user_ids":["u0","u1","u0"]}`, 400, "user_ids[2] repeats user_ids[0]"},
		{"batch bad k", "POST", "/v1/recommendations", "", `{"user_ids":["u0"],"k":0}`, 400, "k must be in 1..100"},
		{"batch bad offset", "POST", "/v1/recommendations", "", `{"user_ids":["u0"],"offset":995}`, 400, "offset must be in 0..990"},
		{"batch bad exclude", "POST", "/v1/recommendations", "", `{"user_ids":["u0"],"exclude":[""]}`, 400, "exclude[0] must not be empty"},
		{"batch wrong type", "POST", "/v1/recommendations", "", `{"user_ids":"u0"}`, 400, "user_ids"},
		{"batch unknown field", "POST", "/v1/recommendations", "", `{"user_ids":["u0"],"kk":1}`, 400, "unknown field"},
		{"batch wrong method", "GET", "/v1/recommendations", "", "", 405, "allowed: POST"},
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

func TestHandlerPagesAndExcludes(t *testing.T) {
	rt := newRouter(New(&fixedModels{m: newFake()}, &memStore{}, nil), nil, api.Auth{})
	// u0 ranks i5 > i4 > ... > i0; excluding i4 and paging by 2 walks i5 i3 | i2 i1 | i0.
	var walked []string
	for offset := 0; offset < 6; offset += 2 {
		status, out, _ := call(t, rt, "GET", "/v1/users/u0/recommendations",
			fmt.Sprintf("k=2&offset=%d&exclude=i4", offset), "", "")
		if status != 200 || out["offset"] != float64(offset) {
			t.Fatalf("offset %d: %d %v", offset, status, out)
		}
		for r, it := range out["items"].([]any) {
			item := it.(map[string]any)
			if item["rank"] != float64(offset+r+1) {
				t.Errorf("offset %d item %d rank %v", offset, r, item["rank"])
			}
			walked = append(walked, item["item_id"].(string))
		}
	}
	if got := strings.Join(walked, ","); got != "i5,i3,i2,i1,i0" {
		t.Errorf("pages walked %s, want i5,i3,i2,i1,i0", got)
	}
}

func TestHandlerBatch(t *testing.T) {
	store := &memStore{seen: map[string]map[string]struct{}{"u0": set("i5")}}
	rt := newRouter(New(&fixedModels{m: newFake()}, store, nil), nil,
		api.Auth{Mode: api.AuthJWT, ServiceScope: api.DefaultServiceScope})
	body := `{"user_ids":["u0","u1","newcomer"],"k":2,"exclude":["i0"]}`
	status, out, _ := call(t, rt, "POST", "/v1/recommendations", "", body, "u0")
	if status != 403 {
		t.Fatalf("a user asking for others: %d %v, want 403", status, out)
	}
	status, out, _ = call(t, rt, "POST", "/v1/recommendations", "", `{"user_ids":["u0"],"k":2}`, "u0")
	if status != 200 {
		t.Fatalf("own user in a batch: %d %v", status, out)
	}
	status, out, _ = callScoped(t, rt, "/v1/recommendations", body)
	if status != 200 || out["model_version"] != "v-test" {
		t.Fatalf("service batch: %d %v", status, out)
	}
	results := out["results"].(map[string]any)
	want := map[string]string{"u0": "i4,i3", "u1": "i1,i2", "newcomer": "i3,i1"}
	for user, items := range want {
		r, ok := results[user].(map[string]any)
		if !ok {
			t.Errorf("no result for %s: %v", user, results)
			continue
		}
		var got []string
		for _, it := range r["items"].([]any) {
			got = append(got, it.(map[string]any)["item_id"].(string))
		}
		if strings.Join(got, ",") != items || r["user_id"] != user {
			t.Errorf("%s: items %v, want %s", user, got, items)
		}
	}
	if len(results) != len(want) {
		t.Errorf("results for %d users, want %d", len(results), len(want))
	}
}

// callScoped posts body to path as a backend service: a token with the service scope.
func callScoped(t *testing.T, rt *api.Router, path, body string) (int, map[string]any, map[string]string) {
	t.Helper()
	e := events.APIGatewayV2HTTPRequest{RawPath: path, Body: body}
	e.RequestContext.HTTP.Method = "POST"
	e.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
		JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
			Claims: map[string]string{"sub": "backend"}, Scopes: []string{api.DefaultServiceScope}},
	}
	resp, err := rt.Lambda(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &out); err != nil {
		t.Fatalf("body %q is not JSON: %v", resp.Body, err)
	}
	return resp.StatusCode, out, resp.Headers
}
