package recommend

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/contentml/mlbundle/shared/api"
)

// maxBatchBody bounds the body of POST /v1/recommendations (50 user ids and 100
// excluded ids of up to 256 bytes each, with room for JSON).
const maxBatchBody = 64 << 10

// queryFromParams reads k, offset, exclude_seen, exclude and category from query parameters;
// each bad value is a 400 naming the parameter.
func queryFromParams(params map[string]string) (Query, error) {
	q := Query{K: DefaultK, ExcludeSeen: true}
	if v, ok := params["k"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxK {
			return q, api.Invalidf("query parameter k must be an integer in 1..%d, got %q", MaxK, v)
		}
		q.K = n
	}
	if v, ok := params["offset"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n+q.K > MaxDepth {
			return q, api.Invalidf("query parameter offset must be an integer in 0..%d for k=%d (offset + k at most %d), got %q",
				MaxDepth-q.K, q.K, MaxDepth, v)
		}
		q.Offset = n
	}
	if v, ok := params["exclude_seen"]; ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return q, api.Invalidf("query parameter exclude_seen must be true or false, got %q", v)
		}
		q.ExcludeSeen = b
	}
	if v, ok := params["category"]; ok {
		if v == "" {
			return q, api.Invalid("query parameter category must not be empty")
		}
		q.Category = v
	}
	if v, ok := params["exclude"]; ok {
		q.Exclude = strings.Split(v, ",")
		if len(q.Exclude) > MaxExclude {
			return q, api.Invalidf("query parameter exclude holds %d item ids; at most %d", len(q.Exclude), MaxExclude)
		}
		for i, id := range q.Exclude {
			if strings.TrimSpace(id) == "" {
				return q, api.Invalidf("query parameter exclude: item id %d is empty", i+1)
			}
		}
	}
	return q, nil
}

// Similar handles GET /v1/items/{item_id}/similar?k=10&offset=0&exclude=i1,i2 and,
// optionally, &user_id=u1&exclude_seen=true.
func (h *Handler) Similar(ctx context.Context, r *api.Request) (*api.Response, error) {
	itemID := r.PathParams["item_id"]
	if strings.TrimSpace(itemID) == "" {
		return nil, api.Invalid("item_id is required in the path")
	}
	q, err := queryFromParams(r.Query)
	if err != nil {
		return nil, err
	}
	if v, ok := r.Query["user_id"]; ok {
		if strings.TrimSpace(v) == "" {
			return nil, api.Invalid("query parameter user_id must not be empty")
		}
		if err := api.AuthorizeUser(r, v); err != nil {
			return nil, err
		}
		q.UserID = v
	}
	res, err := h.svc.Similar(ctx, itemID, q)
	if err != nil {
		return nil, apiError(err)
	}
	return api.JSON(http.StatusOK, res), nil
}

type batchRequest struct {
	UserIDs     []string `json:"user_ids"`
	K           *int     `json:"k"`
	Offset      int      `json:"offset"`
	ExcludeSeen *bool    `json:"exclude_seen"`
	Exclude     []string `json:"exclude"`
	Category    string   `json:"category"`
}

// Batch handles POST /v1/recommendations {"user_ids": [...], "k", "offset",
// "exclude_seen", "exclude"}: the same request for several users, answered by user id.
func (h *Handler) Batch(ctx context.Context, r *api.Request) (*api.Response, error) {
	var req batchRequest
	if err := api.DecodeJSON(r, maxBatchBody, &req); err != nil {
		return nil, err
	}
	if len(req.UserIDs) == 0 {
		return nil, api.Invalid("user_ids must hold at least one user id")
	}
	if len(req.UserIDs) > MaxBatchUsers {
		return nil, api.TooLarge(fmt.Sprintf("user_ids holds %d ids; at most %d per call", len(req.UserIDs), MaxBatchUsers))
	}
	q := Query{K: DefaultK, Offset: req.Offset, ExcludeSeen: true, Exclude: req.Exclude, Category: req.Category}
	if req.K != nil {
		q.K = *req.K
	}
	if req.ExcludeSeen != nil {
		q.ExcludeSeen = *req.ExcludeSeen
	}
	for _, u := range req.UserIDs {
		if strings.TrimSpace(u) == "" {
			continue // named by the service's validation
		}
		if err := api.AuthorizeUser(r, u); err != nil {
			return nil, err
		}
	}
	res, err := h.svc.RecommendBatch(ctx, req.UserIDs, q)
	if err != nil {
		return nil, apiError(err)
	}
	return api.JSON(http.StatusOK, res), nil
}
