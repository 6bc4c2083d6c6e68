package modelstore_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/checkpoint/checkpointtest"
	"github.com/contentml/mlbundle/shared/modelstore"
)

// gatedPointer counts pointer reads and, while gate is set, blocks each read
// until gate is closed or the read's context ends.
type gatedPointer struct {
	modelstore.Pointer
	reads atomic.Int32
	gate  atomic.Pointer[chan struct{}]
}

func (p *gatedPointer) Get(ctx context.Context, kind checkpoint.Kind) (checkpoint.Active, error) {
	p.reads.Add(1)
	if g := p.gate.Load(); g != nil {
		select {
		case <-*g:
		case <-ctx.Done():
			return checkpoint.Active{}, ctx.Err()
		}
	}
	return p.Pointer.Get(ctx, kind)
}

func gatedRig(t *testing.T, ttl, pointerTimeout time.Duration) (*cacheRig, *gatedPointer) {
	t.Helper()
	r := newCacheRig(t, ttl)
	gp := &gatedPointer{Pointer: r.pointer}
	load := func(ctx context.Context, m *checkpoint.Manifest, dir string) (*fakeModel, error) {
		r.loads.Add(1)
		if m.Version == "unloadable" {
			return nil, errors.New("users.json has 2 ids, manifest says 3")
		}
		return &fakeModel{version: m.Version}, nil
	}
	r.cache = modelstore.NewCache(modelstore.CacheConfig{Kind: checkpoint.NCF, Store: r.store, Pointer: gp,
		TTL: ttl, PointerTimeout: pointerTimeout, Logger: quiet(), Now: r.clock.Now}, load,
		func(m *fakeModel) error { m.closed.Store(true); return nil })
	r.publish(t, "v1", t0)
	if err := r.cache.Warm(context.Background(), time.Second); err != nil {
		t.Fatal(err)
	}
	return r, gp
}

func acquireVersion(t *testing.T, c *modelstore.Cache[*fakeModel]) string {
	t.Helper()
	m, err := c.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Release()
	return m.Value.version
}

// The pointer is read on the request path at most once per TTL, however many
// requests arrive, and a new version serves from the request that found it.
func TestRefreshOncePerTTL(t *testing.T) {
	r, gp := gatedRig(t, 30*time.Second, 0)
	base := gp.reads.Load() // the warm-up read
	for range 100 {
		r.clock.Add(100 * time.Millisecond) // 10 s in all: within the TTL
		acquireVersion(t, r.cache)
	}
	if got := gp.reads.Load() - base; got != 0 {
		t.Errorf("%d pointer reads within the TTL, want 0", got)
	}
	r.publish(t, "v2", t0.Add(time.Hour))
	r.clock.Add(20 * time.Second) // TTL passed
	var got []string
	for range 100 {
		got = append(got, acquireVersion(t, r.cache))
	}
	if reads := gp.reads.Load() - base; reads != 1 {
		t.Errorf("%d pointer reads for 100 requests after the TTL, want 1", reads)
	}
	if slices.ContainsFunc(got, func(v string) bool { return v != "v2" }) {
		t.Errorf("versions after the TTL = %v, want v2 from the first request on", got[:3])
	}
}

// While one request reads the pointer, the others are answered with the loaded
// model at once; a pointer read that outlives PointerTimeout leaves the loaded
// version serving, and the next request after the TTL tries again.
func TestRefreshDoesNotBlockOthers(t *testing.T) {
	r, gp := gatedRig(t, 30*time.Second, 200*time.Millisecond)
	gate := make(chan struct{})
	gp.gate.Store(&gate)
	r.publish(t, "v2", t0.Add(time.Hour))
	r.clock.Add(31 * time.Second)
	first := make(chan string, 1)
	go func() { first <- acquireVersion(t, r.cache) }() // reads the pointer; blocked
	for gp.reads.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	if v := acquireVersion(t, r.cache); v != "v1" || time.Since(start) > 100*time.Millisecond {
		t.Errorf("a request during the refresh got %s after %v, want v1 at once", v, time.Since(start))
	}
	if v := <-first; v != "v1" {
		t.Errorf("the refreshing request got %s, want v1 (its pointer read timed out)", v)
	}
	gp.gate.Store(nil)
	if v := acquireVersion(t, r.cache); v != "v1" {
		t.Errorf("within the TTL after a failed check got %s, want v1", v)
	}
	r.clock.Add(31 * time.Second)
	if v := acquireVersion(t, r.cache); v != "v2" {
		t.Errorf("after the next TTL got %s, want v2", v)
	}
}

// Status names the version serving and the active version that failed to load,
// until a load of the active version succeeds.
func TestCacheStatus(t *testing.T) {
	r, _ := gatedRig(t, 0, 0)
	ctx := context.Background()
	if got := r.cache.Status(); got != (modelstore.Status{Serving: "v1"}) {
		t.Errorf("Status = %+v, want v1 serving", got)
	}
	c := checkpointtest.NCF("v2", t0.Add(time.Hour))
	c.Files["users.json"] = []byte(`["tampered"]`) // the hash no longer matches
	if err := c.WriteTo(r.store.Root); err != nil {
		t.Fatal(err)
	}
	if err := r.pointer.Promote(ctx, c.Manifest.Active()); err != nil {
		t.Fatal(err)
	}
	if v := acquireVersion(t, r.cache); v != "v1" {
		t.Fatalf("got %s, want v1 while v2 cannot load", v)
	}
	if got := r.cache.Status(); got != (modelstore.Status{Serving: "v1", Failed: "v2"}) {
		t.Errorf("Status = %+v, want v1 serving, v2 failed", got)
	}
	r.publish(t, "v3", t0.Add(2*time.Hour))
	if v := acquireVersion(t, r.cache); v != "v3" {
		t.Fatalf("got %s, want v3", v)
	}
	if got := r.cache.Status(); got != (modelstore.Status{Serving: "v3"}) {
		t.Errorf("Status = %+v, want v3 serving and no failure", got)
	}
}

// A version that failed to load is not fetched and loaded again at every TTL
// while the pointer still names it (the same files fail the same way), but a
// new version is.
func TestBrokenVersionNotRetriedEveryTTL(t *testing.T) {
	r, gp := gatedRig(t, 0, 0)
	r.publish(t, "unloadable", t0.Add(time.Hour))
	loads := r.loads.Load()
	for range 5 {
		if v := acquireVersion(t, r.cache); v != "v1" {
			t.Fatalf("got %s, want v1", v)
		}
	}
	if got := r.loads.Load() - loads; got != 1 {
		t.Errorf("%d loads of the unloadable version over 5 checks, want 1", got)
	}
	if reads := gp.reads.Load(); reads < 6 {
		t.Errorf("%d pointer reads, want one per check", reads)
	}
	if got := r.cache.Status(); got.Failed != "unloadable" {
		t.Errorf("Status = %+v, want unloadable failed", got)
	}
	r.publish(t, "v3", t0.Add(2*time.Hour))
	if v := acquireVersion(t, r.cache); v != "v3" {
		t.Errorf("got %s after v3 was promoted, want v3", v)
	}
}
