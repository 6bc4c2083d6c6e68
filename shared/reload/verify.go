package reload

import (
	"context"
	"errors"
	"fmt"

	"github.com/contentml/mlbundle/shared/checkpoint"
)

// ErrRejected marks an artifact that fails validation for a reason other than
// integrity, manifest, parity or loading (a validator that panicked).
var ErrRejected = errors.New("artifact rejected")

// Validator decides whether a downloaded, hash-verified version may serve.
type Validator interface {
	Validate(ctx context.Context, m *checkpoint.Manifest, dir string) error
}

// Kinds is the product's Validator: the Verify of each model kind
// (modelstore.Kind.Verify, from ncf.Kind and classify.Kind), which loads the
// version exactly as serving does and runs parity.json against the loaded model.
type Kinds map[checkpoint.Kind]func(ctx context.Context, m *checkpoint.Manifest, dir string) error

var _ Validator = Kinds(nil)

// Validate runs the Verify of m's kind.
func (k Kinds) Validate(ctx context.Context, m *checkpoint.Manifest, dir string) error {
	verify, ok := k[m.Kind]
	if !ok {
		return fmt.Errorf("reload: no verifier for kind %s", m.Kind) // a wiring fault: retried, not blamed on the artifact
	}
	return verify(ctx, m, dir)
}
