package interactions

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on the fields of an Interaction.
const (
	MaxIDBytes    = 256 // user and item ids
	MaxEventBytes = 64  // event names such as "view" or "purchase"
)

// ErrInvalid marks an interaction that fails validation; errors.Is(err, ErrInvalid) holds
// for every *ValidationError.
var ErrInvalid = errors.New("invalid interaction")

// Interaction is one event of a user on an item.
type Interaction struct {
	UserID string
	ItemID string
	Time   time.Time // when it happened; stored in UTC with nanosecond precision
	Event  string    // optional, e.g. "view"
	Weight *float64  // optional strength of the signal
	// Category is the item's category, optional (an id under the same rules); training
	// keeps the latest per item and the NCF checkpoint carries it for the category filter.
	Category string
}

// ItemCount is an item with its popularity: the number of distinct users who interacted
// with it. One user counts once per item however often they interact, so no single
// caller can buy popularity.
type ItemCount struct {
	ItemID string
	Count  int64
}

// Store keeps interactions and popularity. Implementations are safe for concurrent use.
type Store interface {
	// Add stores the interactions; a repeated (user, time, item) is stored once, and an
	// item's popularity grows by one for each user the first time they interact with it.
	// Nothing is written when any interaction is invalid (the error is a *ValidationError).
	Add(ctx context.Context, in []Interaction) error
	// Seen returns every item the user interacted with, over the whole history.
	Seen(ctx context.Context, userID string) (map[string]struct{}, error)
	// Recent returns the user's latest interactions, newest first, at most limit of them.
	Recent(ctx context.Context, userID string, limit int) ([]Interaction, error)
	// TopItems returns the n items with the most distinct users, most first.
	TopItems(ctx context.Context, n int) ([]ItemCount, error)
	// DeleteUser records that the user was forgotten (see Forgotten), removes every
	// stored interaction of the user and takes the user out of the popularity of each
	// item they counted for; it returns how many interactions it removed. Deleting a user
	// without interactions removes nothing and is no error.
	DeleteUser(ctx context.Context, userID string) (int, error)
	// Forgotten reports when the user's data was last deleted (ok false: never). A model
	// trained before that instant still carries what it learnt of the user, so serving
	// treats the user as unknown to it.
	Forgotten(ctx context.Context, userID string) (at time.Time, ok bool, err error)
}

// ValidationError names the interaction (by index in the batch) and the field at fault.
type ValidationError struct {
	Index   int
	Field   string
	Message string
}

// Error renders the index, field and problem.
func (e *ValidationError) Error() string {
	return fmt.Sprintf("interaction %d: %s: %s", e.Index, e.Field, e.Message)
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// earliest is the first accepted timestamp; maxFutureSkew bounds clock skew of callers.
var earliest = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

const maxFutureSkew = 24 * time.Hour

// Validate checks every interaction and returns the first problem as a *ValidationError.
func Validate(in []Interaction, now time.Time) error {
	for i, x := range in {
		if msg := checkID(x.UserID); msg != "" {
			return &ValidationError{Index: i, Field: "user_id", Message: msg}
		}
		if msg := checkID(x.ItemID); msg != "" {
			return &ValidationError{Index: i, Field: "item_id", Message: msg}
		}
		if msg := checkTime(x.Time, now); msg != "" {
			return &ValidationError{Index: i, Field: "timestamp", Message: msg}
		}
		if x.Category != "" {
			if msg := checkID(x.Category); msg != "" {
				return &ValidationError{Index: i, Field: "category", Message: msg}
			}
		}
		if len(x.Event) > MaxEventBytes || !utf8.ValidString(x.Event) || hasControl(x.Event) {
			return &ValidationError{Index: i, Field: "event",
				Message: fmt.Sprintf("must be valid text of at most %d bytes", MaxEventBytes)}
		}
		if x.Weight != nil && !(*x.Weight > 0 && !math.IsInf(*x.Weight, 1)) {
			return &ValidationError{Index: i, Field: "weight", Message: "must be a positive finite number"}
		}
	}
	return nil
}

// CheckID reports what is wrong with a user or item id, or "" when it is acceptable.
// An id is used exactly as given, never trimmed or normalised, so anything that would
// make two spellings look alike is refused: leading or trailing white space (Unicode
// category Z), control (Cc) and invisible format (Cf) characters, and text that is not
// valid Unicode (invalid UTF-8, or U+FFFD, which JSON decoding leaves of a lone
// surrogate). Training applies the same rule with the same messages
// (testdata/contract/interactions.json holds the cases both sides run).
func CheckID(id string) string { return checkID(id) }

func checkID(id string) string {
	switch {
	case id == "":
		return "must not be empty"
	case len(id) > MaxIDBytes:
		return fmt.Sprintf("must be at most %d bytes", MaxIDBytes)
	case !utf8.ValidString(id) || strings.ContainsRune(id, utf8.RuneError):
		return "must be valid Unicode text"
	case hasControl(id):
		return "must not contain control characters"
	case strings.IndexFunc(id, isFormat) >= 0:
		return "must not contain invisible format characters"
	}
	first, _ := utf8.DecodeRuneInString(id)
	last, _ := utf8.DecodeLastRuneInString(id)
	if unicode.In(first, unicode.Z) || unicode.In(last, unicode.Z) {
		return "must not start or end with white space"
	}
	return ""
}

func isFormat(r rune) bool { return unicode.In(r, unicode.Cf) }

func checkTime(t, now time.Time) string {
	switch {
	case t.IsZero():
		return "is required"
	case t.Before(earliest):
		return "must not be before 1970-01-01T00:00:00Z"
	case t.After(now.Add(maxFutureSkew)):
		return "must not be more than 24h in the future"
	}
	return ""
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}

// tsLayout is RFC 3339 with a fixed nine-digit fraction, so that the strings sort in time
// order (time.RFC3339Nano trims trailing zeros and would not).
const tsLayout = "2006-01-02T15:04:05.000000000Z07:00"

// FormatTime renders t as the fixed-width UTC timestamp used in sort keys.
func FormatTime(t time.Time) string { return t.UTC().Format(tsLayout) }

// sortKey is the per-user key of an interaction: "<timestamp>#<item id>".
func sortKey(x Interaction) string { return FormatTime(x.Time) + "#" + x.ItemID }

// dedupe drops repeated (user, time, item) triples, keeping the first occurrence.
func dedupe(in []Interaction) []Interaction {
	seen := make(map[[2]string]struct{}, len(in))
	out := make([]Interaction, 0, len(in))
	for _, x := range in {
		k := [2]string{x.UserID, sortKey(x)}
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		x.Time = x.Time.UTC()
		out = append(out, x)
	}
	return out
}
