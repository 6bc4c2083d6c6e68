package recommend

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/contentml/mlbundle/shared/interactions"
	"github.com/contentml/mlbundle/shared/ncf"
)

// wideFake is a model of n items with random logits for user "known", unit item vectors
// and a checkpoint popular list over the first half of the items.
func wideFake(rng *rand.Rand, n int) *fakeModel {
	m := &fakeModel{version: "v-wide", users: []string{"known"}, logits: [][]float32{make([]float32, n)}}
	for j := range n {
		m.items = append(m.items, fmt.Sprintf("i%02d", j))
		m.logits[0][j] = float32(rng.IntN(8)) // few values: many ties
		a := rng.Float64() * 6.28
		m.vectors = append(m.vectors, []float32{float32(cosf(a)), float32(sinf(a))})
		if j < n/2 {
			m.popular = append(m.popular, ncf.Popular{ItemID: m.items[j], Count: int64(1 + rng.IntN(5))})
		}
		m.cats = append(m.cats, []string{"news", "sport", "film"}[rng.IntN(3)])
	}
	slices.SortFunc(m.popular, func(a, b ncf.Popular) int { return cmp.Compare(b.Count, a.Count) })
	return m
}

// expectedPage ranks every item by score (ties: the order of ids given), drops the
// filtered ones and cuts the page: the answer any strategy must give.
func expectedPage(ids []string, score map[string]float64, drop map[string]struct{}, q Query) []string {
	var kept []string
	for _, id := range ids {
		if _, ok := drop[id]; !ok {
			kept = append(kept, id)
		}
	}
	slices.SortStableFunc(kept, func(a, b string) int { return cmp.Compare(score[b], score[a]) })
	from, to := page(len(kept), q)
	return kept[from:to]
}

// TestFiltersNeverShortenTheAnswer checks, for every strategy over random histories,
// exclusions, unavailable items, category filters, offsets and page sizes, that the answer is exactly the page of the
// filtered ranking: k items whenever offset+k eligible items exist, and none skipped.
func TestFiltersNeverShortenTheAnswer(t *testing.T) {
	const n = 40
	rng := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	for trial := range 300 {
		m := wideFake(rng, n)
		// The store's live counts cover items the model does not know and raise some.
		var top []interactions.ItemCount
		for j := range 30 {
			id := m.items[rng.IntN(n)]
			if j%3 == 0 {
				id = fmt.Sprintf("new%02d", j)
			}
			top = append(top, interactions.ItemCount{ItemID: id, Count: int64(1 + rng.IntN(9))})
		}
		top = dedupeTop(top)
		history := map[string]struct{}{}
		for range rng.IntN(n) {
			history[m.items[rng.IntN(n)]] = struct{}{}
		}
		var exclude []string
		for range rng.IntN(20) {
			exclude = append(exclude, m.items[rng.IntN(n)])
		}
		strategy := []string{StrategyNCF, StrategyItemKNN, StrategyPopular}[trial%3]
		user := map[string]string{StrategyNCF: "known", StrategyItemKNN: "knn", StrategyPopular: "cold"}[strategy]
		seen := history
		if strategy == StrategyPopular {
			m.vectors = nil // a user with known items but no vectors: popular
		}
		m.index = trial%2 == 1 // with an index, every strategy answers the same
		store := &memStore{seen: map[string]map[string]struct{}{user: seen}, top: top}
		q := Query{UserID: user, K: 1 + rng.IntN(15), ExcludeSeen: trial%5 != 0, Exclude: exclude}
		q.Offset = rng.IntN(n / 2)
		if trial%4 == 1 {
			q.Category, q.Offset = "sport", rng.IntN(n/6)
		}
		if strategy == StrategyItemKNN && len(seen) == 0 {
			seen[m.items[0]] = struct{}{}
		}
		unavailable := fixedAvailability{}
		for range rng.IntN(12) {
			unavailable[m.items[rng.IntN(n)]] = struct{}{}
		}
		unavailable["new00"] = struct{}{}
		res, err := New(&fixedModels{m: m}, store, nil, WithAvailability(unavailable)).RecommendQuery(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if res.Strategy != strategy {
			t.Fatalf("trial %d: strategy %s, want %s", trial, res.Strategy, strategy)
		}
		if twoStage := m.index && strategy == StrategyNCF; twoStage != (m.retrieved > 0) {
			t.Fatalf("trial %d: %d retrievals, want some only for a known user with an index", trial, m.retrieved)
		}
		drop := map[string]struct{}{}
		for id := range unavailable {
			drop[id] = struct{}{}
		}
		for _, id := range exclude {
			drop[id] = struct{}{}
		}
		if q.ExcludeSeen {
			for id := range seen {
				drop[id] = struct{}{}
			}
		}
		for j, id := range m.items {
			if q.Category != "" && m.cats[j] != q.Category {
				drop[id] = struct{}{}
			}
		}
		ids, score := rankingOf(m, strategy, seen, top)
		want := expectedPage(ids, score, drop, q)
		got := make([]string, len(res.Items))
		for r, it := range res.Items {
			got[r] = it.ItemID
			if it.Rank != q.Offset+r+1 {
				t.Errorf("trial %d: item %d has rank %d, want %d", trial, r, it.Rank, q.Offset+r+1)
			}
			if _, bad := drop[it.ItemID]; bad {
				t.Errorf("trial %d: %s is filtered out but returned", trial, it.ItemID)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("trial %d %s k=%d offset=%d: got %v, want %v", trial, strategy, q.K, q.Offset, got, want)
		}
	}
}

// rankingOf lists what a strategy ranks, in its tie order, with each item's score.
func rankingOf(m *fakeModel, strategy string, seen map[string]struct{}, top []interactions.ItemCount) ([]string, map[string]float64) {
	score := map[string]float64{}
	switch strategy {
	case StrategyNCF:
		for j, id := range m.items {
			score[id] = float64(m.logits[0][j])
		}
		return m.items, score
	case StrategyItemKNN:
		sims := similarity(m, centroid(m, knownItems(m, seen), nil))
		for j, id := range m.items {
			score[id] = float64(sims[j])
		}
		return m.items, score
	}
	for _, p := range m.popular {
		score[p.ItemID] = float64(p.Count)
	}
	for _, c := range top {
		if _, known := m.ItemIndex(c.ItemID); known { // live ids outside the catalogue never rank
			score[c.ItemID] = max(score[c.ItemID], float64(c.Count))
		}
	}
	ids := make([]string, 0, len(score))
	for id := range score {
		ids = append(ids, id)
	}
	slices.Sort(ids) // ties go to the lower id
	return ids, score
}

func dedupeTop(in []interactions.ItemCount) []interactions.ItemCount {
	best := map[string]int64{}
	for _, c := range in {
		best[c.ItemID] = max(best[c.ItemID], c.Count)
	}
	out := make([]interactions.ItemCount, 0, len(best))
	for id, n := range best {
		out = append(out, interactions.ItemCount{ItemID: id, Count: n})
	}
	slices.SortFunc(out, func(a, b interactions.ItemCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.ItemID, b.ItemID))
	})
	return out
}

func cosf(a float64) float64 { return math.Cos(a) }
func sinf(a float64) float64 { return math.Sin(a) }

// countingStore counts TopItems reads.
type countingStore struct {
	memStore
	reads []int
}

func (s *countingStore) TopItems(ctx context.Context, n int) ([]interactions.ItemCount, error) {
	s.reads = append(s.reads, n)
	return s.memStore.TopItems(ctx, n)
}

// TestPopularReadsDeeperThanAHugeHistory: a cold user whose history holds more than
// maxFirstRead of the most popular items still gets k items from further down the list.
func TestPopularReadsDeeperThanAHugeHistory(t *testing.T) {
	const hist = 2*maxFirstRead + 10
	m := &fakeModel{version: "v-many"}
	for j := range hist + 5 {
		m.items = append(m.items, fmt.Sprintf("x%05d", j))
	}
	seen := map[string]struct{}{}
	var top []interactions.ItemCount
	for j := range hist + 5 {
		id := fmt.Sprintf("x%05d", j)
		top = append(top, interactions.ItemCount{ItemID: id, Count: int64(10_000 - j)})
		if j < hist {
			seen[id] = struct{}{}
		}
	}
	store := &countingStore{memStore: memStore{seen: map[string]map[string]struct{}{"c": seen}, top: top}}
	res, err := New(&fixedModels{m: m}, store, nil).RecommendQuery(context.Background(),
		Query{UserID: "c", K: 3, Offset: 1, ExcludeSeen: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{fmt.Sprintf("x%05d", hist+1), fmt.Sprintf("x%05d", hist+2), fmt.Sprintf("x%05d", hist+3)}
	if got := ids(res.Items); !slices.Equal(got, want) || res.Strategy != StrategyPopular {
		t.Errorf("items %v (%s), want %v", got, res.Strategy, want)
	}
	if len(store.reads) < 2 {
		t.Errorf("TopItems read %v: want a deeper second read", store.reads)
	}
}

// fixedAvailability is an availability list that never changes.
type fixedAvailability map[string]struct{}

func (f fixedAvailability) Unavailable(context.Context) (map[string]struct{}, error) { return f, nil }

// failingAvailability cannot read its list.
type failingAvailability struct{}

func (failingAvailability) Unavailable(context.Context) (map[string]struct{}, error) {
	return nil, errStore
}

func TestUnavailableItemsNeverServed(t *testing.T) {
	ctx := context.Background()
	store := &memStore{seen: map[string]map[string]struct{}{"knn": set("i0")}}
	svc := New(&fixedModels{m: newFake()}, store, nil, WithAvailability(fixedAvailability{"i5": {}, "i1": {}, "i3": {}}))
	for _, user := range []string{"u0", "knn", "cold"} {
		res, err := svc.RecommendQuery(ctx, Query{UserID: user, K: MaxK, ExcludeSeen: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range res.Items {
			if it.ItemID == "i5" || it.ItemID == "i1" || it.ItemID == "i3" {
				t.Errorf("%s (%s): unavailable %s served", user, res.Strategy, it.ItemID)
			}
		}
		if len(res.Items) == 0 {
			t.Errorf("%s (%s): nothing served", user, res.Strategy)
		}
	}
	sim, err := svc.Similar(ctx, "i0", Query{K: MaxK})
	if err != nil || strings.Join(ids(sim.Items), ",") != "i2,i4" {
		t.Errorf("similar to i0 = %v, %v; want i2,i4", sim, err)
	}
	broken := New(&fixedModels{m: newFake()}, store, nil, WithAvailability(failingAvailability{}))
	if _, err := broken.RecommendQuery(ctx, Query{UserID: "u0", K: 3}); !errors.Is(err, errStore) || !errors.Is(err, ErrStoreUnavailable) {
		t.Errorf("list unreadable: %v, want the error as a store failure (never an answer that may hold unavailable items)", err)
	}
}

func TestCategoryFilter(t *testing.T) {
	ctx := context.Background()
	m := newFake()
	m.cats = []string{"news", "sport", "news", "film", "sport", "news"}
	svc := New(&fixedModels{m: m}, &memStore{}, nil)
	for _, tc := range []struct {
		user, want string
	}{{"u0", "i5,i2,i0"}, {"u1", "i0,i2,i5"}, {"cold", "i0"}} { // popular: i3 50, i1 30, i0 20
		res, err := svc.RecommendQuery(ctx, Query{UserID: tc.user, K: 10, Category: "news"})
		if err != nil || strings.Join(ids(res.Items), ",") != tc.want {
			t.Errorf("%s news = %v, %v; want %s", tc.user, res, err, tc.want)
		}
	}
	sim, err := svc.Similar(ctx, "i0", Query{K: 10, Category: "sport"})
	if err != nil || strings.Join(ids(sim.Items), ",") != "i1,i4" {
		t.Errorf("similar sport = %v, %v", sim, err)
	}
	plain := New(&fixedModels{m: newFake()}, &memStore{}, nil)
	if _, err := plain.RecommendQuery(ctx, Query{UserID: "u0", K: 3, Category: "news"}); !errors.Is(err, ErrInvalidInput) ||
		!strings.Contains(err.Error(), "category: model version v-test carries no item categories") {
		t.Errorf("category on a model without categories: %v", err)
	}
	if _, err := svc.RecommendQuery(ctx, Query{UserID: "u0", K: 3, Category: " news"}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("bad category: %v", err)
	}
}
