package recommend

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/contentml/mlbundle/shared/api"
	"github.com/contentml/mlbundle/shared/interactions"
)

func openSQLite(t *testing.T) *interactions.SQLiteStore {
	t.Helper()
	s, err := interactions.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "i.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func recommended(t *testing.T, rt *api.Router, user string, k int) (ids []string, strategy string) {
	t.Helper()
	status, out, _ := call(t, rt, "GET", "/v1/users/"+user+"/recommendations", fmt.Sprintf("k=%d", k), "", "")
	if status != 200 {
		t.Fatalf("recommend %s: %d %v", user, status, out)
	}
	for _, it := range out["items"].([]any) {
		ids = append(ids, it.(map[string]any)["item_id"].(string))
	}
	return ids, out["strategy"].(string)
}

func ingest(t *testing.T, rt *api.Router, body string) {
	t.Helper()
	if status, out, _ := call(t, rt, "POST", "/v1/interactions", "", body, ""); status != 200 {
		t.Fatalf("ingest: %d %v", status, out)
	}
}

// runFreshEvents checks, over the HTTP routes, that an ingested interaction is excluded
// from the very next recommendation of that user, for each strategy.
func runFreshEvents(t *testing.T, models Models, known string) {
	store := openSQLite(t)
	rt := newRouter(New(models, store, nil), store, api.Auth{})
	before, strategy := recommended(t, rt, known, 3)
	if strategy != StrategyNCF || len(before) != 3 {
		t.Fatalf("known user: %v by %s", before, strategy)
	}
	ingest(t, rt, fmt.Sprintf(`{"interactions":[{"user_id":%q,"item_id":%q,"event":"view"}]}`, known, before[0]))
	after, _ := recommended(t, rt, known, 3)
	if slices.Contains(after, before[0]) || after[0] != before[1] {
		t.Errorf("after ingesting %s: %v (before %v)", before[0], after, before)
	}

	// A user the model does not know: popular first, then item-to-item from what they saw.
	cold, strategy := recommended(t, rt, "newcomer", 2)
	if strategy != StrategyPopular || len(cold) != 2 {
		t.Fatalf("new user: %v by %s", cold, strategy)
	}
	ingest(t, rt, fmt.Sprintf(`{"interactions":[{"user_id":"newcomer","item_id":%q,"timestamp":"2026-01-02T03:04:05Z"}]}`, cold[0]))
	knn, strategy := recommended(t, rt, "newcomer", 5)
	if strategy != StrategyItemKNN || slices.Contains(knn, cold[0]) {
		t.Errorf("after one known item: %v by %s, want item_knn without %s", knn, strategy, cold[0])
	}
}

func TestFreshEventsExcludedFake(t *testing.T) {
	runFreshEvents(t, &fixedModels{m: newFake()}, "u0")
}

func TestIngestValidation(t *testing.T) {
	store := openSQLite(t)
	rt := newRouter(New(&fixedModels{m: newFake()}, store, nil), store, api.Auth{})
	many := make([]string, interactions.MaxBatch+1)
	for i := range many {
		many[i] = `{"user_id":"u","item_id":"i"}`
	}
	cases := []struct {
		name, body string
		status     int
		msgHas     string
	}{
		{"malformed", `{"interactions":[`, 400, "malformed"},
		{"empty", `{"interactions":[]}`, 400, "at least one"},
		{"too many", `{"interactions":[` + strings.Join(many, ",") + `]}`, 413, "at most 100"},
		{"missing user", `{"interactions":[{"user_id":"u","item_id":"i"},{"item_id":"i"}]}`, 400, "interactions[1].user_id"},
		{"blank item", `{"interactions":[{"user_id":"u","item_id":" "}]}`, 400, "interactions[0].item_id"},
		{"bad timestamp", `{"interactions":[{"user_id":"u","item_id":"i","timestamp":"yesterday"}]}`, 400, "interactions[0].timestamp"},
		{"old timestamp", `{"interactions":[{"user_id":"u","item_id":"i","timestamp":"1960-01-01T00:00:00Z"}]}`, 400, "interactions[0].timestamp"},
		{"weight type", `{"interactions":[{"user_id":"u","item_id":"i","weight":"heavy"}]}`, 400, "weight"},
		{"unknown field", `{"interactions":[{"user_id":"u","item_id":"i","colour":"red"}]}`, 400, "unknown field"},
		{"invalid utf8", "{\"interactions\":[{\"user_id\":\"u\xff\",\"item_id\":\"i\"}]}", 400, "UTF-8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, out, _ := call(t, rt, "POST", "/v1/interactions", "", tc.body, "")
			if status != tc.status || !strings.Contains(errMessage(out), tc.msgHas) {
				t.Errorf("%d %v, want %d with message containing %q", status, out, tc.status, tc.msgHas)
			}
		})
	}
	if seen, _ := store.Seen(context.Background(), "u"); len(seen) != 0 {
		t.Errorf("rejected batches stored %v", seen)
	}
	jwt := newRouter(New(&fixedModels{m: newFake()}, store, nil), store, api.Auth{Mode: api.AuthJWT, ServiceScope: "svc"})
	body := `{"interactions":[{"user_id":"me","item_id":"i"},{"user_id":"you","item_id":"i"}]}`
	if status, _, _ := call(t, jwt, "POST", "/v1/interactions", "", body, "me"); status != 403 {
		t.Errorf("ingest for another user: %d, want 403", status)
	}
}
