package modelstore_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/checkpoint/checkpointtest"
	"github.com/contentml/mlbundle/shared/modelstore"
)

// fakeModel records its version and whether it was closed.
type fakeModel struct {
	version string
	closed  atomic.Bool
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }
func quiet() *slog.Logger            { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

type cacheRig struct {
	store   *modelstore.Local
	pointer *modelstore.LocalPointer
	clock   *clock
	loads   atomic.Int32
	cache   *modelstore.Cache[*fakeModel]

	mu     sync.Mutex
	loaded []*fakeModel // every model the load function built, in order
}

func newCacheRig(t *testing.T, ttl time.Duration) *cacheRig {
	root := t.TempDir()
	r := &cacheRig{store: modelstore.NewLocal(root), pointer: modelstore.NewLocalPointer(root), clock: &clock{t: t0}}
	load := func(ctx context.Context, m *checkpoint.Manifest, dir string) (*fakeModel, error) {
		r.loads.Add(1)
		if !strings.HasSuffix(dir, m.Version) {
			return nil, errors.New("dir does not hold the version")
		}
		fm := &fakeModel{version: m.Version}
		r.mu.Lock()
		r.loaded = append(r.loaded, fm)
		r.mu.Unlock()
		return fm, nil
	}
	closeFn := func(m *fakeModel) error { m.closed.Store(true); return nil }
	r.cache = modelstore.NewCache(modelstore.CacheConfig{Kind: checkpoint.NCF, Store: r.store, Pointer: r.pointer,
		TTL: ttl, Logger: quiet(), Now: r.clock.Now}, load, closeFn)
	return r
}

func (r *cacheRig) publish(t *testing.T, version string, created time.Time) {
	t.Helper()
	c := checkpointtest.NCF(version, created)
	if err := c.WriteTo(r.store.Root); err != nil {
		t.Fatal(err)
	}
	if err := r.pointer.Promote(context.Background(), c.Manifest.Active()); err != nil {
		t.Fatal(err)
	}
}

func TestCacheNoModel(t *testing.T) {
	r := newCacheRig(t, 30*time.Second)
	ctx := context.Background()
	_, err := r.cache.Acquire(ctx)
	var nm *modelstore.NoModelError
	if !errors.As(err, &nm) || !errors.Is(err, modelstore.ErrNoModel) || !errors.Is(err, modelstore.ErrNotFound) {
		t.Fatalf("Acquire = %v, want a NoModelError wrapping ErrNotFound", err)
	}
	if nm.RetryAfter < 1 || !strings.Contains(err.Error(), r.store.Root+"/ncf") {
		t.Errorf("error %q (retry after %d) should name %s/ncf and ask to retry", err, nm.RetryAfter, r.store.Root)
	}
	// published now, but the failure is remembered for RetryAfter (no storm of loads)
	r.publish(t, "v1", t0)
	if _, err := r.cache.Acquire(ctx); !errors.Is(err, modelstore.ErrNoModel) {
		t.Errorf("Acquire within RetryAfter = %v, want the remembered ErrNoModel", err)
	}
	r.clock.Add(6 * time.Second)
	m, err := r.cache.Acquire(ctx)
	if err != nil || m.Value.version != "v1" {
		t.Fatalf("Acquire after RetryAfter = %v, %v; want v1", m, err)
	}
	m.Release()
	if r.cache.Current().Version != "v1" {
		t.Errorf("Current = %v", r.cache.Current())
	}
}

func TestCacheSwapAfterTTL(t *testing.T) {
	r := newCacheRig(t, 30*time.Second)
	ctx := context.Background()
	r.publish(t, "v1", t0)
	if err := r.cache.Warm(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	inflight, err := r.cache.Acquire(ctx)
	if err != nil || inflight.Value.version != "v1" {
		t.Fatalf("Acquire = %v, %v", inflight, err)
	}
	r.publish(t, "v2", t0.Add(time.Hour))

	r.clock.Add(10 * time.Second) // within the TTL: the pointer is not read
	m, _ := r.cache.Acquire(ctx)
	if m.Value.version != "v1" {
		t.Errorf("within TTL got %s, want v1", m.Value.version)
	}
	m.Release()

	r.clock.Add(25 * time.Second) // TTL passed: this request reads the pointer and loads v2 before it is answered
	m, _ = r.cache.Acquire(ctx)
	if m.Value.version != "v2" || r.cache.Current().Version != "v2" {
		t.Fatalf("first request after the TTL got %s (current %s), want v2", m.Value.version, r.cache.Current().Version)
	}
	m.Release()
	if inflight.Value.closed.Load() {
		t.Fatal("v1 closed while a request still held it")
	}
	inflight.Release()
	if !inflight.Value.closed.Load() {
		t.Error("v1 not closed after its last user released it")
	}
	m, _ = r.cache.Acquire(ctx)
	if m.Value.version != "v2" || m.Value.closed.Load() {
		t.Errorf("after swap got %s (closed %v), want open v2", m.Value.version, m.Value.closed.Load())
	}
	m.Release()
	if r.loads.Load() != 2 {
		t.Errorf("loads = %d, want 2", r.loads.Load())
	}
}

func TestCacheBadVersionKeepsServing(t *testing.T) {
	r := newCacheRig(t, 0)
	ctx := context.Background()
	r.publish(t, "v1", t0)
	if err := r.cache.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	// the pointer names a version whose files are broken: refresh fails, v1 serves
	c := checkpointtest.NCF("v2", t0.Add(time.Hour))
	c.Files["users.json"] = []byte(`["tampered"]`)
	if err := c.WriteTo(r.store.Root); err != nil {
		t.Fatal(err)
	}
	if err := r.pointer.Promote(ctx, c.Manifest.Active()); err != nil {
		t.Fatal(err)
	}
	if err := r.cache.Refresh(ctx); !errors.Is(err, checkpoint.ErrIntegrity) {
		t.Errorf("Refresh = %v, want ErrIntegrity", err)
	}
	m, err := r.cache.Acquire(ctx)
	if err != nil || m.Value.version != "v1" {
		t.Errorf("Acquire = %v, %v; want v1 still serving", m, err)
	}
	m.Release()
}

// Requests never see a closed model while versions swap underneath them.
func TestCacheConcurrentSwaps(t *testing.T) {
	r := newCacheRig(t, 0)
	ctx := context.Background()
	r.publish(t, "v00", t0)
	if err := r.cache.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				m, err := r.cache.Acquire(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if m.Value.closed.Load() {
					t.Error("acquired a closed model")
				}
				runtime.Gosched() // let a swap happen while the model is in use
				if m.Value.closed.Load() {
					t.Errorf("model %s closed while in use", m.Value.version)
				}
				m.Release()
			}
		})
	}
	for i := 1; i <= 10; i++ {
		r.publish(t, "v"+string(rune('0'+i/10))+string(rune('0'+i%10)), t0.Add(time.Duration(i)*time.Minute))
		if err := r.cache.Refresh(ctx); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
	if got := r.cache.Current().Version; got != "v10" {
		t.Errorf("final version %s, want v10", got)
	}
	if err := r.cache.Close(); err != nil {
		t.Error(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.loaded) != 11 {
		t.Errorf("%d models loaded, want 11 (v00..v10)", len(r.loaded))
	}
	for _, m := range r.loaded {
		if !m.closed.Load() {
			t.Errorf("model %s never closed after its last user released it", m.version)
		}
	}
}

// From S3, versions are downloaded under Dir; a replaced version's copy is
// removed once its last user is done, so /tmp does not fill up on Lambda.
func TestCacheS3RemovesReplacedCopies(t *testing.T) {
	client, bucket := newBucket(t)
	store := modelstore.NewS3(client, bucket, "models/")
	ptr := modelstore.NewLocalPointer(t.TempDir())
	dir := t.TempDir()
	load := func(ctx context.Context, m *checkpoint.Manifest, d string) (*fakeModel, error) {
		return &fakeModel{version: m.Version}, nil
	}
	c := modelstore.NewCache(modelstore.CacheConfig{Kind: checkpoint.NCF, Store: store, Pointer: ptr, Dir: dir,
		Logger: quiet()}, load, func(*fakeModel) error { return nil })
	ctx := context.Background()
	publish := func(version string, created time.Time) {
		cp := checkpointtest.NCF(version, created)
		upload(t, store, cp.Objects())
		if err := ptr.Promote(ctx, cp.Manifest.Active()); err != nil {
			t.Fatal(err)
		}
		if err := c.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	publish("v1", t0)
	held, err := c.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	publish("v2", t0.Add(time.Hour))
	v1 := filepath.Join(dir, "ncf", "v1")
	if _, err := os.Stat(v1); err != nil {
		t.Fatalf("v1 copy removed while in use: %v", err)
	}
	held.Release()
	if _, err := os.Stat(v1); !os.IsNotExist(err) {
		t.Errorf("v1 copy still at %s after its last release", v1)
	}
	if _, err := os.Stat(filepath.Join(dir, "ncf", "v2", "model.onnx")); err != nil {
		t.Errorf("v2 copy missing: %v", err)
	}
}
