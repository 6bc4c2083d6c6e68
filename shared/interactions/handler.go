package interactions

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/contentml/mlbundle/shared/api"
)

// Limits of POST /v1/interactions.
const (
	MaxBatch    = 100
	maxBodySize = 256 << 10
)

// ServerTimeWindow is the resolution of the time given to an interaction sent without a
// timestamp: the server's clock truncated to it. Repeats of one (user, item) without
// timestamps inside one window are therefore one interaction, stored once, and a
// retried call inside the window is idempotent.
const ServerTimeWindow = time.Minute

// Handler serves the ingest route.
type Handler struct {
	store Store
	now   func() time.Time
}

// NewHandler returns the ingest handler over store.
func NewHandler(store Store) *Handler { return &Handler{store: store, now: time.Now} }

// Register mounts POST /v1/interactions and DELETE /v1/users/{user_id}/interactions on rt.
func (h *Handler) Register(rt *api.Router) {
	rt.Handle(http.MethodPost, "/v1/interactions", h.Ingest)
	rt.Handle(http.MethodDelete, "/v1/users/{user_id}/interactions", h.DeleteUser)
}

type ingestRequest struct {
	Interactions []ingestItem `json:"interactions"`
}

type ingestItem struct {
	UserID    string   `json:"user_id"`
	ItemID    string   `json:"item_id"`
	Timestamp *string  `json:"timestamp"`
	Event     string   `json:"event"`
	Weight    *float64 `json:"weight"`
	Category  string   `json:"category"`
}

// IngestResult is the answer of POST /v1/interactions.
type IngestResult struct {
	// Accepted counts the interactions now stored, repeats of stored ones included.
	Accepted int `json:"accepted"`
}

// Ingest handles POST /v1/interactions {"interactions": [{user_id, item_id, timestamp?,
// event?, weight?}]}: it validates the whole batch (a 400 names the index and field),
// then stores it. A missing timestamp means "now" truncated to ServerTimeWindow; send one
// for a finer time and retries that are idempotent past the window.
func (h *Handler) Ingest(ctx context.Context, r *api.Request) (*api.Response, error) {
	var req ingestRequest
	if err := api.DecodeJSON(r, maxBodySize, &req); err != nil {
		return nil, err
	}
	if len(req.Interactions) == 0 {
		return nil, api.Invalid("interactions must hold at least one interaction")
	}
	if len(req.Interactions) > MaxBatch {
		return nil, api.TooLarge(fmt.Sprintf("interactions holds %d; at most %d per call", len(req.Interactions), MaxBatch))
	}
	now := h.now().UTC()
	serverTime := now.Truncate(ServerTimeWindow)
	batch := make([]Interaction, len(req.Interactions))
	for i, x := range req.Interactions {
		t := serverTime
		if x.Timestamp != nil {
			var err error
			if t, err = time.Parse(time.RFC3339Nano, *x.Timestamp); err != nil {
				return nil, api.Invalidf("interactions[%d].timestamp: %q is not an RFC 3339 time such as 2026-01-02T15:04:05Z", i, *x.Timestamp)
			}
		}
		batch[i] = Interaction{UserID: x.UserID, ItemID: x.ItemID, Time: t, Event: x.Event, Weight: x.Weight, Category: x.Category}
	}
	if err := Validate(batch, now); err != nil {
		return nil, apiError(err)
	}
	authorized := map[string]bool{}
	for _, x := range batch {
		if !authorized[x.UserID] {
			if err := api.AuthorizeUser(r, x.UserID); err != nil {
				return nil, err
			}
			authorized[x.UserID] = true
		}
	}
	if err := h.store.Add(ctx, batch); err != nil {
		return nil, apiError(err)
	}
	return api.JSON(http.StatusOK, IngestResult{Accepted: len(batch)}), nil
}

// DeleteResult is the answer of DELETE /v1/users/{user_id}/interactions.
type DeleteResult struct {
	UserID string `json:"user_id"`
	// Deleted counts the interactions removed (0 when the user had none).
	Deleted int `json:"deleted"`
}

// DeleteUser handles DELETE /v1/users/{user_id}/interactions: it removes every stored
// interaction of the user and the user's share of item popularity, and marks the user
// forgotten, so that recommend answers as for a new user until a model trained without
// them serves.
func (h *Handler) DeleteUser(ctx context.Context, r *api.Request) (*api.Response, error) {
	userID := r.PathParams["user_id"]
	if msg := CheckID(userID); msg != "" {
		return nil, api.Invalidf("user_id %s", msg)
	}
	if err := api.AuthorizeUser(r, userID); err != nil {
		return nil, err
	}
	n, err := h.store.DeleteUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	api.Logger(ctx).Info("user forgotten", "event", "user_deleted", "user_id", userID, "interactions", n)
	return api.JSON(http.StatusOK, DeleteResult{UserID: userID, Deleted: n}), nil
}

func apiError(err error) error {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return api.Invalidf("interactions[%d].%s: %s", ve.Index, ve.Field, ve.Message)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		return api.StoreFailed("the interactions store did not take the batch; retry it (with timestamps, a retry stores nothing twice)", err)
	}
	return err
}
