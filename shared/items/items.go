package items

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/contentml/mlbundle/shared/interactions"
)

// Limits of an item's text.
const (
	MaxTitleBytes       = 300
	MaxDescriptionBytes = 4000
)

// ErrInvalid marks an item a caller got wrong; the message names the field.
var ErrInvalid = errors.New("invalid item")

// Text is what a caller registers: a title (required), a description and a category.
type Text struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Category    string `json:"category,omitempty"`
}

// Joined is the text the model reads: the title and the description.
func (t Text) Joined() string {
	if t.Description == "" {
		return t.Title
	}
	return t.Title + ". " + t.Description
}

// Item is a registered item and where a model version placed it.
type Item struct {
	ItemID string `json:"item_id"`
	Text
	// Embedding is the raw item embedding ModelVersion computed from the text (nil:
	// not placed).
	Embedding    []float32 `json:"-"`
	ModelVersion string    `json:"model_version,omitempty"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Store holds the registered items. Implementations are safe for concurrent use.
type Store interface {
	// Put adds the item or replaces the one with its id; it sets UpdatedAt.
	Put(ctx context.Context, it Item) error
	// List returns every registered item.
	List(ctx context.Context) ([]Item, error)
}

// Check validates an item id and text; the error wraps ErrInvalid and names the field.
func Check(itemID string, t Text) error {
	if msg := interactions.CheckID(itemID); msg != "" {
		return fmt.Errorf("%w: item_id %s", ErrInvalid, msg)
	}
	switch {
	case strings.TrimSpace(t.Title) == "":
		return fmt.Errorf("%w: title is required", ErrInvalid)
	case len(t.Title) > MaxTitleBytes:
		return fmt.Errorf("%w: title must be at most %d bytes, got %d", ErrInvalid, MaxTitleBytes, len(t.Title))
	case !utf8.ValidString(t.Title) || strings.IndexFunc(t.Title, unicode.IsControl) >= 0:
		return fmt.Errorf("%w: title must be valid UTF-8 without control characters", ErrInvalid)
	case len(t.Description) > MaxDescriptionBytes:
		return fmt.Errorf("%w: description must be at most %d bytes, got %d", ErrInvalid, MaxDescriptionBytes, len(t.Description))
	case !utf8.ValidString(t.Description) || strings.IndexFunc(t.Description, badControl) >= 0:
		return fmt.Errorf("%w: description must be valid UTF-8 without control characters other than tab and newline", ErrInvalid)
	}
	if t.Category != "" {
		if msg := interactions.CheckID(t.Category); msg != "" {
			return fmt.Errorf("%w: category %s", ErrInvalid, msg)
		}
	}
	return nil
}

func badControl(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' }

// encode packs an embedding as float32 little-endian bytes.
func encode(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// decode unpacks encode's bytes.
func decode(b []byte) ([]float32, error) {
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("embedding of %d bytes is not float32s", len(b))
	}
	if len(b) == 0 {
		return nil, nil
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}
