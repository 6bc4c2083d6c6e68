package reload_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/benchtest"
	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/classify"
	"github.com/contentml/mlbundle/shared/modelstore"
	"github.com/contentml/mlbundle/shared/ncf"
	"github.com/contentml/mlbundle/shared/onnx"
)

// benchModels are the checkpoints the load benchmarks use (bench/models.json):
// the committed fixtures, and in full mode the trained benchmark models.
func benchModels() []string {
	if benchtest.Mode() == "fast" {
		return []string{"ncf-fixture", "classifier-fixture"}
	}
	return []string{"ncf-fixture", "classifier-fixture", "ncf-ml100k", "classifier-reuters"}
}

// BenchmarkLoad measures what a reload and a serving cold start pay for one
// checkpoint: fetch (download from moto S3 + sha256/size check of every file)
// and verify (the kind's Verify: load every variant as serving does and run
// parity.json); serving-cold-load fetches what a server needs (no fp32 model
// beside an int8 one) and loads it with ncf.Load or classify.Load. Each path's
// mean time per iteration is checked as reload.<model>.<path>_ms.
func BenchmarkLoad(b *testing.B) {
	initORT(b)
	for _, model := range benchModels() {
		b.Run(model, func(b *testing.B) { benchLoad(b, model) })
	}
}

// benchLoad runs the four load paths of one benchmark model.
func benchLoad(b *testing.B, model string) {
	d := benchtest.Checkpoint(b, model)
	m, dir := d.Manifest, d.Path
	record := func(b *testing.B, path string, start time.Time) {
		ms := float64(time.Since(start).Microseconds()) / 1e3 / float64(b.N)
		benchtest.Check(b, benchtest.ID("reload", model, path+"_ms"), ms, "ms", map[string]any{"version": m.Version, "iterations": b.N})
	}
	b.Run("fetch+verify+load+parity", func(b *testing.B) {
		store := s3Store(b)
		upload(b, store, d)
		b.ResetTimer()
		defer record(b, "reload", time.Now())
		for range b.N {
			dst := b.TempDir()
			got, path, err := modelstore.Fetch(context.Background(), store, m.Kind, m.Version, dst)
			if err != nil {
				b.Fatal(err)
			}
			if err := kinds().Validate(context.Background(), got, path); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("serving-cold-load", func(b *testing.B) {
		store := s3Store(b)
		upload(b, store, d)
		b.ResetTimer()
		defer record(b, "serving_cold_load", time.Now())
		for range b.N {
			ctx := context.Background()
			got, path, err := modelstore.FetchSome(ctx, store, m.Kind, m.Version, b.TempDir(), classify.Kind(classify.Options{}).Skip)
			if err != nil {
				b.Fatal(err)
			}
			if err := serveLoad(ctx, got, path); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fetch+verify", func(b *testing.B) {
		store := s3Store(b)
		upload(b, store, d)
		b.ResetTimer()
		defer record(b, "fetch_verify", time.Now())
		for range b.N {
			if _, _, err := modelstore.Fetch(context.Background(), store, m.Kind, m.Version, b.TempDir()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify", func(b *testing.B) {
		defer record(b, "verify", time.Now())
		for range b.N {
			if err := kinds().Validate(context.Background(), m, dir); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// serveLoad loads a version as the serving functions do (int8 classifier).
func serveLoad(ctx context.Context, m *checkpoint.Manifest, dir string) error {
	if m.Kind == checkpoint.NCF {
		model, err := ncf.Load(ctx, m, dir, onnx.Options{})
		if err != nil {
			return err
		}
		return model.Close()
	}
	model, err := classify.Load(ctx, m, dir, classify.Options{})
	if err != nil {
		return err
	}
	return model.Close()
}

func s3Store(b *testing.B) *modelstore.S3 {
	b.Helper()
	client, bucket := newBucketB(b)
	return modelstore.NewS3(client, bucket, "models/")
}

func upload(b *testing.B, store modelstore.Store, d *checkpoint.Dir) {
	b.Helper()
	m := d.Manifest
	for name := range m.Files {
		data, err := d.ReadFile(name)
		if err != nil {
			b.Fatal(err)
		}
		if err := store.Put(context.Background(), modelstore.Key(m.Kind, m.Version, name), bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
	data, err := os.ReadFile(filepath.Join(d.Path, checkpoint.ManifestFile))
	if err != nil {
		b.Fatal(err)
	}
	if err := store.Put(context.Background(), modelstore.Key(m.Kind, m.Version, checkpoint.ManifestFile), bytes.NewReader(data)); err != nil {
		b.Fatal(err)
	}
}
