package recommend

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/ncf"
	"github.com/contentml/mlbundle/shared/onnx"
	"github.com/contentml/mlbundle/shared/onnx/onnxtest"
)

// loadFixture loads a committed ncf fixture version.
func loadFixture(t *testing.T, version string) *ncf.Model {
	t.Helper()
	onnxtest.Init(t)
	cd, err := checkpoint.OpenDir(filepath.Join(checkpoints, "ncf", version))
	if err != nil {
		t.Fatal(err)
	}
	m, err := ncf.Load(context.Background(), cd.Manifest, cd.Path, onnx.Options{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// TestTwoStageOnTheExportedIndex serves the same trained model with and without the
// index the export built: with every item a candidate the answers are equal; with 30
// candidates of 150 items they keep most of the exact top 10 (the distilled queries).
func TestTwoStageOnTheExportedIndex(t *testing.T) {
	exact, indexed := loadFixture(t, "tiny-v1"), loadFixture(t, "tiny-index-v1")
	if exact.HasIndex() || !indexed.HasIndex() {
		t.Fatal("tiny-v1 must have no index and tiny-index-v1 one")
	}
	ctx := context.Background()
	data, err := os.ReadFile(filepath.Join(checkpoints, "ncf", "tiny-v1", "users.json"))
	if err != nil {
		t.Fatal(err)
	}
	var users []string
	if err := json.Unmarshal(data, &users); err != nil {
		t.Fatal(err)
	}
	seen := map[string]map[string]struct{}{}
	for u, id := range users {
		seen[id] = set(exact.ItemID(u%exact.NumItems()), exact.ItemID((7*u+3)%exact.NumItems()))
	}
	store := &memStore{seen: seen}
	ref := New(&fixedModels{m: exact}, store, nil)
	all := New(&fixedModels{m: indexed}, store, nil)
	few := New(&fixedModels{m: indexed}, store, nil, WithRetrieval(Retrieval{Scan: 1, Candidates: 30}))
	hits, total := 0, 0
	for _, id := range users {
		q := Query{UserID: id, K: 10, ExcludeSeen: true, Exclude: []string{exact.ItemID(5)}}
		want, err := ref.RecommendQuery(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		got, err := all.RecommendQuery(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(got.Items), ids(want.Items)) {
			t.Fatalf("user %s: two-stage over every item %v, exact %v", id, ids(got.Items), ids(want.Items))
		}
		part, err := few.RecommendQuery(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range ids(part.Items) {
			if slices.Contains(ids(want.Items), it) {
				hits++
			}
		}
		total += len(want.Items)
	}
	if recall := float64(hits) / float64(total); recall < 0.9 {
		t.Errorf("recall of the exact top 10 with 30 candidates of %d = %.3f, want >= 0.9", exact.NumItems(), recall)
	} else {
		t.Logf("recall of the exact top 10 with 30 candidates of %d: %.3f", exact.NumItems(), recall)
	}
}
