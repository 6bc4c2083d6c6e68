package recommend

import (
	"context"
	"slices"
	"strings"

	"github.com/contentml/mlbundle/shared/api"
)

// maxPopular bounds the popular list (the checkpoint's holds at most 1000 too).
const maxPopular = 1000

// popular returns the k most popular items not in exclude and the confidence: the
// checkpoint's list merged with the store's live counts (per item the larger count, so
// a store that also holds the training interactions does not count them twice, while
// items that became popular after training rise). A store failure falls back to the
// checkpoint's list alone.
func (s *Service) popular(ctx context.Context, m Model, k int, exclude map[string]struct{}) ([]Item, float64) {
	counts := make(map[string]int64, len(m.Popular()))
	for _, p := range m.Popular() {
		counts[p.ItemID] = p.Count
	}
	if s.store != nil {
		live, err := s.store.TopItems(ctx, min(maxPopular, k+len(exclude)))
		if err != nil {
			api.Logger(ctx).Warn("live popularity unavailable; using the checkpoint's list",
				"error", err.Error())
		}
		for _, c := range live {
			counts[c.ItemID] = max(counts[c.ItemID], c.Count)
		}
	}
	type entry struct {
		id string
		n  int64
	}
	list := make([]entry, 0, len(counts))
	var total int64
	for id, n := range counts {
		if n > 0 {
			list = append(list, entry{id, n})
			total += n
		}
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
	items := make([]Item, 0, k)
	var covered int64
	for _, e := range list {
		if len(items) == k {
			break
		}
		if _, skip := exclude[e.id]; skip {
			continue
		}
		items = append(items, Item{ItemID: e.id, Score: float64(e.n) / float64(total), Rank: len(items) + 1})
		covered += e.n
	}
	if total == 0 {
		return items, 0
	}
	return items, popularConfidence(float64(covered) / float64(total))
}
