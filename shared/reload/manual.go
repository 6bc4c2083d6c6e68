package reload

import (
	"context"
	"errors"
	"fmt"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/modelstore"
)

// PromotedByReload is the PromotedBy of pointers that reload wrote on an S3 event.
const PromotedByReload = "reload"

// ByHand describes a promotion an operator asks for (mlbundle promote).
type ByHand struct {
	// By names who asks, e.g. "cli:ops@host"; Reason says why. Both are recorded in the
	// pointer and logged.
	By, Reason string
	// Force promotes a version that fails the check every automatic promotion passes.
	Force bool
}

// ErrCheckFailed marks a version refused by PromoteByHand because it fails the check.
var ErrCheckFailed = errors.New("version fails verification")

// PromoteByHand makes kind/version the active version whatever its age: it runs the
// same check as an automatic promotion (download, sha256, load exactly as serving does,
// parity) and refuses a version that fails it unless req.Force; then it writes the
// pointer on condition that it still names the version read (Replace), or promotes
// when nothing is active. Moving to an older version is a rollback and pins the pointer
// (automatic promotions stop until the next promotion by hand); any other promotion by
// hand unpins it. It returns the pointer written.
func (h *Handler) PromoteByHand(ctx context.Context, kind checkpoint.Kind, version string, req ByHand) (checkpoint.Active, error) {
	m, err := modelstore.ReadManifest(ctx, h.Store, kind, version)
	if err != nil {
		return checkpoint.Active{}, fmt.Errorf("promote %s/%s: %w", kind, version, err)
	}
	log := h.logger().With("kind", kind, "version", version, "promoted_by", req.By, "reason", req.Reason, "force", req.Force)
	if verr := h.check(ctx, kind, version); verr != nil {
		why := rejection(verr)
		if why == "" || !req.Force {
			return checkpoint.Active{}, fmt.Errorf("promote %s/%s: %w (%s): %w", kind, version, ErrCheckFailed, nonEmpty(why, "not checked"), verr)
		}
		log.WarnContext(ctx, "promote: the version fails verification; promoted anyway (force)", "check", why, "error", verr.Error())
	}
	a := m.Active()
	a.PromotedBy, a.Reason = req.By, req.Reason
	cur, err := h.Pointer.Get(ctx, kind)
	switch {
	case errors.Is(err, modelstore.ErrNotFound), errors.Is(err, modelstore.ErrCorruptPointer):
		err = h.Pointer.Promote(ctx, a)
	case err != nil:
		return checkpoint.Active{}, fmt.Errorf("promote %s/%s: %w", kind, version, err)
	default:
		a.Pinned = cur.CreatedAt.After(a.CreatedAt)
		err = h.Pointer.Replace(ctx, a, cur)
	}
	if err != nil {
		return checkpoint.Active{}, fmt.Errorf("promote %s/%s: %w", kind, version, err)
	}
	got, err := h.Pointer.Get(ctx, kind)
	if err != nil {
		return checkpoint.Active{}, fmt.Errorf("promote %s/%s: read back: %w", kind, version, err)
	}
	prev := ""
	if got.Previous != nil {
		prev = got.Previous.Version
	}
	log.InfoContext(ctx, "promote: version promoted by hand", "event", "promotion", "previous", prev, "pinned", got.Pinned)
	return got, nil
}

func nonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
