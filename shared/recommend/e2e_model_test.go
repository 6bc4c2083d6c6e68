package recommend

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/modelstore"
	"github.com/contentml/mlbundle/shared/ncf"
	"github.com/contentml/mlbundle/shared/onnx"
	"github.com/contentml/mlbundle/shared/onnx/onnxtest"
)

// checkpoints holds the committed fixture versions (<kind>/<version>).
const checkpoints = "../../testdata/checkpoints"

// fixtureCache serves the ncf fixture through a modelstore cache, as the function does,
// or skips without ONNX Runtime or the fixture.
func fixtureCache(t *testing.T) (*modelstore.Cache[*ncf.Model], *checkpoint.Manifest) {
	return fixtureCacheOf(t, "tiny-v1")
}

// fixtureCacheOf is fixtureCache for the committed ncf version named.
func fixtureCacheOf(t *testing.T, version string) (*modelstore.Cache[*ncf.Model], *checkpoint.Manifest) {
	t.Helper()
	onnxtest.Init(t)
	store := modelstore.NewLocal(checkpoints)
	man, err := modelstore.ReadManifest(context.Background(), store, checkpoint.NCF, version)
	if err != nil {
		t.Fatalf("committed ncf fixture under %s unreadable (make fixtures writes it): %v", checkpoints, err)
	}
	ptr := modelstore.NewLocalPointer(t.TempDir())
	if err := ptr.Promote(context.Background(), man.Active()); err != nil {
		t.Fatal(err)
	}
	c := modelstore.NewCache(modelstore.CacheConfig{Kind: checkpoint.NCF, Store: store, Pointer: ptr, TTL: time.Hour},
		ncf.Loader(onnx.Options{IntraOpThreads: 1}), (*ncf.Model).Close)
	t.Cleanup(func() { _ = c.Close() })
	return c, man
}

func TestFreshEventsExcludedModel(t *testing.T) {
	c, man := fixtureCache(t)
	data, err := os.ReadFile(filepath.Join(checkpoints, "ncf", man.Version, man.NCF.UserIDsFile))
	if err != nil {
		t.Fatal(err)
	}
	var users []string
	if err := json.Unmarshal(data, &users); err != nil {
		t.Fatal(err)
	}
	runFreshEvents(t, FromCache(c), users[0])
}
