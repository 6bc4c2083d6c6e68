package recommend

import (
	"context"
	"slices"
	"strings"

	"github.com/contentml/mlbundle/shared/api"
)

// maxFirstRead bounds the filtered ids the first live-popularity read makes room for; a
// larger filter is met by reading again (livePopular).
const maxFirstRead = 1000

// popular returns the page q asks for of the most popular items the model knows that f
// leaves in, and the confidence. An item's popularity is its number of distinct users:
// the larger of the checkpoint's count and the store's live count (a store that also
// holds the training interactions does not count them twice, while items popular since
// training rise). Live items the model does not know are ignored, so ids nobody can be
// served never rank. Ties go to the lower item id. A store failure falls back to the
// checkpoint's list alone.
//
// score = popularity / popularity of the most popular known item, in (0, 1]; it does
// not depend on k, the offset or what the user saw. confidence = 0.25 · score of the
// first item returned.
func (s *Service) popular(ctx context.Context, m Model, q Query, f filter) ([]Item, float64) {
	counts := make(map[string]int64, len(m.Popular()))
	for _, p := range m.Popular() {
		counts[p.ItemID] = p.Count
	}
	s.livePopular(ctx, m, counts, q, f)
	type entry struct {
		id string
		n  int64
	}
	list := make([]entry, 0, len(counts))
	for id, n := range counts {
		if n > 0 {
			list = append(list, entry{id, n})
		}
	}
	if len(list) == 0 {
		return []Item{}, 0
	}
	slices.SortFunc(list, func(a, b entry) int {
		if a.n != b.n {
			if a.n > b.n {
				return -1
			}
			return 1
		}
		return strings.Compare(a.id, b.id)
	})
	top := float64(list[0].n)
	items := make([]Item, 0, q.K)
	rank := 0
	for _, e := range list {
		if len(items) == q.K {
			break
		}
		if f.excludes(e.id) {
			continue
		}
		if rank++; rank <= q.Offset {
			continue
		}
		items = append(items, Item{ItemID: e.id, Score: float64(e.n) / top, Rank: rank})
	}
	if len(items) == 0 {
		return items, 0
	}
	return items, popularConfidence(items[0].Score)
}

// livePopular merges the store's top counts of items the model knows into counts. It
// reads to a depth that does not depend on k: MaxK eligible items (MaxDepth for pages
// that reach below rank MaxK) plus one per filtered id (up to maxFirstRead), and reads
// again twice as deep while a full answer still leaves fewer eligible items than that.
func (s *Service) livePopular(ctx context.Context, m Model, counts map[string]int64, q Query, f filter) {
	if s.store == nil {
		return
	}
	depth := MaxK
	if q.Offset+q.K > MaxK {
		depth = MaxDepth
	}
	for n := depth + min(len(f.ids), maxFirstRead); ; n *= 2 {
		live, err := s.store.TopItems(ctx, n)
		if err != nil {
			api.Logger(ctx).Warn("live popularity unavailable; using the checkpoint's list",
				"error", err.Error())
			return
		}
		kept := 0
		for _, c := range live {
			if _, known := m.ItemIndex(c.ItemID); !known {
				continue
			}
			counts[c.ItemID] = max(counts[c.ItemID], c.Count)
			if !f.excludes(c.ItemID) {
				kept++
			}
		}
		if len(live) < n || kept >= depth {
			return
		}
	}
}
