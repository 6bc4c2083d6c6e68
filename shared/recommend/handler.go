package recommend

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/contentml/mlbundle/shared/api"
	"github.com/contentml/mlbundle/shared/modelstore"
)

// maxScoresBody bounds the body of POST /v1/scores (1000 ids of up to 256 bytes).
const maxScoresBody = 300 << 10

// Handler serves the recommend routes.
type Handler struct {
	svc *Service
}

// NewHandler returns the HTTP handlers of svc.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// Register mounts the routes on rt.
func (h *Handler) Register(rt *api.Router) {
	rt.Handle(http.MethodGet, "/v1/users/{user_id}/recommendations", h.Recommendations)
	rt.Handle(http.MethodPost, "/v1/scores", h.Scores)
	rt.Handle(http.MethodPost, "/v1/recommendations", h.Batch)
	rt.Handle(http.MethodGet, "/v1/items/{item_id}/similar", h.Similar)
	rt.Handle(http.MethodPut, "/v1/items/{item_id}", h.PutItem)
}

// Recommendations handles GET /v1/users/{user_id}/recommendations
// ?k=10&offset=0&exclude_seen=true&exclude=i1,i2.
func (h *Handler) Recommendations(ctx context.Context, r *api.Request) (*api.Response, error) {
	userID := r.PathParams["user_id"]
	if strings.TrimSpace(userID) == "" {
		return nil, api.Invalid("user_id is required in the path")
	}
	q, err := queryFromParams(r.Query)
	if err != nil {
		return nil, err
	}
	q.UserID = userID
	if err := api.AuthorizeUser(r, userID); err != nil {
		return nil, err
	}
	res, err := h.svc.RecommendQuery(ctx, q)
	if err != nil {
		return nil, apiError(err)
	}
	return api.JSON(http.StatusOK, res), nil
}

type scoresRequest struct {
	UserID  string   `json:"user_id"`
	ItemIDs []string `json:"item_ids"`
}

// Scores handles POST /v1/scores {"user_id", "item_ids": [...]}.
func (h *Handler) Scores(ctx context.Context, r *api.Request) (*api.Response, error) {
	var req scoresRequest
	if err := api.DecodeJSON(r, maxScoresBody, &req); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.UserID) == "" {
		return nil, api.Invalid("user_id is required")
	}
	if err := api.AuthorizeUser(r, req.UserID); err != nil {
		return nil, err
	}
	if len(req.ItemIDs) > MaxScoreItems { // a batch over the limit: 413, as for texts and interactions
		return nil, api.TooLarge(fmt.Sprintf("item_ids holds %d ids; at most %d per call", len(req.ItemIDs), MaxScoreItems))
	}
	res, err := h.svc.Scores(ctx, req.UserID, req.ItemIDs)
	if err != nil {
		return nil, apiError(err)
	}
	return api.JSON(http.StatusOK, res), nil
}

// apiError maps the service's errors to what the caller sees: their mistakes as 400,
// an item the model does not have as 404, no model as 503 with Retry-After; anything else stays internal (500, logged).
func apiError(err error) error {
	var nm *modelstore.NoModelError
	switch {
	case errors.Is(err, ErrInvalidInput):
		return api.Invalid(strings.TrimPrefix(err.Error(), ErrInvalidInput.Error()+": "))
	case errors.Is(err, ErrNotFound):
		return api.NotFound(strings.TrimPrefix(err.Error(), ErrNotFound.Error()+": "))
	case errors.As(err, &nm):
		return api.Unavailable("no recommendation model is loaded yet; retry later", nm.RetryAfter)
	case errors.Is(err, modelstore.ErrNoModel):
		return api.Unavailable("no recommendation model is loaded yet; retry later", 5)
	case errors.Is(err, ErrStoreUnavailable) && !errors.Is(err, context.DeadlineExceeded):
		return api.StoreFailed("the interactions store did not answer; retry later", err)
	}
	return err
}
