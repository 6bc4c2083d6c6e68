package modelstore

import (
	"errors"
	"fmt"

	"github.com/contentml/mlbundle/shared/checkpoint"
)

// ErrNoModel matches (errors.Is) every *NoModelError.
var ErrNoModel = errors.New("no model loaded")

// NoModelError says that no model of Kind can serve yet. The API answers it with
// 503 model_unavailable and a Retry-After of RetryAfter seconds.
type NoModelError struct {
	Kind checkpoint.Kind
	// Where names the store location of the kind's versions (a path or
	// s3://bucket/prefix/kind/); Err names the pointer or key that failed.
	Where string
	// RetryAfter is when, in seconds, the next load attempt may succeed (>= 1).
	RetryAfter int
	Err        error
}

// Error names the kind and the cause (which names bucket/key or path).
func (e *NoModelError) Error() string {
	return fmt.Sprintf("no %s model loaded from %s: %v", e.Kind, e.Where, e.Err)
}

// Unwrap returns the cause.
func (e *NoModelError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrNoModel) hold.
func (e *NoModelError) Is(target error) bool { return target == ErrNoModel }
