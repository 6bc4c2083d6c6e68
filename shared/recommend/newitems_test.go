package recommend

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/items"
)

// textFake is a fakeModel that places texts: text t goes to place[t] (an unknown text
// fails), and user u scores an item embedding e as userW[u] . e.
type textFake struct {
	*fakeModel
	place  map[string][]float32
	userW  [][]float32
	placed int // texts placed so far
}

func (m *textFake) PlacesText() bool      { return true }
func (m *textFake) ItemEmbeddingDim() int { return 2 }
func (m *textFake) PlaceText(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		e, ok := m.place[t]
		if !ok {
			return nil, fmt.Errorf("no placement for %q", t)
		}
		out[i] = e
		m.placed++
	}
	return out, nil
}
func (m *textFake) ScoreItems(_ context.Context, u int64, embs [][]float32) ([]float32, error) {
	out := make([]float32, len(embs))
	for i, e := range embs {
		out[i] = m.userW[u][0]*e[0] + m.userW[u][1]*e[1]
	}
	return out, nil
}

// newTextFake: u0 gives n_top a logit of 10 (first) and n_mid 0.1 (between i2 at -0.5
// and i3 at 0.5); u1 the opposite signs. n_top points along i0's vector, n_mid along i3's.
func newTextFake() *textFake {
	return &textFake{fakeModel: newFake(),
		place: map[string][]float32{"Top": {10, 0}, "Mid. rocket": {0, 0.1}, "Other": {-1, -1}},
		userW: [][]float32{{1, 1}, {-1, -1}}}
}

// listed is a NewItems over a fixed list; err fails every read.
type listed struct {
	items []items.Item
	err   error
}

func (l *listed) Items(context.Context) ([]items.Item, time.Time, error) {
	return l.items, time.Time{}, l.err
}

func registered(version string) *listed {
	return &listed{items: []items.Item{
		{ItemID: "n_top", Text: items.Text{Title: "Top", Category: "a"}, Embedding: []float32{10, 0}, ModelVersion: version},
		{ItemID: "n_mid", Text: items.Text{Title: "Mid", Description: "rocket", Category: "b"}},
		{ItemID: "i2", Text: items.Text{Title: "Other"}}, // a trained item: its trained embedding serves
	}}
}

func flagged(list []Item) []string {
	out := make([]string, len(list))
	for i, it := range list {
		out[i] = it.ItemID
		if it.ColdStart != (it.ItemID[0] == 'n') {
			out[i] += "!" // a cold-start flag on the wrong item
		}
	}
	return out
}

// TestNewItemsJoinPersonalAnswers runs with and without a retrieval index: new items
// join the index's re-ranked candidates as they join the exact ranking.
func TestNewItemsJoinPersonalAnswers(t *testing.T) {
	for _, index := range []bool{false, true} {
		t.Run(fmt.Sprintf("index=%v", index), func(t *testing.T) { newItemsJoin(t, index) })
	}
}

func newItemsJoin(t *testing.T, index bool) {
	ctx := context.Background()
	m := newTextFake()
	m.index = index
	svc := New(&fixedModels{m: m}, &memStore{}, nil, WithNewItems(registered(m.version)))
	// u0: i5 2.5, i4 1.5, i3 0.5, n_mid 0.1, i2 -0.5, ... and n_top 10 first
	want := []string{"n_top", "i5", "i4", "i3", "n_mid", "i2", "i1", "i0"}
	for _, page := range []struct{ k, offset int }{{8, 0}, {3, 0}, {3, 3}, {2, 6}, {5, 5}} {
		res, err := svc.RecommendQuery(ctx, Query{UserID: "u0", K: page.k, Offset: page.offset, ExcludeSeen: true})
		if err != nil {
			t.Fatal(err)
		}
		end := min(page.offset+page.k, len(want))
		if got := flagged(res.Items); !slices.Equal(got, want[page.offset:end]) || res.Strategy != StrategyNCF || res.ColdStart {
			t.Fatalf("k=%d offset=%d: %v (%s), want %v", page.k, page.offset, got, res.Strategy, want[page.offset:end])
		}
		for r, it := range res.Items {
			if it.Rank != page.offset+r+1 {
				t.Fatalf("rank %d at position %d", it.Rank, r)
			}
		}
	}
	res, _ := svc.RecommendQuery(ctx, Query{UserID: "u0", K: 1, ExcludeSeen: true})
	if got := res.Items[0].Score; math.Abs(got-1/(1+math.Exp(-10))) > 1e-9 {
		t.Fatalf("n_top score %v, want sigmoid(10)", got)
	}
	if m.placed != 1 {
		t.Fatalf("placed %d texts, want 1 (n_mid; n_top was placed by this version at registration)", m.placed)
	}
	if _, err := svc.RecommendQuery(ctx, Query{UserID: "u0", K: 8, ExcludeSeen: true}); err != nil || m.placed != 1 {
		t.Fatalf("a second answer placed again (%d texts): %v", m.placed, err)
	}
	if index != (m.retrieved > 0) {
		t.Fatalf("%d retrievals with index=%v", m.retrieved, index)
	}
}

func TestNewItemsFilters(t *testing.T) {
	ctx := context.Background()
	m := newTextFake()
	m.cats = []string{"a", "b", "a", "b", "a", "b"}
	tests := []struct {
		name string
		q    Query
		seen map[string]struct{}
		unav map[string]struct{}
		want []string
	}{
		{"exclude", Query{Exclude: []string{"n_top"}}, nil, nil, []string{"i5", "i4", "i3", "n_mid", "i2", "i1", "i0"}},
		{"seen", Query{ExcludeSeen: true}, set("n_top", "i5"), nil, []string{"i4", "i3", "n_mid", "i2", "i1", "i0"}},
		{"seen kept", Query{}, set("n_top"), nil, []string{"n_top", "i5", "i4", "i3", "n_mid", "i2", "i1", "i0"}},
		{"unavailable", Query{ExcludeSeen: true}, nil, set("n_mid"), []string{"n_top", "i5", "i4", "i3", "i2", "i1", "i0"}},
		{"category", Query{ExcludeSeen: true, Category: "b"}, nil, nil, []string{"i5", "i3", "n_mid", "i1"}},
	}
	for _, tc := range tests {
		for _, index := range []bool{false, true} { // the exact ranking and a retrieval index
			t.Run(fmt.Sprintf("%s/index=%v", tc.name, index), func(t *testing.T) {
				m.index = index
				store := &memStore{seen: map[string]map[string]struct{}{"u0": tc.seen}}
				svc := New(&fixedModels{m: m}, store, nil, WithNewItems(registered(m.version)),
					WithAvailability(fixedAvailability(tc.unav)))
				q := tc.q
				q.UserID, q.K = "u0", 10
				res, err := svc.RecommendQuery(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if got := flagged(res.Items); !slices.Equal(got, tc.want) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			})
		}
	}
}

func TestNewItemsInSimilarityAnswers(t *testing.T) {
	ctx := context.Background()
	m := newTextFake()
	svc := New(&fixedModels{m: m}, &memStore{seen: map[string]map[string]struct{}{
		"cold": set("i0"), "only_new": set("n_mid")}}, nil, WithNewItems(registered(m.version)))

	// a cold user who saw i0 (angle 0): n_top lies on i0's direction, so it ranks first
	res, err := svc.RecommendQuery(ctx, Query{UserID: "cold", K: 3, ExcludeSeen: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := flagged(res.Items); res.Strategy != StrategyItemKNN || !slices.Equal(got, []string{"n_top", "i1", "i2"}) {
		t.Fatalf("cold user: %s %v", res.Strategy, got)
	}
	// a cold user who saw only a new item still gets a similarity answer (n_mid lies on i3)
	res, err = svc.RecommendQuery(ctx, Query{UserID: "only_new", K: 3, ExcludeSeen: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := flagged(res.Items); res.Strategy != StrategyItemKNN || !slices.Equal(got, []string{"i3", "i2", "i4"}) {
		t.Fatalf("user who saw a new item: %s %v", res.Strategy, got)
	}
	// similar to a trained item holds new items; similar to a new item works and is flagged
	sim, err := svc.Similar(ctx, "i0", Query{K: 2})
	if err != nil || sim.ColdStart || !slices.Equal(flagged(sim.Items), []string{"n_top", "i1"}) {
		t.Fatalf("similar to i0: %+v, %v", sim, err)
	}
	sim, err = svc.Similar(ctx, "n_mid", Query{K: 3})
	if err != nil || !sim.ColdStart || !slices.Equal(flagged(sim.Items), []string{"i3", "i2", "i4"}) {
		t.Fatalf("similar to n_mid: %+v, %v", sim, err)
	}
	if math.Abs(sim.Items[0].Score-1) > 1e-6 {
		t.Fatalf("n_mid and i3 point the same way: cosine %v", sim.Items[0].Score)
	}
	if _, err := svc.Similar(ctx, "nowhere", Query{K: 3}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown item: %v", err)
	}
}

func TestNewItemsLeftOutWhenTheyCannotServe(t *testing.T) {
	ctx := context.Background()
	plain := newFake() // a model without item_text graphs
	svc := New(&fixedModels{m: plain}, &memStore{}, nil, WithNewItems(registered("v-test")))
	res, err := svc.RecommendQuery(ctx, Query{UserID: "u0", K: 8})
	if err != nil || slices.Contains(flagged(res.Items), "n_top") {
		t.Fatalf("a model that cannot place text served new items: %v, %v", flagged(res.Items), err)
	}
	m := newTextFake()
	svc = New(&fixedModels{m: m}, &memStore{}, nil, WithNewItems(&listed{err: errors.New("throttled")}))
	if res, err = svc.RecommendQuery(ctx, Query{UserID: "u0", K: 8}); err != nil || len(res.Items) != 6 {
		t.Fatalf("an unreadable list must leave new items out, not fail: %v, %v", res, err)
	}
	bad := &listed{items: []items.Item{{ItemID: "n_x", Text: items.Text{Title: "unplaceable"}}}}
	svc = New(&fixedModels{m: m}, &memStore{}, nil, WithNewItems(bad))
	if res, err = svc.RecommendQuery(ctx, Query{UserID: "u0", K: 8}); err != nil || len(res.Items) != 6 {
		t.Fatalf("a failed placement must leave new items out, not fail: %v, %v", res, err)
	}
}

func TestNewItemsOfAnotherVersionArePlacedAgain(t *testing.T) {
	ctx := context.Background()
	m := newTextFake()
	// n_top was placed by an older version at {-5, 0}: this version places "Top" at {10, 0}
	reg := registered("v-old")
	reg.items[0].Embedding = []float32{-5, 0}
	svc := New(&fixedModels{m: m}, &memStore{}, nil, WithNewItems(reg))
	res, err := svc.RecommendQuery(ctx, Query{UserID: "u0", K: 1})
	if err != nil || res.Items[0].ItemID != "n_top" || m.placed != 2 {
		t.Fatalf("got %v after placing %d texts, want n_top first and 2 placed", flagged(res.Items), m.placed)
	}
}
