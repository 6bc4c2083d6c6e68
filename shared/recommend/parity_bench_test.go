package recommend

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/contentml/mlbundle/shared/benchtest"
	"github.com/contentml/mlbundle/shared/ncf"
	"github.com/contentml/mlbundle/shared/onnx"
)

// BenchmarkParityNCF compares the scores of every item that the Go model
// (score_all.onnx through ONNX Runtime) gives a few users with the PyTorch-eager
// model's logits that the Python side of the suite wrote (ncf-scores.json, by
// bench/mlbench/ncf_quality.py): parity.ncf_max_abs.
func BenchmarkParityNCF(b *testing.B) {
	path := filepath.Join(os.Getenv("BENCH_RESULTS"), "ncf-scores.json")
	if _, err := os.Stat(path); os.Getenv("BENCH_RESULTS") == "" || err != nil {
		b.Skip("no ncf-scores.json in $BENCH_RESULTS: run `scripts/bench.sh` (python -m mlbench.ncf_quality writes it first)")
	}
	benchInit(b)
	var want struct {
		Users []struct {
			UserID string    `json:"user_id"`
			Logits []float64 `json:"logits"`
		} `json:"users"`
	}
	readJSON(b, path, &want)
	dir := benchtest.Checkpoint(b, "ncf-ml100k")
	m, err := ncf.Load(context.Background(), dir.Manifest, dir.Path, onnx.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	for b.Loop() {
		worst := 0.0
		for _, u := range want.Users {
			idx, ok := m.UserIndex(u.UserID)
			if !ok {
				b.Fatalf("user %s of ncf-scores.json is not in %s", u.UserID, dir.Path)
			}
			got, err := m.ScoreAll(context.Background(), int64(idx))
			if err != nil {
				b.Fatal(err)
			}
			if len(got) != len(u.Logits) {
				b.Fatalf("user %s: %d scores, Python wrote %d", u.UserID, len(got), len(u.Logits))
			}
			for i := range got {
				worst = max(worst, math.Abs(float64(got[i])-u.Logits[i]))
			}
		}
		benchtest.Check(b, "parity.ncf_max_abs", worst, "logit", map[string]any{"users": len(want.Users), "checkpoint": dir.Manifest.Version})
	}
}
