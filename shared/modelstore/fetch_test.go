package modelstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/checkpoint/checkpointtest"
	"github.com/contentml/mlbundle/shared/modelstore"
)

func upload(t testing.TB, s modelstore.Store, objects map[string][]byte) {
	t.Helper()
	for key, data := range objects {
		if err := s.Put(context.Background(), key, strings.NewReader(string(data))); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFetch(t *testing.T) {
	for impl, newStore := range stores(t) {
		t.Run(impl, func(t *testing.T) {
			ctx := context.Background()
			s := newStore(t)
			good := checkpointtest.NCF("v1", t0)
			upload(t, s, good.Objects())

			dst := t.TempDir()
			m, dir, err := modelstore.Fetch(ctx, s, checkpoint.NCF, "v1", dst)
			if err != nil {
				t.Fatal(err)
			}
			if m.Version != "v1" || m.NCF.NumItems != 4 {
				t.Errorf("manifest = %+v", m)
			}
			if _, err := checkpoint.OpenDir(dir); err != nil {
				t.Errorf("fetched directory does not verify: %v", err)
			}
			if _, isLocal := s.(*modelstore.Local); !isLocal && dir != filepath.Join(dst, "ncf", "v1") {
				t.Errorf("dir = %s, want under %s", dir, dst)
			}
			if _, _, err := modelstore.Fetch(ctx, s, checkpoint.NCF, "v1", dst); err != nil {
				t.Errorf("second Fetch = %v", err)
			}

			t.Run("tampered file", func(t *testing.T) {
				c := checkpointtest.NCF("v2", t0)
				c.Files["items.json"] = []byte(`["i1","i2","i3","iX"]`) // after Seal: hash mismatch
				upload(t, s, c.Objects())
				_, _, err := modelstore.Fetch(ctx, s, checkpoint.NCF, "v2", dst)
				if !errors.Is(err, checkpoint.ErrIntegrity) || !strings.Contains(err.Error(), s.Where("ncf/v2/items.json")) {
					t.Errorf("Fetch = %v, want ErrIntegrity naming %s", err, s.Where("ncf/v2/items.json"))
				}
				if _, err := os.Stat(filepath.Join(dst, "ncf", "v2")); !os.IsNotExist(err) {
					t.Errorf("a rejected version left %s behind", filepath.Join(dst, "ncf", "v2"))
				}
			})
			t.Run("missing file", func(t *testing.T) {
				c := checkpointtest.NCF("v3", t0)
				objs := c.Objects()
				delete(objs, "ncf/v3/popular.json")
				upload(t, s, objs)
				_, _, err := modelstore.Fetch(ctx, s, checkpoint.NCF, "v3", dst)
				if !errors.Is(err, modelstore.ErrNotFound) || !strings.Contains(err.Error(), "popular.json") {
					t.Errorf("Fetch = %v, want ErrNotFound naming popular.json", err)
				}
			})
			t.Run("path traversal", func(t *testing.T) {
				c := checkpointtest.NCF("v4", t0)
				c.Files["../../../escape.txt"] = []byte("x")
				c.Seal()
				upload(t, s, map[string][]byte{"ncf/v4/manifest.json": c.ManifestJSON()})
				_, _, err := modelstore.Fetch(ctx, s, checkpoint.NCF, "v4", dst)
				if !errors.Is(err, checkpoint.ErrInvalid) || !strings.Contains(err.Error(), "path traversal") {
					t.Errorf("Fetch = %v, want ErrInvalid for path traversal", err)
				}
			})
			t.Run("manifest of another version", func(t *testing.T) {
				c := checkpointtest.NCF("v5", t0)
				upload(t, s, map[string][]byte{"ncf/v6/manifest.json": c.ManifestJSON()})
				_, _, err := modelstore.Fetch(ctx, s, checkpoint.NCF, "v6", dst)
				if !errors.Is(err, checkpoint.ErrInvalid) || !strings.Contains(err.Error(), "names ncf/v5") {
					t.Errorf("Fetch = %v, want ErrInvalid naming ncf/v5", err)
				}
			})
			t.Run("no such version", func(t *testing.T) {
				_, _, err := modelstore.Fetch(ctx, s, checkpoint.NCF, "v404", dst)
				if !errors.Is(err, modelstore.ErrNotFound) || !strings.Contains(err.Error(), s.Where("ncf/v404/manifest.json")) {
					t.Errorf("Fetch = %v, want ErrNotFound naming the manifest key", err)
				}
			})
			t.Run("bad version", func(t *testing.T) {
				if _, _, err := modelstore.Fetch(ctx, s, checkpoint.NCF, "..", dst); !errors.Is(err, checkpoint.ErrInvalid) {
					t.Errorf("Fetch(..) = %v, want ErrInvalid", err)
				}
			})
		})
	}
}

var _ = time.Second

func TestFetchSome(t *testing.T) {
	for impl, newStore := range stores(t) {
		t.Run(impl, func(t *testing.T) {
			ctx := context.Background()
			s := newStore(t)
			c := checkpointtest.Classifier("v1", t0)
			c.Manifest.Classifier.Int8File = "model.int8.onnx"
			c.Files["model.int8.onnx"] = c.Files[checkpoint.ModelFile]
			c.Files["model.pt"] = []byte("torch state, never read by serving")
			c.Manifest.Classifier.PytorchFile = "model.pt"
			c.Files["x.pt"] = []byte("a .pt file the manifest does not name as pytorch_file")
			c.Seal()
			upload(t, s, c.Objects())
			dst := t.TempDir()
			_, dir, err := modelstore.FetchSome(ctx, s, checkpoint.Classifier, "v1", dst, skipFP32)
			if err != nil {
				t.Fatal(err)
			}
			if _, isLocal := s.(*modelstore.Local); isLocal {
				return // verified in place: nothing is copied
			}
			exists := func(name string) bool { _, err := os.Stat(filepath.Join(dir, name)); return err == nil }
			if exists("model.onnx") || exists("model.pt") || !exists("x.pt") || !exists("model.int8.onnx") || !exists("vocab.txt") {
				t.Errorf("skip: model.onnx %v model.pt %v x.pt %v int8 %v vocab %v", exists("model.onnx"), exists("model.pt"),
					exists("x.pt"), exists("model.int8.onnx"), exists("vocab.txt"))
			}
			// a later full fetch into the same place brings the skipped model
			if _, dir, err = modelstore.Fetch(ctx, s, checkpoint.Classifier, "v1", dst); err != nil || !exists("model.onnx") {
				t.Errorf("full Fetch after a partial one: %v, model.onnx present %v", err, exists("model.onnx"))
			}
		})
	}
}

// skipFP32 leaves out model.onnx, as an int8 classifier server does.
func skipFP32(_ *checkpoint.Manifest, name string) bool { return name == checkpoint.ModelFile }
