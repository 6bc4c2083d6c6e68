package reload_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/classify"
	"github.com/contentml/mlbundle/shared/modelstore"
	"github.com/contentml/mlbundle/shared/ncf"
	"github.com/contentml/mlbundle/shared/onnx"
)

// benchDirs are the checkpoint directories the load benchmarks use: the
// committed fixtures, plus any listed in MODEL_BENCH_DIRS (colon-separated, e.g.
// a full MiniLM classifier made by `make train`).
func benchDirs() []string {
	dirs := []string{
		filepath.Join("..", "..", "testdata", "checkpoints", "ncf", "tiny-v1"),
		filepath.Join("..", "..", "testdata", "checkpoints", "classifier", "tiny-v1"),
	}
	if extra := os.Getenv("MODEL_BENCH_DIRS"); extra != "" {
		dirs = append(dirs, strings.Split(extra, ":")...)
	}
	return dirs
}

// BenchmarkLoad measures what a reload and a serving cold start pay for one
// checkpoint: fetch (download from moto S3 + sha256/size check of every file)
// and verify (the kind's Verify: load every variant as serving does and run
// parity.json); serving-cold-load fetches what a server needs (no fp32 model
// beside an int8 one) and loads it with ncf.Load or classify.Load.
func BenchmarkLoad(b *testing.B) {
	initORT(b)
	for _, dir := range benchDirs() {
		d, err := checkpoint.OpenDir(dir)
		if err != nil {
			b.Logf("skip %s: %v", dir, err)
			continue
		}
		m := d.Manifest
		name := string(m.Kind) + "/" + m.Version
		b.Run(name+"/fetch+verify+load+parity", func(b *testing.B) {
			store := s3Store(b)
			upload(b, store, d)
			b.ResetTimer()
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
		b.Run(name+"/serving-cold-load", func(b *testing.B) {
			store := s3Store(b)
			upload(b, store, d)
			b.ResetTimer()
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
		b.Run(name+"/fetch+verify", func(b *testing.B) {
			store := s3Store(b)
			upload(b, store, d)
			b.ResetTimer()
			for range b.N {
				if _, _, err := modelstore.Fetch(context.Background(), store, m.Kind, m.Version, b.TempDir()); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/verify", func(b *testing.B) {
			for range b.N {
				if err := kinds().Validate(context.Background(), m, dir); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
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
