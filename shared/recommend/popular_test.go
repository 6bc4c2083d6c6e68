package recommend

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/interactions"
)

// TestPopularCannotBeBought floods the real embedded store from one caller, on a known
// item and on an id no catalogue holds, and checks the cold-start answer.
func TestPopularCannotBeBought(t *testing.T) {
	ctx := context.Background()
	store, err := interactions.OpenSQLite(ctx, filepath.Join(t.TempDir(), "i.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var in []interactions.Interaction
	for u, items := range map[string][]string{"a": {"i2", "i5"}, "b": {"i2", "i5"}, "c": {"i2"}} {
		for _, id := range items {
			in = append(in, interactions.Interaction{UserID: u, ItemID: id, Time: t0})
		}
	}
	if err := store.Add(ctx, in); err != nil {
		t.Fatal(err)
	}
	for b := range 10 { // 1000 events each on i0 and on "bought", every one at its own time
		batch := make([]interactions.Interaction, 0, interactions.MaxBatch)
		for i := range interactions.MaxBatch / 2 {
			ts := t0.Add(time.Duration(b*interactions.MaxBatch+i) * time.Millisecond)
			batch = append(batch, interactions.Interaction{UserID: "flooder", ItemID: "i0", Time: ts},
				interactions.Interaction{UserID: "flooder", ItemID: "bought", Time: ts})
		}
		if err := store.Add(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	m := newFake()
	m.popular = nil // live counts only
	svc := New(&fixedModels{m: m}, store, nil)
	res, err := svc.Recommend(ctx, "newcomer", MaxK, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []Item{{ItemID: "i2", Score: 1, Rank: 1}, {ItemID: "i5", Score: 2.0 / 3, Rank: 2}, {ItemID: "i0", Score: 1.0 / 3, Rank: 3}}
	if fmt.Sprint(res.Items) != fmt.Sprint(want) {
		t.Errorf("after a flood of 1000 events on i0 and on an unknown id: %v, want %v", res.Items, want)
	}
}

// TestPopularScoreDoesNotDependOnK checks that an item's score, and the answer's
// confidence, are the same whatever k is asked for.
func TestPopularScoreDoesNotDependOnK(t *testing.T) {
	store := &memStore{
		seen: map[string]map[string]struct{}{"fan": set("i4")},
		top: []interactions.ItemCount{{ItemID: "fresh", Count: 90}, {ItemID: "i4", Count: 60},
			{ItemID: "i5", Count: 40}, {ItemID: "i1", Count: 10}},
	}
	for _, user := range []string{"nobody", "fan"} {
		t.Run(user, func(t *testing.T) {
			m := newFake()
			m.vectors = nil
			svc := New(&fixedModels{m: m}, store, nil)
			scores := map[string]float64{}
			var conf float64
			for i, k := range []int{1, 5, 100} {
				res, err := svc.Recommend(context.Background(), user, k, true)
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					conf = res.Confidence
				} else if res.Confidence != conf {
					t.Errorf("k=%d: confidence %v, k=1 gave %v", k, res.Confidence, conf)
				}
				for _, it := range res.Items {
					if s, ok := scores[it.ItemID]; ok && s != it.Score {
						t.Errorf("k=%d: %s scores %v, before %v", k, it.ItemID, it.Score, s)
					}
					scores[it.ItemID] = it.Score
				}
			}
			// i4 60 is the top known item; i3 50 (checkpoint), i5 40, i1 30, i0 20.
			for id, want := range map[string]float64{"i3": 50.0 / 60, "i5": 40.0 / 60, "i1": 0.5, "i0": 20.0 / 60} {
				if !near(scores[id], want) {
					t.Errorf("%s scores %v, want %v", id, scores[id], want)
				}
			}
		})
	}
}
