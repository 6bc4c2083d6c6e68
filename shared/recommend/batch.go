package recommend

import (
	"context"

	"github.com/contentml/mlbundle/shared/interactions"
)

// BatchResult answers a batch recommend call: one Result per user id, all from the same
// model version.
type BatchResult struct {
	Results      map[string]*Result `json:"results"`
	ModelVersion string             `json:"model_version"`
}

// RecommendBatch answers q for each of the users (1..MaxBatchUsers distinct ids) with one
// model version; q.UserID is ignored.
func (s *Service) RecommendBatch(ctx context.Context, users []string, q Query) (*BatchResult, error) {
	if len(users) == 0 || len(users) > MaxBatchUsers {
		return nil, invalid("user_ids must hold 1..%d ids, got %d", MaxBatchUsers, len(users))
	}
	if err := q.checkPage(); err != nil {
		return nil, err
	}
	first := make(map[string]int, len(users))
	for i, u := range users {
		if msg := interactions.CheckID(u); msg != "" {
			return nil, invalid("user_ids[%d] %s", i, msg)
		}
		if j, dup := first[u]; dup {
			return nil, invalid("user_ids[%d] repeats user_ids[%d] %q", i, j, u)
		}
		first[u] = i
	}
	m, release, err := s.models.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	out := &BatchResult{Results: make(map[string]*Result, len(users)), ModelVersion: m.Version()}
	for _, u := range users {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		uq := q
		uq.UserID = u
		res, err := s.recommend(ctx, m, uq)
		if err != nil {
			return nil, err
		}
		out.Results[u] = res
	}
	return out, nil
}
