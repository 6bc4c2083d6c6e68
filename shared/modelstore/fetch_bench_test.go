package modelstore_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/modelstore"
)

// BenchmarkFetchS3 times Fetch (download of every file, 4 at a time, and the sha256
// check of each) of the NCF checkpoint version directory named by FETCH_BENCH_DIR
// (for example a synth-checkpoint of 1M items; the training-only files, which Fetch
// skips, are not uploaded) from S3 at AWS_ENDPOINT_URL (moto_server
// locally: its throughput is that of a local Python server, not of S3). It uploads the
// files once, manifest last, then fetches into a fresh directory per iteration and
// reports the fetched MB, seconds per fetch and MB/s (ns/op also counts the removal of
// each copy). Skipped without FETCH_BENCH_DIR. Used by docs/cost-and-scale.md.
func BenchmarkFetchS3(b *testing.B) {
	src := os.Getenv("FETCH_BENCH_DIR")
	if src == "" {
		b.Skip("FETCH_BENCH_DIR is not set")
	}
	d, err := checkpoint.OpenDir(src)
	if err != nil {
		b.Fatal(err)
	}
	client, bucket := newBucket(b)
	s := modelstore.NewS3(client, bucket, "models")
	ctx := context.Background()
	prefix := string(d.Manifest.Kind) + "/" + d.Manifest.Version + "/"
	var size int64 // what Fetch downloads: every file but the training-only ones
	for name := range d.Manifest.Files {
		if !slices.Contains(d.Manifest.TrainingFiles(), name) {
			size += putFile(b, s, prefix+name, filepath.Join(src, name))
		}
	}
	putFile(b, s, prefix+"manifest.json", filepath.Join(src, "manifest.json"))
	b.ResetTimer()
	var total time.Duration
	for b.Loop() {
		dst := b.TempDir()
		t0 := time.Now()
		if _, _, err := modelstore.Fetch(ctx, s, d.Manifest.Kind, d.Manifest.Version, dst); err != nil {
			b.Fatal(err)
		}
		total += time.Since(t0)
		if err := os.RemoveAll(dst); err != nil {
			b.Fatal(err)
		}
	}
	per := total.Seconds() / float64(b.N)
	b.ReportMetric(float64(size)/1e6, "MB")
	b.ReportMetric(per, "s/fetch")
	b.ReportMetric(float64(size)/1e6/per, "MB/s")
}

func putFile(b *testing.B, s modelstore.Store, key, path string) int64 {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Put(context.Background(), key, f); err != nil {
		b.Fatalf("put %s: %v", key, err)
	}
	return fi.Size()
}
