package modelstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/contentml/mlbundle/shared/checkpoint"
)

// ErrCorruptPointer marks a pointer that exists but cannot be read as one (not JSON,
// another kind, an invalid version or time). Readers treat it as "no valid pointer":
// serving keeps its current model or answers 503, and Promote replaces it.
var ErrCorruptPointer = errors.New("corrupt active pointer")

// ErrStale is returned by Promote when the pointer already names a version
// created later than the one offered.
var ErrStale = errors.New("stale version")

// Pointer records which version of each kind serves.
type Pointer interface {
	// Get returns the active version of kind; none yet gives an error wrapping
	// ErrNotFound.
	Get(ctx context.Context, kind checkpoint.Kind) (checkpoint.Active, error)
	// Promote makes a the active version of its kind unless the current one was
	// created later or is pinned by a rollback (ErrStale). Promoting the current
	// version again succeeds (while not pinned).
	Promote(ctx context.Context, a checkpoint.Active) error
	// Replace makes a the active version of its kind, older or not, pinned or not,
	// only while the pointer still names prev's version (else ErrStale). Reload uses it
	// to put a loadable version in place of an active one that cannot load; a
	// promotion by hand (reload.Handler.PromoteByHand) uses it to roll back.
	Replace(ctx context.Context, a, prev checkpoint.Active) error
}

// newer decides a promotion: a replaces cur when created later, or when it is the
// very same version (a repeated event).
func newer(a, cur checkpoint.Active) bool {
	return a.CreatedAt.After(cur.CreatedAt) || a.CreatedAt.Equal(cur.CreatedAt) && a.Version == cur.Version
}

// promotable is the rule of Promote: nothing active yet, or a newer (or the same)
// version while no rollback pins the pointer.
func promotable(a, cur checkpoint.Active, found bool) bool {
	return !found || !cur.Pinned && newer(a, cur)
}

// record is what a pointer write stores: a, in UTC, with the version it replaces as
// Previous (kept from cur when the version does not change) and PromotedAt now when
// unset.
func record(a, cur checkpoint.Active, found bool, now time.Time) checkpoint.Active {
	a.CreatedAt = a.CreatedAt.UTC()
	switch {
	case found && cur.Version != a.Version:
		a.Previous = &checkpoint.Previous{Version: cur.Version, CreatedAt: cur.CreatedAt.UTC()}
	case found:
		a.Previous = cur.Previous
	default:
		a.Previous = nil
	}
	if a.PromotedAt.IsZero() {
		a.PromotedAt = now
	}
	a.PromotedAt = a.PromotedAt.UTC()
	return a
}

func checkActive(a checkpoint.Active) error {
	if !checkpoint.ValidKind(a.Kind) || !checkpoint.ValidVersion(a.Version) || a.CreatedAt.IsZero() {
		return fmt.Errorf("invalid active pointer %+v: want a known kind, a valid version and created_at", a)
	}
	return nil
}

// LocalPointer keeps the pointer of each kind in <root>/<kind>/ACTIVE (JSON, see
// docs/checkpoint.md). Promote holds an exclusive file lock and replaces the file
// by rename, so concurrent processes on one machine never lose an update.
type LocalPointer struct {
	Root string
	mu   sync.Mutex
}

var _ Pointer = (*LocalPointer)(nil)

// NewLocalPointer returns the pointer files under root.
func NewLocalPointer(root string) *LocalPointer { return &LocalPointer{Root: root} }

func (p *LocalPointer) file(kind checkpoint.Kind) string {
	return filepath.Join(p.Root, string(kind), "ACTIVE")
}

// Get reads <root>/<kind>/ACTIVE.
func (p *LocalPointer) Get(ctx context.Context, kind checkpoint.Kind) (checkpoint.Active, error) {
	if !checkpoint.ValidKind(kind) {
		return checkpoint.Active{}, fmt.Errorf("active pointer: unknown kind %q", kind)
	}
	name := p.file(kind)
	data, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return checkpoint.Active{}, fmt.Errorf("active pointer %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return checkpoint.Active{}, fmt.Errorf("active pointer: %w", err)
	}
	var a checkpoint.Active
	if err := json.Unmarshal(data, &a); err != nil {
		return checkpoint.Active{}, fmt.Errorf("active pointer %s: %w: %w", name, ErrCorruptPointer, err)
	}
	if a.Kind != kind {
		return checkpoint.Active{}, fmt.Errorf("active pointer %s names kind %q: %w", name, a.Kind, ErrCorruptPointer)
	}
	if err := checkActive(a); err != nil {
		return checkpoint.Active{}, fmt.Errorf("active pointer %s: %w: %w", name, ErrCorruptPointer, err)
	}
	return a, nil
}

// Promote replaces <root>/<kind>/ACTIVE when a is newer and the pointer is not pinned,
// or when the file is corrupt.
func (p *LocalPointer) Promote(ctx context.Context, a checkpoint.Active) error {
	return p.write(ctx, a, func(cur checkpoint.Active, found bool) bool { return promotable(a, cur, found) })
}

// Replace replaces <root>/<kind>/ACTIVE while it names prev's version.
func (p *LocalPointer) Replace(ctx context.Context, a, prev checkpoint.Active) error {
	return p.write(ctx, a, func(cur checkpoint.Active, found bool) bool { return found && cur.Version == prev.Version })
}

// write replaces the pointer of a.Kind when allow accepts the current one
// (found is false when there is none), holding the lock in between.
func (p *LocalPointer) write(ctx context.Context, a checkpoint.Active, allow func(cur checkpoint.Active, found bool) bool) error {
	if err := checkActive(a); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	dir := filepath.Dir(p.file(a.Kind))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("promote %s/%s: %w", a.Kind, a.Version, err)
	}
	unlock, err := lockFile(filepath.Join(dir, ".ACTIVE.lock"))
	if err != nil {
		return fmt.Errorf("promote %s/%s: %w", a.Kind, a.Version, err)
	}
	defer unlock()
	cur, err := p.Get(ctx, a.Kind)
	if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrCorruptPointer) {
		return fmt.Errorf("promote %s/%s: %w", a.Kind, a.Version, err)
	}
	found := err == nil
	if !allow(cur, found) {
		return fmt.Errorf("promote %s/%s (created %s): %s holds %s (created %s%s): %w",
			a.Kind, a.Version, a.CreatedAt.Format(time.RFC3339), p.file(a.Kind), cur.Version,
			cur.CreatedAt.Format(time.RFC3339), pinnedNote(cur), ErrStale)
	}
	data, err := json.Marshal(record(a, cur, found, time.Now()))
	if err != nil {
		return err
	}
	store := NewLocal(p.Root)
	if err := store.Put(ctx, string(a.Kind)+"/ACTIVE", bytesReader(data)); err != nil {
		return fmt.Errorf("promote %s/%s: %w", a.Kind, a.Version, err)
	}
	return nil
}

func pinnedNote(cur checkpoint.Active) string {
	if cur.Pinned {
		return ", pinned by a rollback"
	}
	return ""
}

// lockFile takes an exclusive flock on name, waiting for other processes.
func lockFile(name string) (func(), error) {
	f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
