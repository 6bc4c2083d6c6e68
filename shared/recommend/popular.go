package recommend

import (
	"context"
	"slices"
	"strings"

	"github.com/contentml/mlbundle/shared/api"
)

// maxPopular bounds the popular list (the checkpoint's holds at most 1000 too).
const maxPopular = 1000

// popular returns the k most popular items the model knows that are not in exclude, and
// the confidence. An item's popularity is its number of distinct users: the larger of
// the checkpoint's count and the store's live count (a store that also holds the
// training interactions does not count them twice, while items popular since training
// rise). Live items the model does not know are ignored, so ids nobody can be served
// never rank. A store failure falls back to the checkpoint's list alone.
//
// score = popularity / popularity of the most popular known item, in (0, 1]; it does
// not depend on k or on what the user saw. confidence = 0.25 · score of the first item
// returned. The live list is read to a depth that does not depend on k either.
func (s *Service) popular(ctx context.Context, m Model, k int, exclude map[string]struct{}) ([]Item, float64) {
	counts := make(map[string]int64, len(m.Popular()))
	for _, p := range m.Popular() {
		counts[p.ItemID] = p.Count
	}
	if s.store != nil {
		live, err := s.store.TopItems(ctx, min(maxPopular, MaxK+len(exclude)))
		if err != nil {
			api.Logger(ctx).Warn("live popularity unavailable; using the checkpoint's list",
				"error", err.Error())
		}
		for _, c := range live {
			if _, known := m.ItemIndex(c.ItemID); known {
				counts[c.ItemID] = max(counts[c.ItemID], c.Count)
			}
		}
	}
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
	items := make([]Item, 0, k)
	for _, e := range list {
		if len(items) == k {
			break
		}
		if _, skip := exclude[e.id]; skip {
			continue
		}
		items = append(items, Item{ItemID: e.id, Score: float64(e.n) / top, Rank: len(items) + 1})
	}
	if len(items) == 0 {
		return items, 0
	}
	return items, popularConfidence(items[0].Score)
}
