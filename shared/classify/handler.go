package classify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/contentml/mlbundle/shared/api"
	"github.com/contentml/mlbundle/shared/modelstore"
)

// Limits of one POST /v1/classify call.
const (
	// MaxTextBytes is the longest text accepted (413 beyond). The model reads
	// at most max_length tokens anyway; longer texts are cut ("truncated").
	MaxTextBytes = 16 << 10
	// MaxTexts is the most texts one call may carry (413 beyond).
	MaxTexts = 64
	// maxBody leaves room for MaxTexts texts of MaxTextBytes, JSON-escaped.
	maxBody = MaxTexts*MaxTextBytes*2 + 4096
)

// Models lends the serving classifier; *modelstore.Cache[*Model] is one.
type Models interface {
	Acquire(ctx context.Context) (*modelstore.Model[*Model], error)
}

// Handler serves POST /v1/classify.
type Handler struct {
	models Models
}

// NewHandler returns a handler answering with the models' serving version.
func NewHandler(models Models) *Handler { return &Handler{models: models} }

// Register mounts the handler's routes on rt.
func (h *Handler) Register(rt *api.Router) {
	rt.Handle(http.MethodPost, "/v1/classify", h.Classify)
}

// request is the body of POST /v1/classify: exactly one of text and texts.
type request struct {
	Text      *string  `json:"text"`
	Texts     []string `json:"texts"`
	TopK      *int     `json:"top_k"`
	Threshold *float64 `json:"threshold"`
}

// Response is the answer to POST /v1/classify: one result per text, in the
// order given ("text" gives a single result).
type Response struct {
	ModelVersion string   `json:"model_version"`
	Results      []Result `json:"results"`
}

// Classify handles POST /v1/classify.
func (h *Handler) Classify(ctx context.Context, r *api.Request) (*api.Response, error) {
	var req request
	if err := api.DecodeJSON(r, maxBody, &req); err != nil {
		return nil, err
	}
	texts, err := req.texts()
	if err != nil {
		return nil, err
	}
	if req.Threshold != nil && !(*req.Threshold >= 0 && *req.Threshold <= 1) {
		return nil, api.Invalidf("threshold must be within 0..1, got %v", *req.Threshold)
	}
	if req.TopK != nil && *req.TopK < 1 {
		return nil, api.Invalidf("top_k must be at least 1, got %d", *req.TopK)
	}
	model, err := h.models.Acquire(ctx)
	if err != nil {
		var nm *modelstore.NoModelError
		if errors.As(err, &nm) {
			return nil, api.Unavailable("the classifier model is not loaded yet; retry later", nm.RetryAfter)
		}
		return nil, fmt.Errorf("acquire classifier: %w", err)
	}
	defer model.Release()
	m := model.Value
	q := Query{Threshold: req.Threshold}
	if req.TopK != nil {
		if *req.TopK > len(m.Labels()) {
			return nil, api.Invalidf("top_k must be within 1..%d (the label count), got %d", len(m.Labels()), *req.TopK)
		}
		q.TopK = *req.TopK
	}
	results, err := m.Classify(ctx, texts, q)
	if err != nil {
		return nil, err
	}
	return api.JSON(http.StatusOK, Response{ModelVersion: m.Version(), Results: results}), nil
}

// readable reports whether r is something the model reads: a letter, digit, punctuation
// mark or symbol. A text without one (only white space, control characters such as NUL,
// invisible format characters such as U+200B, or U+FFFD, which JSON decoding leaves of a
// lone surrogate) gives the model nothing and is refused like an empty one.
func readable(r rune) bool {
	return r != utf8.RuneError &&
		(unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsPunct(r) || unicode.IsSymbol(r))
}

// texts checks the text fields and returns the texts to classify.
func (req *request) texts() ([]string, error) {
	var texts []string
	switch {
	case req.Text != nil && req.Texts != nil:
		return nil, api.Invalid(`give either "text" or "texts", not both`)
	case req.Text != nil:
		texts = []string{*req.Text}
	case req.Texts != nil:
		texts = req.Texts
	default:
		return nil, api.Invalid(`field "text" (a string) or "texts" (an array of strings) is required`)
	}
	if len(texts) == 0 {
		return nil, api.Invalid(`"texts" is empty; give at least one text`)
	}
	if len(texts) > MaxTexts {
		return nil, api.TooLarge(fmt.Sprintf(`"texts" holds %d texts; the limit is %d per call`, len(texts), MaxTexts))
	}
	for i, t := range texts {
		name := "text"
		if req.Texts != nil {
			name = fmt.Sprintf("texts[%d]", i)
		}
		switch {
		case len(t) > MaxTextBytes:
			return nil, api.TooLarge(fmt.Sprintf("%s is %d bytes; the limit is %d", name, len(t), MaxTextBytes))
		case !utf8.ValidString(t):
			return nil, api.Invalidf("%s is not valid UTF-8", name)
		case strings.IndexFunc(t, readable) < 0:
			return nil, api.Invalidf("%s is empty or only whitespace, control or invisible characters", name)
		}
	}
	return texts, nil
}
