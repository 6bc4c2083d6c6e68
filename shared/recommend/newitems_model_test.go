package recommend

import (
	"context"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/items"
)

// TestNewItemThroughTheModel registers an item by text on the committed text-v1
// checkpoint and finds it in the full ranking of a known user, scored by
// score_items.onnx, and among the items similar to it.
func TestNewItemThroughTheModel(t *testing.T) {
	ctx := context.Background()
	c, _ := fixtureCacheOf(t, "text-v1")
	store, err := items.OpenSQLite(ctx, filepath.Join(t.TempDir(), "i.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	svc := New(FromCache(c), nil, nil, WithNewItems(items.NewCache(store, time.Hour, nil)), WithItemWriter(store))
	reg, err := svc.RegisterItem(ctx, "new1", items.Text{Title: "Space rocket", Description: "orbit planet star mission launch"})
	if err != nil || reg.InModel || reg.EmbeddingDim != 40 {
		t.Fatalf("register: %+v, %v", reg, err)
	}
	m, err := c.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Release()
	emb, err := m.Value.PlaceText(ctx, []string{"Space rocket. orbit planet star mission launch"})
	if err != nil {
		t.Fatal(err)
	}
	logit, err := m.Value.ScoreItems(ctx, 0, emb)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for offset := 0; offset < 151; offset += 100 { // 150 trained items and the new one
		res, err := svc.RecommendQuery(ctx, Query{UserID: "u0", K: 100, Offset: offset})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range res.Items {
			if it.ItemID == "new1" {
				found++
				want := 1 / (1 + math.Exp(-float64(logit[0])))
				if !it.ColdStart || math.Abs(it.Score-want) > 1e-6 {
					t.Fatalf("new1: %+v, want cold_start and score %v", it, want)
				}
			}
		}
	}
	if found != 1 {
		t.Fatalf("new1 appeared %d times in u0's full ranking, want once", found)
	}
	sim, err := svc.Similar(ctx, "new1", Query{K: 5})
	if err != nil || !sim.ColdStart || len(sim.Items) != 5 {
		t.Fatalf("similar to new1: %+v, %v", sim, err)
	}
}
