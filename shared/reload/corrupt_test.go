package reload_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/checkpoint/checkpointtest"
	"github.com/contentml/mlbundle/shared/metrics"
	"github.com/contentml/mlbundle/shared/modelstore"
	"github.com/contentml/mlbundle/shared/reload"
)

// TestCorruptActiveFileIsRepairedByReload: an unreadable local ACTIVE file reads as
// "no valid pointer" (ErrCorruptPointer), and the reload of a good version logs the
// problem, counts it and replaces the file instead of failing on every retry.
func TestCorruptActiveFileIsRepairedByReload(t *testing.T) {
	initORT(t)
	for name, content := range map[string]string{
		"not json":      "{\"kind\": \"ncf\", \"vers",
		"empty":         "",
		"other kind":    `{"kind":"classifier","version":"v0","created_at":"2026-01-01T00:00:00Z"}`,
		"invalid field": `{"kind":"ncf","version":"../x","created_at":"2026-01-01T00:00:00Z"}`,
	} {
		t.Run(name, func(t *testing.T) {
			r := newRig(t)
			key := r.put(t, checkpointtest.NCF("v1", t0))
			file := filepath.Join(r.store.Root, "ncf", "ACTIVE")
			if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := r.pointer.Get(context.Background(), checkpoint.NCF); !errors.Is(err, modelstore.ErrCorruptPointer) {
				t.Fatalf("Get on a corrupt file: %v, want ErrCorruptPointer", err)
			}
			res, err := r.h.Process(context.Background(), bucket, key)
			if err != nil || res.Outcome != reload.Promoted {
				t.Fatalf("Process = %+v, %v; want promoted over the corrupt pointer", res, err)
			}
			if got := r.active(t, checkpoint.NCF); got != "v1" {
				t.Errorf("active = %q after the repair, want v1", got)
			}
			if r.emfCount(t, metrics.PointerCorrupt, "") != 1 {
				t.Errorf("no PointerCorrupt EMF line in %s", r.emf)
			}
			if !strings.Contains(r.log.String(), "the active pointer is corrupt") {
				t.Errorf("no error logged naming the corrupt pointer: %s", r.log)
			}
		})
	}
}
