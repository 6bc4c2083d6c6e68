package recommend

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/api"
	"github.com/contentml/mlbundle/shared/interactions"
)

// TestDeletedUserIsColdStart deletes a user the model knows through the API and checks
// that their next recommend is a cold-start answer until a model trained after the
// deletion serves.
func TestDeletedUserIsColdStart(t *testing.T) {
	ctx := context.Background()
	store, err := interactions.OpenSQLite(ctx, filepath.Join(t.TempDir(), "i.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	m := newFake()
	m.created = time.Now().Add(-time.Hour)
	rt := newRouter(New(&fixedModels{m: m}, store, nil), store,
		api.Auth{Mode: api.AuthJWT, ServiceScope: api.DefaultServiceScope})
	body := `{"interactions": [{"user_id": "u0", "item_id": "i5"}, {"user_id": "u0", "item_id": "i4"}]}`
	if status, out, _ := call(t, rt, "POST", "/v1/interactions", "", body, "u0"); status != 200 {
		t.Fatalf("ingest: %d %v", status, out)
	}
	status, out, _ := call(t, rt, "GET", "/v1/users/u0/recommendations", "k=2", "", "u0")
	if status != 200 || out["strategy"] != StrategyNCF || out["cold_start"] != false {
		t.Fatalf("before the delete: %d %v", status, out)
	}
	if status, out, _ := call(t, rt, "DELETE", "/v1/users/u0/interactions", "", "", "u1"); status != 403 {
		t.Errorf("another user deleting u0: %d %v, want 403", status, out)
	}
	status, out, _ = call(t, rt, "DELETE", "/v1/users/u0/interactions", "", "", "u0")
	if status != 200 || out["deleted"] != 2.0 || out["user_id"] != "u0" {
		t.Fatalf("delete: %d %v", status, out)
	}
	status, out, _ = call(t, rt, "GET", "/v1/users/u0/recommendations", "k=2", "", "u0")
	if status != 200 || out["strategy"] != StrategyPopular || out["cold_start"] != true {
		t.Errorf("after the delete: %d %v, want a cold-start popular answer", status, out)
	}
	if top, _ := store.TopItems(ctx, 10); len(top) != 0 {
		t.Errorf("popularity after the only user left: %v", top)
	}
	m.created = time.Now().Add(time.Minute) // a model trained after the deletion
	status, out, _ = call(t, rt, "GET", "/v1/users/u0/recommendations", "k=2", "", "u0")
	if status != 200 || out["strategy"] != StrategyNCF {
		t.Errorf("with a model trained after the delete: %d %v, want ncf", status, out)
	}
}
