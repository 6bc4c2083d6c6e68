package recommend

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/contentml/mlbundle/shared/api"
	"github.com/contentml/mlbundle/shared/metrics"
)

// Item is one recommended item; Rank starts at 1.
type Item struct {
	ItemID string  `json:"item_id"`
	Score  float64 `json:"score"`
	Rank   int     `json:"rank"`
	// ColdStart marks an item registered after the model was trained, placed by its
	// text (docs/item-cold-start.md); absent for the model's own items.
	ColdStart bool `json:"cold_start,omitempty"`
}

// Result is the answer to a recommend call.
type Result struct {
	UserID string `json:"user_id"`
	Items  []Item `json:"items"`
	// Strategy is StrategyNCF, StrategyItemKNN or StrategyPopular.
	Strategy string `json:"strategy"`
	// ColdStart is true when the model has no embedding for the user.
	ColdStart bool `json:"cold_start"`
	// Confidence in [0, 1]; see docs/recommend.md.
	Confidence   float64 `json:"confidence"`
	ModelVersion string  `json:"model_version"`
	// Offset is the number of ranked items before this page.
	Offset int `json:"offset"`
}

// Recommend returns up to k items for the user, best first. With excludeSeen, no item
// of the user's stored history is returned.
func (s *Service) Recommend(ctx context.Context, userID string, k int, excludeSeen bool) (*Result, error) {
	return s.RecommendQuery(ctx, Query{UserID: userID, K: k, ExcludeSeen: excludeSeen})
}

// RecommendQuery answers one recommend request: ranks q.Offset+1 .. q.Offset+q.K of the
// items left after the query's filters, best first.
func (s *Service) RecommendQuery(ctx context.Context, q Query) (*Result, error) {
	if err := q.check(); err != nil {
		return nil, err
	}
	m, release, err := s.models.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	return s.recommend(ctx, m, q)
}

// recommend answers q with model m. Every strategy ranks all the items it knows and
// filters before cutting the page, so the answer holds q.K items whenever at least
// q.Offset+q.K eligible items exist.
func (s *Service) recommend(ctx context.Context, m Model, q Query) (*Result, error) {
	u, modelUser := m.UserIndex(q.UserID)
	scores, seen, forgotten, err := s.scoreAndRead(ctx, m, q.UserID, u, modelUser)
	if err != nil {
		return nil, err
	}
	modelUser = modelUser && !forgotten
	unavailable, err := s.unavailableItems(ctx)
	if err != nil {
		return nil, fmt.Errorf("recommend for %q: %w", q.UserID, err)
	}
	res := &Result{UserID: q.UserID, ModelVersion: m.Version(), Offset: q.Offset}
	f, err := newFilter(m, q, seen, unavailable)
	if err != nil {
		return nil, err
	}
	placed := s.placed(ctx, m)
	if modelUser {
		res.Strategy, res.Confidence = StrategyNCF, ncfConfidence(len(seen))
		news, err := scoreNew(ctx, m, u, eligible(placed, f, q))
		if err != nil {
			return nil, fmt.Errorf("recommend for %q: %w", q.UserID, err)
		}
		if scores == nil { // a retrieval index: re-rank its candidates, new items beside them
			res.Items, err = s.twoStage(ctx, m, u, q, f, news)
			return res, err
		}
		res.Items = mergeRanked(m, scores, topK(scores, q.Offset+q.K, f.skip), news, q, sigmoid)
		return res, nil
	}
	res.ColdStart = true
	known := knownItems(m, seen)
	seenNew := seenPlaced(placed, seen)
	if len(known)+len(seenNew) > 0 && m.ItemVector(0) != nil {
		c := centroid(m, known, seenNew)
		scores := similarity(m, c)
		res.Strategy, res.Confidence = StrategyItemKNN, knnConfidence(len(known)+len(seenNew), len(seen))
		res.Items = mergeRanked(m, scores, topK(scores, q.Offset+q.K, f.skip), byDot(eligible(placed, f, q), c), q,
			func(x float32) float64 { return float64(x) })
	} else {
		res.Strategy = StrategyPopular
		res.Items, res.Confidence = s.popular(ctx, m, q, f)
	}
	s.coldStart(ctx, res, len(seen), len(known))
	return res, nil
}

// scoreAndRead scores every item for a user the model knows (scores nil otherwise, and
// for a model with a retrieval index, which recommend re-ranks in twoStage) and
// reads the user's history, one after the other or, with OverlapReads, at once. For a
// user the model knows it also reports whether the user was forgotten after the model
// was trained: the model then still knows them, but must not use what it knows.
func (s *Service) scoreAndRead(ctx context.Context, m Model, userID string, u int, modelUser bool) ([]float32, map[string]struct{}, bool, error) {
	if !modelUser {
		seen, err := s.seen(ctx, userID)
		return nil, seen, false, err
	}
	if m.HasIndex() { // two-stage: retrieval leaves the filtered items out, so read first
		seen, err := s.seen(ctx, userID)
		if err != nil {
			return nil, nil, false, err
		}
		forgotten, err := s.forgottenSince(ctx, m, userID)
		return nil, seen, forgotten, err
	}
	var scores []float32
	scored := make(chan error, 1)
	score := func() {
		var err error
		if scores, err = m.ScoreAll(ctx, int64(u)); err != nil {
			err = fmt.Errorf("recommend for %q: %w", userID, err)
		}
		scored <- err
	}
	if s.overlap {
		go score()
	} else {
		score()
	}
	seen, err := s.seen(ctx, userID)
	forgotten, ferr := s.forgottenSince(ctx, m, userID)
	return scores, seen, forgotten, errors.Join(<-scored, err, ferr)
}

// forgottenSince reports whether the user's data was deleted after m was trained.
func (s *Service) forgottenSince(ctx context.Context, m Model, userID string) (bool, error) {
	if s.store == nil {
		return false, nil
	}
	at, ok, err := s.store.Forgotten(ctx, userID)
	if err != nil {
		return false, fmt.Errorf("recommend for %q: %w", userID, err)
	}
	return ok && !at.Before(m.CreatedAt()), nil
}

// coldStart logs and counts a call for a user the model does not know.
func (s *Service) coldStart(ctx context.Context, res *Result, seen, known int) {
	api.Logger(ctx).Info("cold start", "event", "cold_start", "user_id", res.UserID,
		"strategy", res.Strategy, "seen_items", seen, "known_seen_items", known,
		"items", len(res.Items), "confidence", res.Confidence, "model_version", res.ModelVersion)
	s.metrics.Count(metrics.ColdStart, 1, map[string]string{
		"strategy": res.Strategy, "model_version": res.ModelVersion,
	})
}

func sigmoid(x float32) float64 { return 1 / (1 + math.Exp(-float64(x))) }

// knownItems returns the model's indices of the seen items it knows.
func knownItems(m Model, seen map[string]struct{}) []int {
	var known []int
	for id := range seen {
		if i, ok := m.ItemIndex(id); ok {
			known = append(known, i)
		}
	}
	return known
}

// centroid is the mean of the known items' vectors and the seen new items' vectors.
// Vectors are L2-normalised, so an item's dot product with it is its mean cosine
// similarity to them.
func centroid(m Model, known []int, news [][]float32) []float32 {
	c := make([]float32, len(m.ItemVector(0)))
	for _, i := range known {
		for d, v := range m.ItemVector(i) {
			c[d] += v
		}
	}
	for _, vec := range news {
		for d, v := range vec {
			c[d] += v
		}
	}
	for d := range c {
		c[d] /= float32(len(known) + len(news))
	}
	return c
}

// similarity scores every item of the model by the dot product of its vector with c.
func similarity(m Model, c []float32) []float32 {
	scores := make([]float32, m.NumItems())
	for j := range scores {
		var dot float32
		for d, v := range m.ItemVector(j) {
			dot += v * c[d]
		}
		scores[j] = dot
	}
	return scores
}

// seenPlaced returns the vectors of the new items the user has seen.
func seenPlaced(placed []placedItem, seen map[string]struct{}) [][]float32 {
	var out [][]float32
	for _, p := range placed {
		if _, ok := seen[p.id]; ok {
			out = append(out, p.vec)
		}
	}
	return out
}

// scoreNew scores the eligible new items for model user u with the model itself.
func scoreNew(ctx context.Context, m Model, u int, placed []placedItem) ([]scoredNew, error) {
	if len(placed) == 0 {
		return nil, nil
	}
	embs := make([][]float32, len(placed))
	for i, p := range placed {
		embs[i] = p.emb
	}
	logits, err := m.(TextModel).ScoreItems(ctx, int64(u), embs)
	if err != nil {
		return nil, err
	}
	out := make([]scoredNew, len(placed))
	for i, p := range placed {
		out[i] = scoredNew{p.id, logits[i]}
	}
	return out, nil
}
