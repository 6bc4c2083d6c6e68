package recommend

import (
	"context"
	"errors"
	"fmt"

	"github.com/contentml/mlbundle/shared/interactions"
)

// ErrNotFound marks an item (or item vectors) the serving model does not have.
var ErrNotFound = errors.New("not found")

// SimilarResult answers a similar-items call.
type SimilarResult struct {
	ItemID string `json:"item_id"`
	// Items are the most similar items, best first; Score is the cosine similarity of
	// the two items' vectors, in [-1, 1].
	Items        []Item `json:"items"`
	ModelVersion string `json:"model_version"`
	Offset       int    `json:"offset"`
	// ColdStart is true when the item was registered after training: it is placed by
	// its text (docs/item-cold-start.md).
	ColdStart bool `json:"cold_start"`
}

// Similar returns the page q asks for of the items most similar to itemID (never the
// item itself). q.UserID is optional: when set, the user's history (with
// q.ExcludeSeen) and q.Exclude are filtered out as on Recommend; without it only
// q.Exclude is.
func (s *Service) Similar(ctx context.Context, itemID string, q Query) (*SimilarResult, error) {
	if msg := interactions.CheckID(itemID); msg != "" {
		return nil, invalid("item_id %s", msg)
	}
	if q.UserID != "" {
		if err := checkUser(q.UserID); err != nil {
			return nil, err
		}
	}
	if err := q.checkPage(); err != nil {
		return nil, err
	}
	m, release, err := s.models.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	placed := s.placed(ctx, m)
	i, trained := m.ItemIndex(itemID)
	var query []float32
	switch {
	case m.ItemVector(0) == nil:
		return nil, fmt.Errorf("%w: model version %s has no item vectors", ErrNotFound, m.Version())
	case trained:
		query = m.ItemVector(i)
	default:
		for _, p := range placed {
			if p.id == itemID {
				query = p.vec
			}
		}
		if query == nil {
			return nil, fmt.Errorf("%w: item %q is not in model version %s nor registered with a text", ErrNotFound, itemID, m.Version())
		}
	}
	seen := map[string]struct{}{}
	if q.UserID != "" && q.ExcludeSeen {
		if seen, err = s.seen(ctx, q.UserID); err != nil {
			return nil, err
		}
	}
	unavailable, err := s.unavailableItems(ctx)
	if err != nil {
		return nil, fmt.Errorf("similar to %q: %w", itemID, err)
	}
	f, err := newFilter(m, q, seen, unavailable)
	if err != nil {
		return nil, err
	}
	if trained {
		f.skip.set(i)
	}
	f.ids[itemID] = struct{}{} // never the item itself
	scores := similarity(m, query)
	return &SimilarResult{ItemID: itemID, ModelVersion: m.Version(), Offset: q.Offset, ColdStart: !trained,
		Items: mergeRanked(m, scores, topK(scores, q.Offset+q.K, f.skip), byDot(eligible(placed, f, q), query), q,
			func(x float32) float64 { return float64(x) })}, nil
}
