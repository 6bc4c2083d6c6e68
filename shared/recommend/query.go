package recommend

import (
	"github.com/contentml/mlbundle/shared/interactions"
)

// Limits of the filters and paging of a recommend request.
const (
	// MaxExclude bounds the item ids a caller may exclude in one request.
	MaxExclude = 100
	// MaxDepth bounds offset + k: pages reach at most this deep into the ranking.
	MaxDepth = 1000
	// MaxBatchUsers bounds the users of one batch recommend call (413 beyond).
	MaxBatchUsers = 50
)

// Query is one recommend request.
type Query struct {
	UserID string
	// K is the page size (1..MaxK) and Offset the number of ranked items to skip
	// (0..MaxDepth-K): the answer holds ranks Offset+1 .. Offset+K.
	K, Offset int
	// ExcludeSeen leaves out every item of the user's stored history.
	ExcludeSeen bool
	// Exclude lists item ids the caller does not want (at most MaxExclude).
	Exclude []string
	// Category, when set, keeps only the items of that category (the checkpoint's item
	// table; a model without categories refuses the filter).
	Category string
}

// check validates the query and names the field at fault.
func (q Query) check() error {
	if err := checkUser(q.UserID); err != nil {
		return err
	}
	return q.checkPage()
}

// checkPage validates everything but the user id.
func (q Query) checkPage() error {
	if q.K < 1 || q.K > MaxK {
		return invalid("k must be in 1..%d, got %d", MaxK, q.K)
	}
	if q.Offset < 0 || q.Offset+q.K > MaxDepth {
		return invalid("offset must be in 0..%d for k=%d (offset + k at most %d), got %d",
			MaxDepth-q.K, q.K, MaxDepth, q.Offset)
	}
	if len(q.Exclude) > MaxExclude {
		return invalid("exclude holds %d item ids; at most %d", len(q.Exclude), MaxExclude)
	}
	for i, id := range q.Exclude {
		if msg := interactions.CheckID(id); msg != "" {
			return invalid("exclude[%d] %s", i, msg)
		}
	}
	if q.Category != "" {
		if msg := interactions.CheckID(q.Category); msg != "" {
			return invalid("category %s", msg)
		}
	}
	return nil
}

// filter is what an answer leaves out: item ids (any id, also ones the model does not
// know, for the popular strategy) and the same items as model indices.
type filter struct {
	ids  map[string]struct{}
	skip bitset
	// model, when set, resolves ids to indices so that excludes also sees skip (the
	// category filter marks only indices).
	model Model
}

// newFilter builds the filter of q for model m: the unavailable items, the caller's
// exclusions, with ExcludeSeen the user's history, and with Category every item of
// another category. It refuses a category filter on a model without categories.
func newFilter(m Model, q Query, seen, unavailable map[string]struct{}) (filter, error) {
	f := filter{ids: make(map[string]struct{}, len(q.Exclude)+len(seen)+len(unavailable)), skip: newBitset(m.NumItems())}
	add := func(id string) {
		f.ids[id] = struct{}{}
		if i, ok := m.ItemIndex(id); ok {
			f.skip.set(i)
		}
	}
	for id := range unavailable {
		add(id)
	}
	for _, id := range q.Exclude {
		add(id)
	}
	if q.ExcludeSeen {
		for id := range seen {
			add(id)
		}
	}
	if q.Category != "" {
		if !m.HasCategories() {
			return f, invalid("category: model version %s carries no item categories", m.Version())
		}
		for i := range m.NumItems() {
			if m.ItemCategory(i) != q.Category {
				f.skip.set(i)
			}
		}
		f.model = m
	}
	return f, nil
}

// excludes reports whether the item id is filtered out.
func (f filter) excludes(id string) bool {
	if _, ok := f.ids[id]; ok {
		return true
	}
	if f.model != nil {
		i, known := f.model.ItemIndex(id)
		return !known || f.skip.has(i)
	}
	return false
}

// page returns the part of a ranking of n items that q asks for (ranks start at 1).
func page(n int, q Query) (from, to int) {
	from = min(q.Offset, n)
	return from, min(q.Offset+q.K, n)
}
