package classify

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/checkpoint"
)

// benchParagraph is cut to the longest prefix of 64 tokens ([CLS] and [SEP]
// included) for the benchmark text.
const benchParagraph = "Crude oil prices rose sharply on Monday after the producers' cartel agreed to cut " +
	"output by a million barrels a day, traders said, while wheat and corn futures fell on news of a " +
	"record harvest in the plains; the central bank left interest rates unchanged and said inflation " +
	"would ease next year as the dollar weakened against the yen and gold climbed to a four-month high " +
	"in quiet trading across European and Asian markets before the holiday weekend."

// benchCheckpoint finds the real MiniLM classifier to benchmark:
// CLASSIFIER_BENCH_DIR, else the active (or the last-named) version under
// models/classifier.
func benchCheckpoint(b *testing.B) *checkpoint.Dir {
	path := os.Getenv("CLASSIFIER_BENCH_DIR")
	root := filepath.Join("..", "..", "models", "classifier")
	if data, err := os.ReadFile(filepath.Join(root, "ACTIVE")); path == "" && err == nil {
		var active checkpoint.Active
		if json.Unmarshal(data, &active) == nil && checkpoint.ValidVersion(active.Version) {
			path = filepath.Join(root, active.Version)
		}
	}
	if path == "" {
		versions, _ := filepath.Glob(filepath.Join(root, "*", checkpoint.ManifestFile))
		if len(versions) == 0 {
			b.Skip("no MiniLM classifier checkpoint: run `make demo` (models/classifier/*) or set CLASSIFIER_BENCH_DIR")
		}
		slices.Sort(versions)
		path = filepath.Dir(versions[len(versions)-1])
	}
	dir, err := checkpoint.OpenDir(path)
	if err != nil {
		b.Fatal(err)
	}
	if enc, _ := dir.Manifest.Hyperparameters["encoder"].(string); enc != "" && enc != "minilm" {
		b.Skipf("%s is a %q classifier, not MiniLM: the benchmark needs the real model", path, enc)
	}
	return dir
}

// text64 returns the prefix of benchParagraph that encodes to 64 tokens.
func text64(b *testing.B, m *Model) string {
	words := strings.Fields(benchParagraph)
	for n := len(words); n > 0; n-- {
		text := strings.Join(words[:n], " ")
		if e := m.Tokenizer().Encode(text); len(e.IDs) == 64 && !e.Truncated {
			return text
		}
	}
	b.Fatal("no prefix of the benchmark paragraph encodes to 64 tokens")
	return ""
}

// latencies reports the p50 and p99 of the recorded call times in ms.
func latencies(b *testing.B, lat []time.Duration) (p50, p99 float64) {
	slices.Sort(lat)
	pick := func(q float64) float64 {
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1e3
	}
	p50, p99 = pick(0.50), pick(0.99)
	b.ReportMetric(p50, "p50_ms")
	b.ReportMetric(p99, "p99_ms")
	return p50, p99
}

// BenchmarkClassify times Classify on one 64-token text and on a batch of 32,
// with the fp32 and the int8 graph on one ONNX Runtime thread, then runs the
// Hugging Face pipeline on the same checkpoint and text (testdata/hf_peer.py,
// one torch thread) and reports its latencies and the speed-ups.
func BenchmarkClassify(b *testing.B) {
	dir := benchCheckpoint(b)
	initORT(b)
	p50s := map[string]float64{}
	var text string
	for _, variant := range []string{"fp32", "int8"} {
		m, err := Load(context.Background(), dir.Manifest, dir.Path, Options{FP32: variant == "fp32", IntraOpThreads: 1})
		if err != nil {
			b.Fatal(err)
		}
		text = text64(b, m)
		for _, batch := range []int{1, 32} {
			name := fmt.Sprintf("%s/batch%d", variant, batch)
			b.Run(name, func(b *testing.B) {
				texts := slices.Repeat([]string{text}, batch)
				lat := make([]time.Duration, 0, b.N)
				b.ResetTimer()
				for range b.N {
					start := time.Now()
					if _, err := m.Classify(context.Background(), texts, Query{}); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(start))
				}
				p50s[name], _ = latencies(b, lat)
			})
		}
		m.Close()
	}
	b.Run("hf-pipeline", func(b *testing.B) {
		peer := runPeer(b, dir.Path, text)
		for _, batch := range []int{1, 32} {
			r := peer.Results[fmt.Sprint(batch)]
			b.ReportMetric(r.P50, fmt.Sprintf("b%d_p50_ms", batch))
			b.ReportMetric(r.P99, fmt.Sprintf("b%d_p99_ms", batch))
			for _, variant := range []string{"fp32", "int8"} {
				if own := p50s[fmt.Sprintf("%s/batch%d", variant, batch)]; own > 0 {
					b.ReportMetric(r.P50/own, fmt.Sprintf("x_%s_b%d", variant, batch))
				}
			}
		}
	})
}

// peerResult is what hf_peer.py prints.
type peerResult struct {
	Peer    string `json:"peer"`
	Results map[string]struct {
		P50 float64 `json:"p50_ms"`
		P99 float64 `json:"p99_ms"`
		N   int     `json:"n"`
	} `json:"results"`
}

var peerOnce struct {
	sync.Once
	res peerResult
	err error
}

// runPeer runs hf_peer.py once per process (the benchmark framework may call
// the peer sub-benchmark more than once).
func runPeer(b *testing.B, checkpointDir, text string) peerResult {
	peerOnce.Do(func() {
		python := os.Getenv("CLASSIFIER_PEER_PYTHON")
		if python == "" {
			out, err := exec.Command(filepath.Join("..", "..", "scripts", "venv.sh")).Output()
			if err != nil {
				peerOnce.err = fmt.Errorf("find the training venv (or set CLASSIFIER_PEER_PYTHON): %w", err)
				return
			}
			python = filepath.Join(strings.TrimSpace(string(out)), "bin", "python")
		}
		textFile := filepath.Join(b.TempDir(), "text.txt")
		if peerOnce.err = os.WriteFile(textFile, []byte(text), 0o644); peerOnce.err != nil {
			return
		}
		cmd := exec.Command(python, filepath.Join("testdata", "hf_peer.py"), checkpointDir,
			"--text-file", textFile, "--batches", "1,32", "--iters", "200", "--threads", "1")
		cmd.Env = append(os.Environ(), "PYTHONPATH="+filepath.Join("..", "..", "training"), "HF_HUB_OFFLINE=1", "TRANSFORMERS_OFFLINE=1")
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			peerOnce.err = fmt.Errorf("hf_peer.py: %w", err)
			return
		}
		peerOnce.err = json.Unmarshal(out, &peerOnce.res)
	})
	if peerOnce.err != nil {
		b.Skipf("peer unavailable: %v", peerOnce.err)
	}
	return peerOnce.res
}
