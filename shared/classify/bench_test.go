package classify

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/benchtest"
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

// benchCheckpoint is the classifier the benchmarks time: the Reuters benchmark
// model, else the demo's active one (bench/models.json; the committed fixture in
// fast mode). isMiniLM says whether the Python peers, which rebuild MiniLM, apply.
func benchCheckpoint(b *testing.B) (dir *checkpoint.Dir, isMiniLM bool) {
	dir = benchtest.FirstCheckpoint(b, "classifier-reuters", "classifier-demo")
	enc, _ := dir.Manifest.Hyperparameters["encoder"].(string)
	return dir, enc == "" || enc == "minilm"
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
// with the fp32 and the int8 graph, on the ONNX Runtime threads the deployed
// function uses (Options zero value: DefaultThreads). Beside each Go call, in
// the same run on the same checkpoint and text, two Python peers answer the same
// batch: the Hugging Face pipeline (testdata/hf_peer.py, PyTorch eager fp32,
// one torch thread) and Python ONNX Runtime on the same graph
// (testdata/ort_peer.py, same thread count). The sides take turns in blocks of
// peerBlock calls, so that all see the same machine load without each call
// starting with caches another process just evicted. Reported: p50/p99 wall
// time, the CPU time of the calling thread (cpu_p50_ms; with one thread the
// model computes there, so it moves far less with other work on the box), and
// each peer's p50 over ours (x_hf, x_ort_python). ns/op counts the Go calls only.
func BenchmarkClassify(b *testing.B) {
	dir, minilm := benchCheckpoint(b)
	initORT(b)
	peersOn := minilm && benchtest.Mode() != "fast"
	for _, variant := range []string{"fp32", "int8"} {
		m, err := Load(context.Background(), dir.Manifest, dir.Path, Options{FP32: variant == "fp32"})
		if err != nil {
			b.Fatal(err)
		}
		text := text64(b, m)
		peers := map[string]*peerProcess{}
		if peersOn {
			args := []string{"--threads", fmt.Sprint(DefaultThreads)}
			if variant == "int8" {
				args = append(args, "--int8")
			}
			for name, script := range map[string][]string{"hf": {"hf_peer.py", "--serve", "--threads", "1"}, "ort_python": append([]string{"ort_peer.py"}, args...)} {
				p, err := startPeer(b, dir.Path, text, script[0], script[1:]...)
				if err != nil {
					b.Logf("no %s peer, Go numbers only: %v", name, err)
					continue
				}
				peers[name] = p
			}
		}
		for _, batch := range []int{1, 32} {
			b.Run(fmt.Sprintf("%s/batch%d", variant, batch), func(b *testing.B) {
				benchClassifyBatch(b, m, text, batch, peers, fmt.Sprintf("classify.%s.batch%d", variant, batch))
			})
		}
		m.Close()
	}
}

// benchClassifyBatch runs the timed loop of one variant and batch size and
// checks its numbers under the id prefix.
func benchClassifyBatch(b *testing.B, m *Model, text string, batch int, peers map[string]*peerProcess, prefix string) {
	runtime.LockOSThread() // thread CPU time below is this thread's
	defer runtime.UnlockOSThread()
	texts := slices.Repeat([]string{text}, batch)
	var own, ownCPU []time.Duration
	other, otherCPU := map[string][]time.Duration{}, map[string][]time.Duration{}
	b.ResetTimer()
	for i := range b.N {
		start, cpu := time.Now(), threadCPU(b)
		if _, err := m.Classify(context.Background(), texts, Query{}); err != nil {
			b.Fatal(err)
		}
		own = append(own, time.Since(start))
		ownCPU = append(ownCPU, threadCPU(b)-cpu)
		if calls := i%peerBlock + 1; len(peers) > 0 && (calls == peerBlock || i == b.N-1) {
			b.StopTimer()
			for name, p := range peers {
				wall, cpu := p.call(b, batch, calls)
				other[name], otherCPU[name] = append(other[name], wall...), append(otherCPU[name], cpu...)
			}
			b.StartTimer()
		}
	}
	p50, p99 := percentiles(own)
	c50, _ := percentiles(ownCPU)
	extra := map[string]any{"calls": len(own), "threads": DefaultThreads}
	for name := range peers {
		q50, q99 := percentiles(other[name])
		d50, _ := percentiles(otherCPU[name])
		extra[name+"_p50_ms"], extra[name+"_p99_ms"], extra[name+"_cpu_p50_ms"] = q50, q99, d50
		benchtest.Series(b, prefix+"."+name, millis(other[name]))
	}
	benchtest.Series(b, prefix+".go", millis(own))
	benchtest.Check(b, prefix+".p50_ms", p50, "ms", extra)
	benchtest.Check(b, prefix+".p99_ms", p99, "ms", extra)
	benchtest.Check(b, prefix+".cpu_p50_ms", c50, "ms", extra)
	for name := range peers {
		benchtest.Check(b, prefix+".x_"+name, extra[name+"_cpu_p50_ms"].(float64)/c50, "x", extra)
	}
}

func millis(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = float64(d.Nanoseconds()) / 1e6
	}
	return out
}

// peerBlock is how many calls each side makes in turn.
const peerBlock = 10

// peerProcess is a Python peer in its serving mode (benchtest.Peer): it answers
// "BATCH CALLS" with the times of CALLS calls on BATCH copies of the text.
type peerProcess struct{ *benchtest.Peer }

// startPeer starts a Python peer (a script in testdata) and waits until its
// model is loaded; the process ends with the benchmark.
func startPeer(b *testing.B, checkpointDir, text, script string, args ...string) (*peerProcess, error) {
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
	cmd := exec.Command(python, append([]string{filepath.Join("testdata", script), checkpointDir, "--text-file", textFile}, args...)...)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+filepath.Join("..", "..", "training"), "HF_HUB_OFFLINE=1", "TRANSFORMERS_OFFLINE=1")
	cmd.Stderr = os.Stderr
	p, err := benchtest.StartPeer(b, script, cmd)
	if err != nil {
		return nil, err
	}
	return &peerProcess{p}, nil
}

// call has the peer classify batch copies of the text calls times and
// returns the wall and thread CPU times it measured.
func (p *peerProcess) call(b *testing.B, batch, calls int) (wall, cpu []time.Duration) {
	wall, cpu, err := p.Turn(fmt.Sprintf("%d %d", batch, calls), calls)
	if err != nil {
		b.Fatal(err)
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
