package recommend

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// TestTwoStage: with a retrieval index the answer is the model's order over the index's
// candidates, not over every item.
func TestTwoStage(t *testing.T) {
	ctx := context.Background()
	reversed := [][]float32{{2.5, 1.5, 0.5, -0.5, -1.5, -2.5}, {-2.5, -1.5, -0.5, 0.5, 1.5, 2.5}}
	tests := []struct {
		name       string
		index      bool
		exact      bool
		candidates int
		q          Query
		want       []string
	}{
		{"no index: every item", false, false, 3, Query{UserID: "u0", K: 3}, []string{"i5", "i4", "i3"}},
		{"model re-ranks the candidates", true, false, 3, Query{UserID: "u0", K: 3}, []string{"i2", "i1", "i0"}},
		{"candidates cover the page depth", true, false, 2, Query{UserID: "u0", K: 2, Offset: 2}, []string{"i1", "i0"}},
		{"exact index: the page depth is re-ranked", true, true, 5, Query{UserID: "u0", K: 2}, []string{"i1", "i0"}},
		{"filters before retrieval", true, false, 3, Query{UserID: "u0", K: 3, Exclude: []string{"i1"}}, []string{"i3", "i2", "i0"}},
		{"exclude seen", true, false, 3, Query{UserID: "u0", K: 2, ExcludeSeen: true}, []string{"i4", "i3"}},
		{"unknown user: cold start", true, false, 3, Query{UserID: "nobody", K: 2}, []string{"i3", "i1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newFake()
			m.index, m.exact, m.retrieval = tt.index, tt.exact, reversed
			store := &memStore{seen: map[string]map[string]struct{}{"u0": set("i0", "i1")}}
			svc := New(&fixedModels{m: m}, store, nil, WithRetrieval(Retrieval{Scan: 1, Candidates: tt.candidates}))
			res, err := svc.RecommendQuery(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(res.Items); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			for r, it := range res.Items {
				j, _ := m.ItemIndex(it.ItemID)
				if it.Rank != tt.q.Offset+r+1 || res.ColdStart == false && !near(it.Score, sigmoid(m.logits[0][j])) {
					t.Errorf("item %d: %+v, want rank %d and the model's probability", r, it, tt.q.Offset+r+1)
				}
			}
		})
	}
}

func TestTwoStageForgottenUserIsColdStart(t *testing.T) {
	m := newFake()
	m.index, m.created = true, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	store := &memStore{forgotten: map[string]time.Time{"u0": m.created.Add(time.Hour)}}
	res, err := New(&fixedModels{m: m}, store, nil).Recommend(context.Background(), "u0", 2, true)
	if err != nil {
		t.Fatal(err)
	}
	if !res.ColdStart || m.retrieved != 0 {
		t.Errorf("cold start %v after %d retrievals, want cold start without retrieval", res.ColdStart, m.retrieved)
	}
}

func TestTwoStageFailures(t *testing.T) {
	m := newFakeIndexed()
	m.failRetrieve = errors.New("index broken")
	if _, err := New(&fixedModels{m: m}, nil, nil).Recommend(context.Background(), "u0", 2, false); !errors.Is(err, m.failRetrieve) {
		t.Fatalf("retrieval failure: %v, want it reported", err)
	}
	store := &memStore{seenErr: errStore}
	if _, err := New(&fixedModels{m: newFakeIndexed()}, store, nil).Recommend(context.Background(), "u0", 2, true); !errors.Is(err, ErrStoreUnavailable) {
		t.Errorf("history unreadable: %v, want ErrStoreUnavailable", err)
	}
}

func newFakeIndexed() *fakeModel {
	m := newFake()
	m.index = true
	return m
}
