package recommend

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/contentml/mlbundle/shared/api"
	"github.com/contentml/mlbundle/shared/items"
)

// ErrCannotPlace marks a registration the serving model cannot take: it has no
// item_text graphs (trained without --item-text-encoder).
var ErrCannotPlace = errors.New("cannot place items by text")

// ItemWriter stores registered items (shared/items.Store).
type ItemWriter interface {
	Put(ctx context.Context, it items.Item) error
}

// expirer is a NewItems whose next read goes to the store (shared/items.Cache).
type expirer interface{ Expire() }

// WithItemWriter lets the service register items (PUT /v1/items/{item_id}) into w.
func WithItemWriter(w ItemWriter) Option { return func(s *Service) { s.itemWriter = w } }

// Registered answers a registration.
type Registered struct {
	ItemID string `json:"item_id"`
	items.Text
	// InModel is true when the serving model was trained on the item: its trained
	// embedding serves, and the text is kept for the next training.
	InModel bool `json:"in_model"`
	// ModelVersion is the version that placed the item (or knows it).
	ModelVersion string `json:"model_version"`
	// EmbeddingDim is the length of the placed embedding (0 when InModel).
	EmbeddingDim int `json:"embedding_dim"`
}

// RegisterItem stores the item's text and, for an item the serving model does not know,
// where the model places it; from then on the item is a candidate of every answer (after
// at most the registered items' TTL on other instances).
func (s *Service) RegisterItem(ctx context.Context, itemID string, t items.Text) (*Registered, error) {
	if err := items.Check(itemID, t); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidInput, strings.TrimPrefix(err.Error(), items.ErrInvalid.Error()+": "))
	}
	if s.itemWriter == nil {
		return nil, fmt.Errorf("register %q: no item store configured", itemID)
	}
	m, release, err := s.models.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	tm, ok := m.(TextModel)
	if !ok || !tm.PlacesText() {
		return nil, fmt.Errorf("%w: model version %s was trained without item texts", ErrCannotPlace, m.Version())
	}
	res := &Registered{ItemID: itemID, Text: t, ModelVersion: m.Version()}
	it := items.Item{ItemID: itemID, Text: t}
	if _, known := m.ItemIndex(itemID); known {
		res.InModel = true
	} else {
		emb, err := tm.PlaceText(ctx, []string{t.Joined()})
		if err != nil {
			return nil, fmt.Errorf("register %q: %w", itemID, err)
		}
		it.Embedding, it.ModelVersion, res.EmbeddingDim = emb[0], m.Version(), len(emb[0])
	}
	if err := s.itemWriter.Put(ctx, it); err != nil {
		return nil, fmt.Errorf("register %q: %w: %w", itemID, ErrStoreUnavailable, err)
	}
	if e, ok := s.newItems.(expirer); ok {
		e.Expire() // this instance serves the item from its next answer
	}
	return res, nil
}

// maxItemBody bounds the body of PUT /v1/items/{item_id}.
const maxItemBody = 32 << 10

// PutItem handles PUT /v1/items/{item_id} {"title", "description", "category"}.
func (h *Handler) PutItem(ctx context.Context, r *api.Request) (*api.Response, error) {
	if err := api.AuthorizeService(r); err != nil {
		return nil, err
	}
	var t items.Text
	if err := api.DecodeJSON(r, maxItemBody, &t); err != nil {
		return nil, err
	}
	res, err := h.svc.RegisterItem(ctx, r.PathParams["item_id"], t)
	if err != nil {
		if errors.Is(err, ErrCannotPlace) {
			return nil, api.Conflict("cannot_place", strings.TrimPrefix(err.Error(), ErrCannotPlace.Error()+": "))
		}
		return nil, apiError(err)
	}
	return api.JSON(http.StatusOK, res), nil
}
