package classify

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"golang.org/x/sys/unix"
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

// percentiles returns the p50 and p99 of the recorded call times in ms.
func percentiles(lat []time.Duration) (p50, p99 float64) {
	lat = slices.Sorted(slices.Values(lat))
	pick := func(q float64) float64 {
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1e3
	}
	return pick(0.50), pick(0.99)
}

// BenchmarkClassify times Classify on one 64-token text and on a batch of 32,
// with the fp32 and the int8 graph on one ONNX Runtime thread. Beside each Go
// call it has the Hugging Face pipeline on the same checkpoint and text
// (testdata/hf_peer.py, PyTorch eager fp32, one torch thread) answer the same
// batch, alternating call by call so that both see the same machine load, and
// reports the peer's latencies and x_p50 = peer p50 / Go p50. ns/op counts
// the Go calls only. The two sides take turns in blocks of peerBlock calls:
// blocks follow the machine's load as call-by-call turns would, without
// having each call start with caches the other process just evicted.
//
// On a shared machine wall-clock times swing with the load of other work, so
// both sides also report the CPU time of the calling thread per call
// (cpu_p50_ms; with one thread the model computes there), which stays close
// to what an idle core would give. Go's GC work on other threads is not in it.
func BenchmarkClassify(b *testing.B) {
	dir := benchCheckpoint(b)
	initORT(b)
	var text string
	var peer *peerProcess
	for _, variant := range []string{"fp32", "int8"} {
		m, err := Load(context.Background(), dir.Manifest, dir.Path, Options{FP32: variant == "fp32", IntraOpThreads: 1})
		if err != nil {
			b.Fatal(err)
		}
		if peer == nil {
			text = text64(b, m)
			if peer, err = startPeer(b, dir.Path, text); err != nil {
				b.Logf("no Hugging Face peer, Go numbers only: %v", err)
			}
		}
		for _, batch := range []int{1, 32} {
			b.Run(fmt.Sprintf("%s/batch%d", variant, batch), func(b *testing.B) {
				runtime.LockOSThread() // thread CPU time below is this thread's
				defer runtime.UnlockOSThread()
				texts := slices.Repeat([]string{text}, batch)
				var own, ownCPU, other, otherCPU []time.Duration
				b.ResetTimer()
				for i := range b.N {
					start, cpu := time.Now(), threadCPU(b)
					if _, err := m.Classify(context.Background(), texts, Query{}); err != nil {
						b.Fatal(err)
					}
					own = append(own, time.Since(start))
					ownCPU = append(ownCPU, threadCPU(b)-cpu)
					if calls := i%peerBlock + 1; peer != nil && (calls == peerBlock || i == b.N-1) {
						b.StopTimer()
						wall, cpu := peer.call(b, batch, calls)
						other, otherCPU = append(other, wall...), append(otherCPU, cpu...)
						b.StartTimer()
					}
				}
				p50, p99 := percentiles(own)
				c50, _ := percentiles(ownCPU)
				b.ReportMetric(p50, "p50_ms")
				b.ReportMetric(p99, "p99_ms")
				b.ReportMetric(c50, "cpu_p50_ms")
				if peer != nil {
					q50, q99 := percentiles(other)
					d50, _ := percentiles(otherCPU)
					b.ReportMetric(q50, "peer_p50_ms")
					b.ReportMetric(q99, "peer_p99_ms")
					b.ReportMetric(d50, "peer_cpu_p50_ms")
					b.ReportMetric(q50/p50, "x_p50")
					b.ReportMetric(d50/c50, "x_cpu_p50")
				}
			})
		}
		m.Close()
	}
}

// peerBlock is how many calls each side makes in turn.
const peerBlock = 10

// peerProcess is hf_peer.py in --serve mode.
type peerProcess struct {
	in  io.Writer
	out *bufio.Scanner
}

// startPeer starts the Python peer and waits until its model is loaded; the
// process ends with the benchmark.
func startPeer(b *testing.B, checkpointDir, text string) (*peerProcess, error) {
	python := os.Getenv("CLASSIFIER_PEER_PYTHON")
	if python == "" {
		out, err := exec.Command(filepath.Join("..", "..", "scripts", "venv.sh")).Output()
		if err != nil {
			return nil, fmt.Errorf("find the training venv (or set CLASSIFIER_PEER_PYTHON): %w", err)
		}
		python = filepath.Join(strings.TrimSpace(string(out)), "bin", "python")
	}
	textFile := filepath.Join(b.TempDir(), "text.txt")
	if err := os.WriteFile(textFile, []byte(text), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(python, filepath.Join("testdata", "hf_peer.py"), checkpointDir,
		"--text-file", textFile, "--serve", "--threads", "1")
	cmd.Env = append(os.Environ(), "PYTHONPATH="+filepath.Join("..", "..", "training"), "HF_HUB_OFFLINE=1", "TRANSFORMERS_OFFLINE=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start hf_peer.py: %w", err)
	}
	b.Cleanup(func() { _ = in.Close(); _ = cmd.Wait() })
	p := &peerProcess{in: in, out: bufio.NewScanner(out)}
	if !p.out.Scan() || p.out.Text() != "ready" {
		return nil, fmt.Errorf("hf_peer.py did not start (%q)", p.out.Text())
	}
	return p, nil
}

// call has the peer classify batch copies of the text calls times and
// returns the wall and thread CPU times it measured.
func (p *peerProcess) call(b *testing.B, batch, calls int) (wall, cpu []time.Duration) {
	if _, err := fmt.Fprintln(p.in, batch, calls); err != nil {
		b.Fatal(err)
	}
	if !p.out.Scan() {
		b.Fatalf("hf_peer.py stopped: %v", p.out.Err())
	}
	for _, pair := range strings.Fields(p.out.Text()) {
		var wallMS, cpuMS float64
		if _, err := fmt.Sscanf(pair, "%g,%g", &wallMS, &cpuMS); err != nil {
			b.Fatalf("hf_peer.py answered %q", p.out.Text())
		}
		wall = append(wall, time.Duration(wallMS*float64(time.Millisecond)))
		cpu = append(cpu, time.Duration(cpuMS*float64(time.Millisecond)))
	}
	if len(wall) != calls {
		b.Fatalf("hf_peer.py timed %d calls, want %d", len(wall), calls)
	}
	return wall, cpu
}

// threadCPU is the CPU time the calling OS thread has used.
func threadCPU(b *testing.B) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ts.Nano())
}
