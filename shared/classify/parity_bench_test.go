package classify

import (
	"bufio"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/contentml/mlbundle/shared/benchtest"
)

// parityRow is one line of tokens.jsonl, written by the Python side of the
// suite (bench/mlbench/cls_quality.py): the Hugging Face fast tokenizer's ids
// and Python ONNX Runtime's logits of one test text, run alone.
type parityRow struct {
	Text string    `json:"text"`
	IDs  []int64   `json:"ids"`
	FP32 []float32 `json:"logits_fp32"`
	Int8 []float32 `json:"logits_int8"`
}

// BenchmarkParity compares the Go serving path with Python on the same texts
// and checkpoint: the share of texts whose token ids are identical
// (parity.tokenizer_exact) and the largest logit difference of the fp32 and int8
// graphs (parity.classifier_fp32_max_abs, parity.classifier_int8_max_abs).
func BenchmarkParity(b *testing.B) {
	path := filepath.Join(os.Getenv("BENCH_RESULTS"), "tokens.jsonl")
	if _, err := os.Stat(path); os.Getenv("BENCH_RESULTS") == "" || err != nil {
		b.Skip("no tokens.jsonl in $BENCH_RESULTS: run `scripts/bench.sh` (python -m mlbench.cls_quality writes it first)")
	}
	dir, _ := benchCheckpoint(b)
	initORT(b)
	rows := readPyRows(b, path)
	for b.Loop() {
		same := 0
		worst := map[string]float64{}
		for _, variant := range []string{"fp32", "int8"} {
			m, err := Load(context.Background(), dir.Manifest, dir.Path, Options{FP32: variant == "fp32"})
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range rows {
				want := r.FP32
				if variant == "int8" {
					want = r.Int8
				}
				if variant == "fp32" && slices.Equal(m.Tokenizer().Encode(r.Text).IDs, r.IDs) {
					same++
				}
				got, err := m.Logits(context.Background(), []string{r.Text})
				if err != nil {
					b.Fatal(err)
				}
				for j := range min(len(want), len(got[0])) {
					worst[variant] = max(worst[variant], math.Abs(float64(got[0][j]-want[j])))
				}
			}
			m.Close()
		}
		extra := map[string]any{"texts": len(rows), "checkpoint": dir.Manifest.Version}
		benchtest.Check(b, "parity.tokenizer_exact", float64(same)/float64(len(rows)), "", extra)
		benchtest.Check(b, "parity.classifier_fp32_max_abs", worst["fp32"], "logit", extra)
		benchtest.Check(b, "parity.classifier_int8_max_abs", worst["int8"], "logit", extra)
	}
}

func readPyRows(b *testing.B, path string) []parityRow {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var rows []parityRow
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r parityRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			b.Fatalf("%s: %v", path, err)
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		b.Fatalf("%s holds no rows", path)
	}
	return rows
}
