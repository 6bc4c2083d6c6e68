package recommend

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/contentml/mlbundle/shared/interactions"
	"github.com/contentml/mlbundle/shared/ivf"
	"github.com/contentml/mlbundle/shared/modelstore"
	"github.com/contentml/mlbundle/shared/ncf"
)

// fakeModel is a hand-written Model: user u gives item j the logit logits[u][j].
type fakeModel struct {
	version string
	created time.Time
	users   []string
	items   []string
	logits  [][]float32
	vectors [][]float32 // nil: no item vectors
	cats    []string    // nil: no item categories
	popular []ncf.Popular
	failAll error // returned by ScoreAll when set
	// index gives the model a retrieval index: Retrieve ranks the items by retrieval
	// (default: the logits) and exact is what it reports.
	index        bool
	exact        bool
	retrieval    [][]float32
	retrieved    int   // calls of Retrieve
	failRetrieve error // returned by Retrieve when set
}

func (m *fakeModel) Version() string      { return m.version }
func (m *fakeModel) CreatedAt() time.Time { return m.created }
func (m *fakeModel) NumItems() int        { return len(m.items) }
func (m *fakeModel) UserIndex(id string) (int, bool) {
	for i, u := range m.users {
		if u == id {
			return i, true
		}
	}
	return 0, false
}
func (m *fakeModel) ItemIndex(id string) (int, bool) {
	for i, x := range m.items {
		if x == id {
			return i, true
		}
	}
	return 0, false
}
func (m *fakeModel) ItemID(i int) string { return m.items[i] }
func (m *fakeModel) HasCategories() bool { return m.cats != nil }
func (m *fakeModel) ItemCategory(i int) string {
	if m.cats == nil {
		return ""
	}
	return m.cats[i]
}
func (m *fakeModel) Popular() []ncf.Popular { return m.popular }
func (m *fakeModel) ItemVector(i int) []float32 {
	if m.vectors == nil {
		return nil
	}
	return m.vectors[i]
}
func (m *fakeModel) ScoreAll(_ context.Context, u int64) ([]float32, error) {
	if m.failAll != nil {
		return nil, m.failAll
	}
	return append([]float32(nil), m.logits[u]...), nil
}
func (m *fakeModel) Predict(_ context.Context, users, items []int64) ([]float32, error) {
	out := make([]float32, len(users))
	for i := range users {
		out[i] = m.logits[users[i]][items[i]]
	}
	return out, nil
}

func (m *fakeModel) HasIndex() bool { return m.index }

// Retrieve ranks every item not skipped by its retrieval score (ties: lower index) and
// keeps p.Candidates; p.Scan is ignored (the fake scans everything).
func (m *fakeModel) Retrieve(u int, p ivf.Probe, skip func(int) bool) ([]int, bool, error) {
	if !m.index {
		return nil, false, ncf.ErrNoIndex
	}
	m.retrieved++
	if m.failRetrieve != nil {
		return nil, false, m.failRetrieve
	}
	score := m.logits[u]
	if m.retrieval != nil {
		score = m.retrieval[u]
	}
	var out []int
	for j := range m.items {
		if skip == nil || !skip(j) {
			out = append(out, j)
		}
	}
	slices.SortStableFunc(out, func(a, b int) int { return cmp.Compare(score[b], score[a]) })
	return out[:min(len(out), p.Candidates)], m.exact, nil
}

// fixedModels always lends the same model; err, when set, is returned instead.
type fixedModels struct {
	m        Model
	err      error
	released int
}

func (f *fixedModels) Acquire(context.Context) (Model, func(), error) {
	if f.err != nil {
		return nil, nil, f.err
	}
	return f.m, func() { f.released++ }, nil
}

// memStore is an in-memory Store with injectable failures.
type memStore struct {
	seen      map[string]map[string]struct{}
	forgotten map[string]time.Time
	top       []interactions.ItemCount
	seenErr   error
	topErr    error
}

func (s *memStore) Seen(_ context.Context, user string) (map[string]struct{}, error) {
	if s.seenErr != nil {
		return nil, s.seenErr
	}
	out := map[string]struct{}{}
	for id := range s.seen[user] {
		out[id] = struct{}{}
	}
	return out, nil
}

func (s *memStore) TopItems(_ context.Context, n int) ([]interactions.ItemCount, error) {
	if s.topErr != nil {
		return nil, s.topErr
	}
	return s.top[:min(n, len(s.top))], nil
}

func (s *memStore) Forgotten(_ context.Context, user string) (time.Time, bool, error) {
	at, ok := s.forgotten[user]
	return at, ok, nil
}

func set(ids ...string) map[string]struct{} {
	m := map[string]struct{}{}
	for _, id := range ids {
		m[id] = struct{}{}
	}
	return m
}

// newFake returns a model of 6 items i0..i5 and users u0 (prefers high indices) and u1
// (prefers low ones). Vectors are 2-D unit vectors at angles 0, 30, ..., 150 degrees.
func newFake() *fakeModel {
	m := &fakeModel{version: "v-test", users: []string{"u0", "u1"}}
	cos := []float32{1, 0.8660254, 0.5, 0, -0.5, -0.8660254}
	sin := []float32{0, 0.5, 0.8660254, 1, 0.8660254, 0.5}
	m.logits = [][]float32{make([]float32, 6), make([]float32, 6)}
	for j := range 6 {
		m.items = append(m.items, fmt.Sprintf("i%d", j))
		m.logits[0][j] = float32(j) - 2.5
		m.logits[1][j] = 2.5 - float32(j)
		m.vectors = append(m.vectors, []float32{cos[j], sin[j]})
	}
	m.popular = []ncf.Popular{{ItemID: "i3", Count: 50}, {ItemID: "i1", Count: 30}, {ItemID: "i0", Count: 20}}
	return m
}

var errStore = errors.New("store down")

var noModel = &modelstore.NoModelError{Kind: "ncf", Where: "models/ncf/", RetryAfter: 7, Err: errors.New("no ACTIVE")}
