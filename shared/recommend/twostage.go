package recommend

import (
	"context"
	"fmt"
)

// twoStage answers a known user with a model that has a retrieval index: the index's
// best candidates that pass the filter f, re-ranked by the model's own logits, merged
// with the new items (registered after training, already scored), then the page q asks for. The candidates are at least q.Offset+q.K, so a page is full whenever
// that many items pass the filter (the index keeps scanning until it found them).
func (s *Service) twoStage(ctx context.Context, m Model, u int, q Query, f filter, news []scoredNew) ([]Item, error) {
	depth := q.Offset + q.K
	cands, exact, err := m.Retrieve(u, s.retrieval.probe(m.NumItems(), depth), f.skip.has)
	if err != nil {
		return nil, fmt.Errorf("recommend for %q: %w", q.UserID, err)
	}
	if exact {
		cands = cands[:min(len(cands), depth)]
	}
	users := make([]int64, len(cands))
	items := make([]int64, len(cands))
	for i, c := range cands {
		users[i], items[i] = int64(u), int64(c)
	}
	logits, err := m.Predict(ctx, users, items)
	if err != nil {
		return nil, fmt.Errorf("recommend for %q: re-rank %d candidates: %w", q.UserID, len(cands), err)
	}
	best := topK(logits, depth, newBitset(len(logits))) // positions in cands
	return mergeRanked(candidates{m, cands}, logits, best, news, q, sigmoid), nil
}

// candidates names position p of a candidate list by the item it holds, so that the
// candidates' logits rank like a full score vector.
type candidates struct {
	Model
	items []int
}

// ItemID is the id of the item at position p.
func (c candidates) ItemID(p int) string { return c.Model.ItemID(c.items[p]) }
