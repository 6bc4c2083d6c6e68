package modelstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/contentml/mlbundle/shared/checkpoint"
)

// LoadFunc builds a servable model of type T from a verified version in dir
// (for instance ONNX sessions plus id maps). It is also where the model's ONNX
// inputs and outputs are checked against the manifest.
type LoadFunc[T any] func(ctx context.Context, m *checkpoint.Manifest, dir string) (T, error)

// CloseFunc releases a model that no request uses any more.
type CloseFunc[T any] func(T) error

// CacheConfig wires a Cache.
type CacheConfig struct {
	Kind    checkpoint.Kind
	Store   Store
	Pointer Pointer
	// Dir receives downloaded versions (<Dir>/<kind>/<version>); /tmp/models on
	// Lambda. Unused with a Local store, whose versions are read in place.
	Dir string
	// Skip leaves out files the load function does not read (for instance
	// SkipUnusedFP32 for an int8 classifier); nil fetches every file.
	Skip SkipFunc
	// TTL is how long the pointer is trusted before it is read again
	// (MODEL_TTL_SECONDS); 0 reads it on every Acquire.
	TTL time.Duration
	// PointerTimeout bounds the pointer read of a refresh on the request path; 0
	// means DefaultPointerTimeout.
	PointerTimeout time.Duration
	// RetryAfter bounds how often a failed load is retried while no model is
	// loaded, and is the Retry-After of the NoModelError; 0 means 5s.
	RetryAfter time.Duration
	Logger     *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Model is a loaded model lent to one user by Acquire; call Release when done.
type Model[T any] struct {
	Value    T
	Manifest *checkpoint.Manifest
	Dir      string

	refs    atomic.Int64 // the cache's own reference plus one per user
	release func(*Model[T])
}

// Release returns the model; the last release of a replaced model closes it.
func (m *Model[T]) Release() {
	if m.refs.Add(-1) == 0 {
		m.release(m)
	}
}

func (m *Model[T]) acquire() bool {
	for {
		r := m.refs.Load()
		if r == 0 {
			return false // already retired and closed
		}
		if m.refs.CompareAndSwap(r, r+1) {
			return true
		}
	}
}

// Cache holds the serving model of one kind and swaps in new versions.
type Cache[T any] struct {
	cfg   CacheConfig
	load  LoadFunc[T]
	close CloseFunc[T]

	current atomic.Pointer[Model[T]]

	mu        sync.Mutex             // serialises refreshes
	checkedAt atomic.Int64           // last pointer read, Unix nanoseconds (lock-free for Acquire)
	lastErr   error                  // last refresh failure while nothing loaded (guarded by mu)
	failed    atomic.Pointer[string] // the active version whose last fetch or load failed
	broken    error                  // that failure, when retrying cannot help (guarded by mu)
}

// DefaultPointerTimeout bounds the pointer read that a request makes once per TTL
// (one DynamoDB GetItem or one small file read); when it runs out, the loaded
// version keeps serving and the next request after the TTL tries again.
const DefaultPointerTimeout = time.Second

// NewCache returns an empty cache; call Refresh at init or let the first Acquire
// load lazily.
func NewCache[T any](cfg CacheConfig, load LoadFunc[T], closeFn CloseFunc[T]) *Cache[T] {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = 5 * time.Second
	}
	if cfg.PointerTimeout <= 0 {
		cfg.PointerTimeout = DefaultPointerTimeout
	}
	return &Cache[T]{cfg: cfg, load: load, close: closeFn}
}

// Acquire lends the current model. With none loaded it loads synchronously (one
// caller loads, the others wait), at most once per RetryAfter, and otherwise
// returns a *NoModelError.
//
// With a model loaded, the active pointer is checked on the request path, at
// most once per TTL: the first request after the TTL reads the pointer (bounded
// by PointerTimeout) and, when it names another version, fetches and loads that
// version before taking it; requests arriving meanwhile do not wait and get the
// loaded model. Nothing runs after the response, so the check works where the
// process is frozen between requests (Lambda). A failed refresh is logged and the
// loaded version keeps serving.
func (c *Cache[T]) Acquire(ctx context.Context) (*Model[T], error) {
	if c.current.Load() != nil && c.due() && c.mu.TryLock() {
		c.refreshDue(ctx)
		c.mu.Unlock()
	}
	for {
		if m := c.current.Load(); m != nil {
			if m.acquire() {
				return m, nil
			}
			continue // swapped out between Load and acquire: take the new one
		}
		if err := c.loadFirst(ctx); err != nil {
			return nil, err
		}
	}
}

// refreshDue refreshes when the TTL has passed (checked again under mu: another
// request may just have done it). The caller holds mu.
func (c *Cache[T]) refreshDue(ctx context.Context) {
	if !c.due() {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, refreshTimeout)
	defer cancel()
	if err := c.refreshLocked(rctx); err != nil {
		c.cfg.Logger.ErrorContext(ctx, "model refresh failed; the loaded version keeps serving",
			"kind", c.cfg.Kind, "error", err.Error())
	}
}

// Current returns the manifest of the serving version without lending the model
// (nil when none is loaded).
func (c *Cache[T]) Current() *checkpoint.Manifest {
	if m := c.current.Load(); m != nil {
		return m.Manifest
	}
	return nil
}

func (c *Cache[T]) sinceCheck() time.Duration {
	return c.cfg.Now().Sub(time.Unix(0, c.checkedAt.Load()))
}

func (c *Cache[T]) due() bool { return c.sinceCheck() >= c.cfg.TTL }

// refreshTimeout bounds one refresh (pointer read, download, load).
const refreshTimeout = 2 * time.Minute

// loadFirst refreshes while nothing is loaded, reusing a recent failure.
func (c *Cache[T]) loadFirst(ctx context.Context) error {
	c.mu.Lock()
	if c.current.Load() != nil {
		c.mu.Unlock()
		return nil
	}
	if c.lastErr != nil {
		if wait := c.cfg.RetryAfter - c.sinceCheck(); wait > 0 {
			err := c.lastErr
			c.mu.Unlock()
			return c.noModel(err, wait)
		}
	}
	// the load serves every waiting caller: one caller going away must not abort it
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
	err := c.refreshLocked(lctx)
	cancel()
	c.lastErr = err
	c.mu.Unlock()
	if err != nil {
		c.cfg.Logger.Error("model load failed", "kind", c.cfg.Kind, "error", err.Error())
		return c.noModel(err, c.cfg.RetryAfter)
	}
	return nil
}

func (c *Cache[T]) noModel(err error, wait time.Duration) error {
	var nm *NoModelError
	if errors.As(err, &nm) {
		return err
	}
	where := "(no store)"
	if c.cfg.Store != nil {
		where = c.cfg.Store.Where(string(c.cfg.Kind) + "/")
	}
	return &NoModelError{Kind: c.cfg.Kind, Where: where, RetryAfter: int(math.Ceil(max(wait, time.Second).Seconds())), Err: err}
}

// Refresh reads the pointer now and, when it names another version than the one
// serving, fetches, verifies and loads that version and swaps it in. It returns
// once the new version serves (or failed; the old one keeps serving).
func (c *Cache[T]) Refresh(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.refreshLocked(ctx)
	if c.current.Load() == nil {
		c.lastErr = err
	}
	return err
}

func (c *Cache[T]) refreshLocked(ctx context.Context) error {
	c.checkedAt.Store(c.cfg.Now().UnixNano())
	if c.cfg.Store == nil || c.cfg.Pointer == nil || c.load == nil {
		return fmt.Errorf("model cache for %s lacks a store, a pointer or a load function", c.cfg.Kind)
	}
	pctx, cancel := context.WithTimeout(ctx, c.cfg.PointerTimeout)
	active, err := c.cfg.Pointer.Get(pctx, c.cfg.Kind)
	cancel()
	if err != nil {
		return err
	}
	cur := c.current.Load()
	if cur != nil && cur.Manifest.Version == active.Version {
		return nil
	}
	if f := c.failed.Load(); cur != nil && f != nil && *f == active.Version && c.broken != nil {
		return c.broken // the same files would fail the same way: no download per TTL
	}
	start := time.Now()
	m, dir, err := FetchSome(ctx, c.cfg.Store, c.cfg.Kind, active.Version, c.cfg.Dir, c.cfg.Skip)
	if err != nil {
		err = fmt.Errorf("fetch active %s version %s: %w", c.cfg.Kind, active.Version, err)
		return c.fail(active.Version, err, errors.Is(err, checkpoint.ErrIntegrity) || errors.Is(err, checkpoint.ErrInvalid))
	}
	value, err := c.load(ctx, m, dir)
	if err != nil {
		err = fmt.Errorf("load %s version %s from %s: %w", c.cfg.Kind, active.Version, dir, err)
		return c.fail(active.Version, err, ctx.Err() == nil)
	}
	c.failed.Store(nil)
	c.broken = nil
	next := &Model[T]{Value: value, Manifest: m, Dir: dir, release: c.retire}
	next.refs.Store(1)
	old := c.current.Swap(next)
	c.cfg.Logger.Info("model loaded", "kind", c.cfg.Kind, "version", m.Version,
		"dir", dir, "load_ms", time.Since(start).Milliseconds())
	if old != nil {
		old.Release() // drop the cache's reference; closes once in-flight users finish
	}
	return nil
}

// retire closes a replaced model and removes its downloaded copy.
func (c *Cache[T]) retire(m *Model[T]) {
	if c.close != nil {
		if err := c.close(m.Value); err != nil {
			c.cfg.Logger.Error("close replaced model", "kind", c.cfg.Kind, "version", m.Manifest.Version, "error", err.Error())
		}
	}
	if _, local := c.cfg.Store.(*Local); !local && c.cfg.Dir != "" && filepath.Dir(filepath.Dir(m.Dir)) == filepath.Clean(c.cfg.Dir) {
		if err := os.RemoveAll(m.Dir); err != nil {
			c.cfg.Logger.Warn("remove replaced model files", "dir", m.Dir, "error", err.Error())
		}
	}
}

// Close retires the serving model (it closes once its users are done); a later
// Acquire loads again.
func (c *Cache[T]) Close() error {
	if old := c.current.Swap(nil); old != nil {
		old.Release()
	}
	return nil
}
