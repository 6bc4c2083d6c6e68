package recommend

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/contentml/mlbundle/shared/api"
	"github.com/contentml/mlbundle/shared/items"
)

// memItems is an in-memory items.Store; err fails every Put.
type memItems struct {
	items   []items.Item
	err     error
	expired int
}

func (s *memItems) Put(_ context.Context, it items.Item) error {
	if s.err != nil {
		return s.err
	}
	s.items = slices.DeleteFunc(s.items, func(x items.Item) bool { return x.ItemID == it.ItemID })
	s.items = append(s.items, it)
	return nil
}
func (s *memItems) Items(context.Context) ([]items.Item, time.Time, error) {
	return s.items, time.Time{}, nil
}
func (s *memItems) Expire() { s.expired++ }

func TestRegisterItem(t *testing.T) {
	m := newTextFake()
	m.place["Rocket launch. A new space rocket"] = []float32{3, 0}
	store := &memItems{}
	svc := New(&fixedModels{m: m}, &memStore{}, nil, WithNewItems(store), WithItemWriter(store))
	rt := newRouter(svc, nil, api.Auth{})

	code, out, _ := call(t, rt, http.MethodPut, "/v1/items/n_new", "", `{"title": "Rocket launch", "description": "A new space rocket", "category": "space"}`, "")
	if code != http.StatusOK || out["in_model"] != false || out["model_version"] != "v-test" || out["embedding_dim"] != 2.0 {
		t.Fatalf("register: %d %v", code, out)
	}
	if len(store.items) != 1 || !slices.Equal(store.items[0].Embedding, []float32{3, 0}) || store.items[0].ModelVersion != "v-test" ||
		store.items[0].Category != "space" || store.expired != 1 {
		t.Fatalf("stored %+v (expired %d)", store.items, store.expired)
	}
	// at once: the next answer holds it, flagged (u0 scores it 3, above i5's 2.5)
	res, err := svc.RecommendQuery(context.Background(), Query{UserID: "u0", K: 2})
	if err != nil || !slices.Equal(flagged(res.Items), []string{"n_new", "i5"}) || !res.Items[0].ColdStart {
		t.Fatalf("after registering: %v, %v", res, err)
	}
	// a trained item: the text is kept, the trained embedding serves
	code, out, _ = call(t, rt, http.MethodPut, "/v1/items/i3", "", `{"title": "Known"}`, "")
	if code != http.StatusOK || out["in_model"] != true || out["embedding_dim"] != 0.0 || store.items[1].Embedding != nil {
		t.Fatalf("register a trained item: %d %v %+v", code, out, store.items)
	}
}

func TestRegisterItemErrors(t *testing.T) {
	long := strings.Repeat("a", items.MaxTitleBytes+1)
	tests := []struct {
		name       string
		model      Model
		storeErr   error
		path, body string
		sub        string // a JWT subject without the service scope
		wantStatus int
		wantCode   string
		wantInMsg  string
	}{
		{"no title", newTextFake(), nil, "/v1/items/n1", `{"description": "d"}`, "", 400, "invalid_request", "title is required"},
		{"long title", newTextFake(), nil, "/v1/items/n1", `{"title": "` + long + `"}`, "", 400, "invalid_request", "title must be at most"},
		{"bad category", newTextFake(), nil, "/v1/items/n1", `{"title": "t", "category": " "}`, "", 400, "invalid_request", "category"},
		{"control in description", newTextFake(), nil, "/v1/items/n1", `{"title": "t", "description": "a\u0001"}`, "", 400, "invalid_request", "description"},
		{"unknown field", newTextFake(), nil, "/v1/items/n1", `{"title": "t", "price": 3}`, "", 400, "invalid_request", "price"},
		{"wrong type", newTextFake(), nil, "/v1/items/n1", `{"title": 3}`, "", 400, "invalid_request", "title"},
		{"not json", newTextFake(), nil, "/v1/items/n1", `title`, "", 400, "invalid_request", ""},
		{"id too long", newTextFake(), nil, "/v1/items/" + strings.Repeat("x", 300), `{"title": "t"}`, "", 400, "invalid_request", "item_id"},
		{"model cannot place", newFake(), nil, "/v1/items/n1", `{"title": "t"}`, "", 409, "cannot_place", "trained without item texts"},
		{"store down", newTextFake(), errors.New("throttled"), "/v1/items/n1", `{"title": "Top"}`, "", 503, "store_unavailable", ""},
		{"no service scope", newTextFake(), nil, "/v1/items/n1", `{"title": "Top"}`, "u0", 403, "forbidden", "service scope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store := &memItems{err: tc.storeErr}
			svc := New(&fixedModels{m: tc.model}, &memStore{}, nil, WithNewItems(store), WithItemWriter(store))
			auth := api.Auth{}
			if tc.sub != "" {
				auth = api.Auth{Mode: api.AuthJWT, ServiceScope: api.DefaultServiceScope}
			}
			code, out, _ := call(t, newRouter(svc, nil, auth), http.MethodPut, tc.path, "", tc.body, tc.sub)
			if code != tc.wantStatus || errCode(out) != tc.wantCode || !strings.Contains(errMessage(out), tc.wantInMsg) {
				t.Fatalf("got %d %v, want %d %s containing %q", code, out, tc.wantStatus, tc.wantCode, tc.wantInMsg)
			}
			if len(store.items) != 0 {
				t.Fatalf("a refused registration stored %+v", store.items)
			}
		})
	}
	// no model yet: 503 with Retry-After
	store := &memItems{}
	svc := New(&fixedModels{err: noModel}, &memStore{}, nil, WithItemWriter(store))
	code, out, hdr := call(t, newRouter(svc, nil, api.Auth{}), http.MethodPut, "/v1/items/n1", "", `{"title": "t"}`, "")
	if code != 503 || errCode(out) != "model_unavailable" || hdr["Retry-After"] == "" {
		t.Fatalf("no model: %d %v %v", code, out, hdr)
	}
}

// TestRegisterWithServiceScope: under JWT a token with the service scope registers.
func TestRegisterWithServiceScope(t *testing.T) {
	store := &memItems{}
	svc := New(&fixedModels{m: newTextFake()}, &memStore{}, nil, WithNewItems(store), WithItemWriter(store))
	rt := newRouter(svc, nil, api.Auth{Mode: api.AuthJWT, ServiceScope: api.DefaultServiceScope})
	e := events.APIGatewayV2HTTPRequest{RawPath: "/v1/items/n1", Body: `{"title": "Top"}`}
	e.RequestContext.HTTP.Method = http.MethodPut
	e.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
		JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
			Claims: map[string]string{"sub": "catalogue", "scope": "openid " + api.DefaultServiceScope}},
	}
	resp, err := rt.Lambda(context.Background(), e)
	if err != nil || resp.StatusCode != 200 || len(store.items) != 1 {
		t.Fatalf("service scope: %v %+v", err, resp)
	}
}
