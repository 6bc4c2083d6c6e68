package reload_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/checkpoint/checkpointtest"
	"github.com/contentml/mlbundle/shared/modelstore"
	"github.com/contentml/mlbundle/shared/reload"
)

func TestPromoteByHand(t *testing.T) {
	initORT(t)
	ctx := context.Background()
	r := newRig(t)
	for _, v := range []struct {
		name string
		at   time.Duration
	}{{"v1", 0}, {"v2", time.Hour}} {
		if res, err := r.h.Process(ctx, bucket, r.put(t, checkpointtest.NCF(v.name, t0.Add(v.at)))); err != nil || res.Outcome != reload.Promoted {
			t.Fatalf("publish %s: %+v %v", v.name, res, err)
		}
	}
	cur, _ := r.pointer.Get(ctx, checkpoint.NCF)
	if cur.PromotedBy != reload.PromotedByReload || !strings.Contains(cur.Reason, "models/ncf/v2/manifest.json") || cur.Previous.Version != "v1" {
		t.Fatalf("pointer written by reload: %+v", cur)
	}
	// A tampered version is refused without force, promoted with it.
	bad := checkpointtest.NCF("v0", t0.Add(-time.Hour))
	bad.Files["popular.json"] = []byte(`[{"item_id":"i4","count":9}]`)
	r.put(t, bad)
	_, err := r.h.PromoteByHand(ctx, checkpoint.NCF, "v0", reload.ByHand{By: "cli:ops@host", Reason: "try"})
	if !errors.Is(err, reload.ErrCheckFailed) || !strings.Contains(err.Error(), "integrity") || r.active(t, checkpoint.NCF) != "v2" {
		t.Fatalf("tampered version by hand = %v (active %s), want refused naming integrity", err, r.active(t, checkpoint.NCF))
	}
	// Rollback to v1: pinned, recorded, and a redelivered event of v2 cannot undo it.
	got, err := r.h.PromoteByHand(ctx, checkpoint.NCF, "v1", reload.ByHand{By: "cli:ops@host", Reason: "v2 answers badly"})
	if err != nil || got.Version != "v1" || !got.Pinned || got.PromotedBy != "cli:ops@host" ||
		got.Reason != "v2 answers badly" || got.Previous == nil || got.Previous.Version != "v2" {
		t.Fatalf("rollback = %+v, %v", got, err)
	}
	if !strings.Contains(r.log.String(), `"promoted_by":"cli:ops@host"`) || !strings.Contains(r.log.String(), `"event":"promotion"`) {
		t.Errorf("the promotion is not logged with who made it: %s", r.log)
	}
	res, err := r.h.Process(ctx, bucket, "models/ncf/v2/manifest.json")
	if err != nil || res.Outcome != reload.Stale || r.active(t, checkpoint.NCF) != "v1" {
		t.Errorf("redelivered v2 after the rollback: %+v %v, active %s; want stale, v1", res, err, r.active(t, checkpoint.NCF))
	}
	// Forced promotion of the tampered version, then by hand back to v2: unpinned.
	if got, err := r.h.PromoteByHand(ctx, checkpoint.NCF, "v0", reload.ByHand{By: "cli:ops@host", Reason: "test", Force: true}); err != nil || got.Version != "v0" {
		t.Fatalf("forced = %+v, %v", got, err)
	}
	if got, err := r.h.PromoteByHand(ctx, checkpoint.NCF, "v2", reload.ByHand{By: "cli:ops@host", Reason: "fixed"}); err != nil || got.Pinned || got.Previous.Version != "v0" {
		t.Fatalf("forward by hand = %+v, %v; want unpinned with previous v0", got, err)
	}
	if _, err := r.h.PromoteByHand(ctx, checkpoint.NCF, "nope", reload.ByHand{}); !errors.Is(err, modelstore.ErrNotFound) {
		t.Errorf("unknown version: %v, want ErrNotFound", err)
	}
}
