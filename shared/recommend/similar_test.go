package recommend

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/contentml/mlbundle/shared/api"
)

func TestSimilar(t *testing.T) {
	ctx := context.Background()
	store := &memStore{seen: map[string]map[string]struct{}{"u0": set("i2", "i5")}}
	svc := New(&fixedModels{m: newFake()}, store, nil)
	// Vectors lie at 0, 30, ..., 150 degrees: from i0 the order is i1 i2 i3 i4 i5.
	cases := []struct {
		name string
		q    Query
		want string
	}{
		{"all", Query{K: 10}, "i1,i2,i3,i4,i5"},
		{"page", Query{K: 2, Offset: 1}, "i2,i3"},
		{"exclude", Query{K: 3, Exclude: []string{"i1", "i3"}}, "i2,i4,i5"},
		{"user's history", Query{K: 3, UserID: "u0", ExcludeSeen: true}, "i1,i3,i4"},
		{"user, history kept", Query{K: 3, UserID: "u0"}, "i1,i2,i3"},
		{"history and exclude", Query{K: 10, UserID: "u0", ExcludeSeen: true, Exclude: []string{"i1"}}, "i3,i4"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := svc.Similar(ctx, "i0", tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(ids(res.Items), ","); got != tc.want {
				t.Errorf("similar to i0 = %s, want %s", got, tc.want)
			}
			if res.ItemID != "i0" || res.ModelVersion != "v-test" || res.Offset != tc.q.Offset {
				t.Errorf("result header %+v", res)
			}
			if len(res.Items) > 0 && (res.Items[0].Rank != tc.q.Offset+1 || res.Items[0].Score > 1) {
				t.Errorf("first item %+v", res.Items[0])
			}
		})
	}
	res, _ := svc.Similar(ctx, "i0", Query{K: 1})
	if !near(res.Items[0].Score, 0.8660254) {
		t.Errorf("score of i1 = %v, want cos 30deg", res.Items[0].Score)
	}
	if _, err := svc.Similar(ctx, "nope", Query{K: 1}); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `item "nope" is not in model version v-test`) {
		t.Errorf("unknown item: %v", err)
	}
	plain := newFake()
	plain.vectors = nil
	if _, err := New(&fixedModels{m: plain}, nil, nil).Similar(ctx, "i0", Query{K: 1}); !errors.Is(err, ErrNotFound) {
		t.Errorf("no vectors: %v, want ErrNotFound", err)
	}
	failing := New(&fixedModels{m: newFake()}, &memStore{seenErr: errStore}, nil)
	if _, err := failing.Similar(ctx, "i0", Query{K: 1, UserID: "u0", ExcludeSeen: true}); !errors.Is(err, errStore) {
		t.Errorf("store failure: %v, want it passed on", err)
	}
}

func TestHandlerSimilar(t *testing.T) {
	store := &memStore{seen: map[string]map[string]struct{}{"u0": set("i1")}}
	rt := newRouter(New(&fixedModels{m: newFake()}, store, nil), nil,
		api.Auth{Mode: api.AuthJWT, ServiceScope: api.DefaultServiceScope})
	status, out, _ := call(t, rt, "GET", "/v1/items/i0/similar", "k=2&user_id=u0", "", "u0")
	if status != 200 || out["item_id"] != "i0" {
		t.Fatalf("similar with own user: %d %v", status, out)
	}
	if first := out["items"].([]any)[0].(map[string]any); first["item_id"] != "i2" {
		t.Errorf("first similar item %v, want i2 (i1 seen)", first)
	}
	cases := []struct {
		name, path, query, sub string
		status                 int
		msgHas                 string
	}{
		{"unknown item", "/v1/items/zz/similar", "", "u0", 404, `item "zz" is not in model version v-test`},
		{"other user", "/v1/items/i0/similar", "user_id=u1", "u0", 403, "user u1"},
		{"empty user", "/v1/items/i0/similar", "user_id=", "u0", 400, "user_id must not be empty"},
		{"bad k", "/v1/items/i0/similar", "k=0", "u0", 400, "k must be an integer"},
		{"bad offset", "/v1/items/i0/similar", "offset=-2", "u0", 400, "offset"},
		{"blank item", "/v1/items/%20/similar", "", "u0", 400, "item_id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, out, _ := call(t, rt, "GET", tc.path, tc.query, "", tc.sub)
			if status != tc.status || !strings.Contains(errMessage(out), tc.msgHas) {
				t.Errorf("status %d body %v, want %d with message containing %q", status, out, tc.status, tc.msgHas)
			}
		})
	}
}
