package modelstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/modelstore"
)

func pointers() map[string]func(t *testing.T) modelstore.Pointer {
	return map[string]func(t *testing.T) modelstore.Pointer{
		"local": func(t *testing.T) modelstore.Pointer { return modelstore.NewLocalPointer(t.TempDir()) },
		"dynamodb": func(t *testing.T) modelstore.Pointer {
			client, table := newTable(t)
			return modelstore.NewDynamoPointer(client, table)
		},
	}
}

var t0 = time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)

func active(kind checkpoint.Kind, version string, created time.Time) checkpoint.Active {
	return checkpoint.Active{Kind: kind, Version: version, CreatedAt: created}
}

func TestPointerContract(t *testing.T) {
	for impl, newPointer := range pointers() {
		t.Run(impl, func(t *testing.T) {
			ctx := context.Background()
			p := newPointer(t)
			mustGet := func(kind checkpoint.Kind, want string) {
				t.Helper()
				got, err := p.Get(ctx, kind)
				if err != nil || got.Version != want {
					t.Fatalf("Get(%s) = %+v, %v; want version %s", kind, got, err, want)
				}
			}
			if _, err := p.Get(ctx, checkpoint.NCF); !errors.Is(err, modelstore.ErrNotFound) {
				t.Fatalf("Get before any promotion = %v, want ErrNotFound", err)
			}
			// nanoseconds must survive and order correctly (string comparison in DynamoDB)
			v1 := active(checkpoint.NCF, "v1", t0.Add(500*time.Millisecond))
			if err := p.Promote(ctx, v1); err != nil {
				t.Fatal(err)
			}
			got, err := p.Get(ctx, checkpoint.NCF)
			if err != nil || !got.CreatedAt.Equal(v1.CreatedAt) || got.Kind != checkpoint.NCF {
				t.Fatalf("Get = %+v, %v; want %+v", got, err, v1)
			}
			if err := p.Promote(ctx, v1); err != nil {
				t.Errorf("promoting the active version again = %v, want nil (repeated event)", err)
			}
			older := active(checkpoint.NCF, "v0", t0.Add(time.Second/3))
			if err := p.Promote(ctx, older); !errors.Is(err, modelstore.ErrStale) {
				t.Errorf("Promote(older) = %v, want ErrStale", err)
			}
			sameTime := active(checkpoint.NCF, "v1b", v1.CreatedAt)
			if err := p.Promote(ctx, sameTime); !errors.Is(err, modelstore.ErrStale) {
				t.Errorf("Promote(other version, same created_at) = %v, want ErrStale", err)
			}
			mustGet(checkpoint.NCF, "v1")
			if err := p.Promote(ctx, active(checkpoint.NCF, "v2", t0.Add(time.Second))); err != nil {
				t.Fatal(err)
			}
			mustGet(checkpoint.NCF, "v2")
			if _, err := p.Get(ctx, checkpoint.Classifier); !errors.Is(err, modelstore.ErrNotFound) {
				t.Errorf("kinds are independent: Get(classifier) = %v, want ErrNotFound", err)
			}
			if err := p.Promote(ctx, checkpoint.Active{Kind: "gbdt", Version: "v1", CreatedAt: t0}); err == nil {
				t.Error("Promote(unknown kind) = nil, want an error")
			}
			if err := p.Promote(ctx, checkpoint.Active{Kind: checkpoint.NCF, Version: "../x", CreatedAt: t0.Add(time.Hour)}); err == nil {
				t.Error("Promote(bad version) = nil, want an error")
			}
		})
	}
}

// Replace moves the pointer back to an older version only while it still names
// the version the caller found unloadable.
func TestPointerReplace(t *testing.T) {
	for impl, newPointer := range pointers() {
		t.Run(impl, func(t *testing.T) {
			ctx := context.Background()
			p := newPointer(t)
			good, bad := active(checkpoint.NCF, "v1", t0), active(checkpoint.NCF, "v2", t0.Add(time.Hour))
			if err := p.Replace(ctx, good, bad); !errors.Is(err, modelstore.ErrStale) {
				t.Errorf("Replace with no pointer = %v, want ErrStale", err)
			}
			if err := p.Promote(ctx, bad); err != nil {
				t.Fatal(err)
			}
			if err := p.Replace(ctx, good, active(checkpoint.NCF, "v3", t0)); !errors.Is(err, modelstore.ErrStale) {
				t.Errorf("Replace over a version the pointer does not name = %v, want ErrStale", err)
			}
			if err := p.Replace(ctx, good, bad); err != nil {
				t.Fatalf("Replace(v1 over v2) = %v", err)
			}
			if got, err := p.Get(ctx, checkpoint.NCF); err != nil || got.Version != "v1" || !got.CreatedAt.Equal(t0) {
				t.Errorf("Get after Replace = %+v, %v; want v1", got, err)
			}
			if err := p.Promote(ctx, bad); err != nil {
				t.Errorf("Promote(newer) after a Replace = %v; the usual rule applies again", err)
			}
		})
	}
}

// Many writers race; the newest created_at wins whatever the order.
func TestPointerConcurrentPromote(t *testing.T) {
	for impl, newPointer := range pointers() {
		t.Run(impl, func(t *testing.T) {
			ctx := context.Background()
			p := newPointer(t)
			var wg sync.WaitGroup
			for i := range 16 {
				wg.Go(func() {
					err := p.Promote(ctx, active(checkpoint.Classifier, fmt.Sprintf("v%02d", i), t0.Add(time.Duration(i)*time.Minute)))
					if err != nil && !errors.Is(err, modelstore.ErrStale) {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			got, err := p.Get(ctx, checkpoint.Classifier)
			if err != nil || got.Version != "v15" {
				t.Errorf("after the race: %+v, %v; want v15", got, err)
			}
		})
	}
}

func TestLocalPointerFile(t *testing.T) {
	root := t.TempDir()
	p := modelstore.NewLocalPointer(root)
	if _, err := p.Get(context.Background(), checkpoint.NCF); err == nil || !strings.Contains(err.Error(), root+"/ncf/ACTIVE") {
		t.Errorf("missing pointer error %v should name %s/ncf/ACTIVE", err, root)
	}
}

// A rollback by hand (Replace with Pinned) records the version it replaced and keeps
// automatic promotions out until a promotion by hand unpins the pointer.
func TestPointerRollbackPins(t *testing.T) {
	for impl, newPointer := range pointers() {
		t.Run(impl, func(t *testing.T) {
			ctx := context.Background()
			p := newPointer(t)
			v1, v2 := active(checkpoint.NCF, "v1", t0), active(checkpoint.NCF, "v2", t0.Add(time.Hour))
			v1.PromotedBy, v1.Reason = "reload", "published"
			for _, a := range []checkpoint.Active{v1, v2} {
				if err := p.Promote(ctx, a); err != nil {
					t.Fatal(err)
				}
			}
			got, err := p.Get(ctx, checkpoint.NCF)
			if err != nil || got.Previous == nil || got.Previous.Version != "v1" || !got.Previous.CreatedAt.Equal(t0) ||
				got.PromotedAt.IsZero() || got.Pinned {
				t.Fatalf("after v1 then v2: %+v (previous %+v), %v", got, got.Previous, err)
			}
			back := v1
			back.PromotedBy, back.Reason, back.Pinned = "cli:ops@host", "v2 answers badly", true
			if err := p.Replace(ctx, back, got); err != nil {
				t.Fatalf("rollback: %v", err)
			}
			got, err = p.Get(ctx, checkpoint.NCF)
			if err != nil || got.Version != "v1" || !got.Pinned || got.PromotedBy != "cli:ops@host" ||
				got.Reason != "v2 answers badly" || got.Previous == nil || got.Previous.Version != "v2" {
				t.Fatalf("after the rollback: %+v, %v", got, err)
			}
			// A late or repeated event of v2, or a newer v3, does not undo the rollback.
			for _, a := range []checkpoint.Active{v2, active(checkpoint.NCF, "v3", t0.Add(2*time.Hour)), v1} {
				if err := p.Promote(ctx, a); !errors.Is(err, modelstore.ErrStale) || !strings.Contains(err.Error(), "pinned") {
					t.Errorf("Promote(%s) on a pinned pointer = %v, want ErrStale naming the pin", a.Version, err)
				}
			}
			// A promotion by hand of a newer version unpins; the usual rule applies again.
			v3 := active(checkpoint.NCF, "v3", t0.Add(2*time.Hour))
			if err := p.Replace(ctx, v3, got); err != nil {
				t.Fatal(err)
			}
			if err := p.Promote(ctx, active(checkpoint.NCF, "v4", t0.Add(3*time.Hour))); err != nil {
				t.Errorf("Promote after unpinning = %v", err)
			}
			if got, _ := p.Get(ctx, checkpoint.NCF); got.Version != "v4" || got.Previous.Version != "v3" || got.Pinned {
				t.Errorf("final pointer %+v", got)
			}
		})
	}
}
