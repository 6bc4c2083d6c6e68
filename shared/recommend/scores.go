package recommend

import (
	"context"
	"fmt"

	"github.com/contentml/mlbundle/shared/interactions"
)

// ItemScore is the model's probability that the user interacts with the item.
type ItemScore struct {
	ItemID string  `json:"item_id"`
	Score  float64 `json:"score"`
}

// ScoresResult answers a scores call. An unknown user or unknown items are reported
// here, not as errors.
type ScoresResult struct {
	UserID       string      `json:"user_id"`
	KnownUser    bool        `json:"known_user"`
	Scores       []ItemScore `json:"scores"`
	UnknownItems []string    `json:"unknown_items"`
	ModelVersion string      `json:"model_version"`
}

// Scores scores the given items for the user with the model (predict_batch); repeated
// ids are scored once, in first-seen order.
func (s *Service) Scores(ctx context.Context, userID string, itemIDs []string) (*ScoresResult, error) {
	if err := checkUser(userID); err != nil {
		return nil, err
	}
	if len(itemIDs) == 0 || len(itemIDs) > MaxScoreItems {
		return nil, invalid("item_ids must hold 1..%d ids, got %d", MaxScoreItems, len(itemIDs))
	}
	for i, id := range itemIDs {
		if msg := interactions.CheckID(id); msg != "" {
			return nil, invalid("item_ids[%d] %s", i, msg)
		}
	}
	m, release, err := s.models.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	res := &ScoresResult{UserID: userID, ModelVersion: m.Version(), Scores: []ItemScore{}, UnknownItems: []string{}}
	var ids []string
	var items []int64
	done := make(map[string]struct{}, len(itemIDs))
	for _, id := range itemIDs {
		if _, dup := done[id]; dup {
			continue
		}
		done[id] = struct{}{}
		if i, ok := m.ItemIndex(id); ok {
			ids, items = append(ids, id), append(items, int64(i))
		} else {
			res.UnknownItems = append(res.UnknownItems, id)
		}
	}
	u, ok := m.UserIndex(userID)
	res.KnownUser = ok
	if !ok || len(items) == 0 {
		return res, nil
	}
	users := make([]int64, len(items))
	for i := range users {
		users[i] = int64(u)
	}
	logits, err := m.Predict(ctx, users, items)
	if err != nil {
		return nil, fmt.Errorf("scores for %q: %w", userID, err)
	}
	for i, id := range ids {
		res.Scores = append(res.Scores, ItemScore{ItemID: id, Score: sigmoid(logits[i])})
	}
	return res, nil
}
