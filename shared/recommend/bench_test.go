package recommend

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/benchtest"
	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/interactions"
	"github.com/contentml/mlbundle/shared/ncf"
	"github.com/contentml/mlbundle/shared/onnx"
	"github.com/contentml/mlbundle/shared/onnx/onnxtest"
	"golang.org/x/sys/unix"
)

// benchSizes are the catalogue sizes of the recommend benchmarks: the ml-100k shape
// (943 users x 1682 items) and synthetic catalogues. Checkpoints are random-init (the
// latency does not depend on the weights), made once by the training CLI and cached.
var benchSizes = []struct {
	name, label  string
	items, users int
	peerRequests int
}{
	{"items=1682", "1.7K", 1682, 943, 300},
	{"items=20K", "20K", 20_000, 5000, 200},
	{"items=100K", "100K", 100_000, 5000, 60},
	{"items=1M", "1M", 1_000_000, 5000, 20},
}

// benchSeen is how many items the benchmark user has seen (all excluded).
const benchSeen = 20

// repoRoot is the checkout root, two levels above this package.
func repoRoot() string { return filepath.Join("..", "..") }

// benchPython returns the training venv's python ($MLBUNDLE_PYTHON overrides).
func benchPython() (string, error) {
	if p := os.Getenv("MLBUNDLE_PYTHON"); p != "" {
		return p, nil
	}
	out, err := exec.Command(filepath.Join(repoRoot(), "scripts", "venv.sh")).Output()
	if err != nil {
		return "", fmt.Errorf("scripts/venv.sh: %w", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "bin", "python"), nil
}

func pythonCmd(python string, args ...string) *exec.Cmd {
	root, _ := filepath.Abs(repoRoot())
	cmd := exec.Command(python, args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "PYTHONPATH="+filepath.Join(root, "training"))
	return cmd
}

// benchCheckpoint returns the directory of a cached synthetic checkpoint of the given
// size, making it with `python -m mlbundle_training.cli synth-checkpoint` when absent.
func benchCheckpoint(b *testing.B, items, users int) string {
	b.Helper()
	cache := os.Getenv("MLBUNDLE_CACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "mlbundle")
	}
	out := filepath.Join(cache, "bench-ncf", fmt.Sprintf("items-%d", items))
	dir := filepath.Join(out, "ncf", fmt.Sprintf("synth-%d", items))
	if _, err := os.Stat(filepath.Join(dir, checkpoint.ManifestFile)); err == nil {
		return dir
	}
	python, err := benchPython()
	if err != nil {
		b.Skipf("no training python to make a %d-item checkpoint: %v", items, err)
	}
	cmd := pythonCmd(python, "-m", "mlbundle_training.cli", "synth-checkpoint",
		"--items", fmt.Sprint(items), "--users", fmt.Sprint(users), "--out", out,
		"--index", "off") // this benchmark times scoring every item; BenchmarkTwoStage the index
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Skipf("synth-checkpoint --items %d failed (%v): %s", items, err, msg)
	}
	return dir
}

// benchInit initialises ONNX Runtime or skips.
func benchInit(b *testing.B) {
	b.Helper()
	onnxtest.Init(b)
}

// one lends a single loaded model.
type one struct{ m Model }

func (o one) Acquire(context.Context) (Model, func(), error) { return o.m, func() {}, nil }

// benchService loads the checkpoint in dir and a SQLite store where the first user of
// the model has seen benchSeen items spread over the catalogue.
func benchService(tb testing.TB, dir string) (svc *Service, user string, seen []string, closeFn func()) {
	tb.Helper()
	cd, err := checkpoint.OpenDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	m, err := ncf.Load(context.Background(), cd.Manifest, cd.Path, onnx.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tmp, err := os.MkdirTemp("", "recbench")
	if err != nil {
		tb.Fatal(err)
	}
	store, err := interactions.OpenSQLite(context.Background(), filepath.Join(tmp, "i.db"))
	if err != nil {
		tb.Fatal(err)
	}
	user = "u0"
	if _, ok := m.UserIndex(user); !ok {
		tb.Fatalf("checkpoint %s has no user %s", dir, user)
	}
	var batch []interactions.Interaction
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range benchSeen {
		id := m.ItemID(i * (m.NumItems() / benchSeen))
		seen = append(seen, id)
		batch = append(batch, interactions.Interaction{UserID: user, ItemID: id, Time: t0.Add(time.Duration(i) * time.Second)})
	}
	if err := store.Add(context.Background(), batch); err != nil {
		tb.Fatal(err)
	}
	return New(one{m}, store, nil), user, seen, func() {
		_ = store.Close()
		_ = m.Close()
		_ = os.RemoveAll(tmp)
	}
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// BenchmarkRecommend measures one warm recommend call (k=10, exclude_seen, SQLite
// store) per catalogue size and, in the same run on the same checkpoint, two Python
// peers: PyTorch eager (the model rebuilt from model.pt, one torch thread) and Python
// ONNX Runtime on the same score_all.onnx. The peers take turns with the Go calls
// (peerBlock calls each, spread over the Go run), so a change of load on the machine
// reaches all sides. Go against ONNX Runtime in Python is the gain of Go; ONNX Runtime
// in Python against torch is the gain of the graph. Numbers and thresholds:
// shared/benchtest. In fast mode (BENCH_MODE=fast) it runs the committed fixture
// alone, without peers.
func BenchmarkRecommend(b *testing.B) {
	benchInit(b)
	sizes := benchSizes
	if benchtest.Mode() == "fast" {
		sizes = sizes[:0:0]
	}
	for _, size := range sizes {
		b.Run(size.name, func(b *testing.B) {
			benchRecommendAt(b, benchCheckpoint(b, size.items, size.users), size.label, size.peerRequests)
		})
	}
	if benchtest.Mode() == "fast" {
		b.Run("fixture", func(b *testing.B) {
			benchRecommendAt(b, benchtest.Checkpoint(b, "ncf-fixture").Path, "fixture", 0)
		})
	}
}

// peerBlock is how many calls a peer makes in one turn.
const peerBlock = 10

// benchRecommendAt times Recommend on the checkpoint in dir and, with peerRequests
// > 0, about that many calls of each Python peer in turns between the Go calls;
// label names the size in the benchmark ids.
func benchRecommendAt(b *testing.B, dir, label string, peerRequests int) {
	svc, user, seen, done := benchService(b, dir)
	defer done()
	ctx := context.Background()
	for range 20 { // warm: first runs allocate ONNX Runtime's buffers
		if _, err := svc.Recommend(ctx, user, 10, true); err != nil {
			b.Fatal(err)
		}
	}
	peers := startPeers(b, dir, user, seen, peerRequests)
	turns := benchtest.NewTurns(peerRequests / peerBlock)
	peerWall, peerCPU := map[string][]time.Duration{}, map[string][]time.Duration{}
	turn := func() {
		for _, p := range peers {
			wall, cpu, err := p.peer.Turn(strconv.Itoa(peerBlock), peerBlock)
			if err != nil {
				b.Fatal(err)
			}
			peerWall[p.name], peerCPU[p.name] = append(peerWall[p.name], wall...), append(peerCPU[p.name], cpu...)
		}
	}
	runtime.LockOSThread() // CPU time below is this thread's: ONNX Runtime on one thread computes here
	defer runtime.UnlockOSThread()
	var lat, cpu []time.Duration
	var spent time.Duration
	for b.Loop() {
		t0, c0 := time.Now(), threadCPU(b)
		res, err := svc.Recommend(ctx, user, 10, true)
		d := time.Since(t0)
		lat, spent = append(lat, d), spent+d
		cpu = append(cpu, threadCPU(b)-c0)
		if err != nil || len(res.Items) != 10 || slices.ContainsFunc(res.Items, func(it Item) bool { return slices.Contains(seen, it.ItemID) }) {
			b.Fatalf("recommend: %v %+v", err, res)
		}
		if len(peers) > 0 && turns.Due(len(lat), spent) {
			b.StopTimer()
			turn()
			b.StartTimer()
		}
	}
	if len(peers) > 0 && turns.Taken() == 0 {
		turn() // a Go loop too short for the plan still gets one turn beside it
	}
	samples := make([]float64, len(lat))
	for i, d := range lat {
		samples[i] = ms(d)
	}
	slices.Sort(lat)
	slices.Sort(cpu)
	p50, p99, c50 := ms(percentile(lat, 0.5)), ms(percentile(lat, 0.99)), ms(percentile(cpu, 0.5))
	id := func(s string) string { return benchtest.ID("recommend", label, s) }
	benchtest.Check(b, id("p50_ms"), p50, "ms", map[string]any{"calls": len(lat)})
	benchtest.Check(b, id("p99_ms"), p99, "ms", nil)
	benchtest.Check(b, id("cpu_p50_ms"), c50, "ms", nil)
	benchtest.Series(b, id("go"), samples)
	if len(peers) < 2 {
		return
	}
	stats := map[string]map[string]float64{}
	for _, p := range peers {
		benchtest.Series(b, id(p.name), durationsMS(peerWall[p.name]))
		wall, pcpu := slices.Sorted(slices.Values(peerWall[p.name])), slices.Sorted(slices.Values(peerCPU[p.name]))
		stats[p.name] = map[string]float64{"p50": ms(percentile(wall, 0.5)), "p99": ms(percentile(wall, 0.99)),
			"cpu": ms(percentile(pcpu, 0.5)), "calls": float64(len(wall))}
	}
	t, o := stats["torch"], stats["ort_python"]
	peerInfo := map[string]any{"torch_p50_ms": t["p50"], "torch_p99_ms": t["p99"], "torch_threads": 1,
		"torch_cpu_p50_ms": t["cpu"], "ort_python_p50_ms": o["p50"], "ort_python_p99_ms": o["p99"],
		"ort_python_cpu_p50_ms": o["cpu"], "go_cpu_p50_ms": c50, "peer_calls": t["calls"],
		"peer_turns": turns.Taken(), "go_calls": len(lat)}
	// Ratios of CPU time per call: every side computes on its calling thread (one ONNX
	// Runtime thread, one torch thread), and CPU time does not move with other work on
	// the machine as wall time does. Wall times are in the report too.
	benchtest.Check(b, id("x_torch"), t["cpu"]/c50, "x", peerInfo)
	benchtest.Check(b, id("x_ort_python"), o["cpu"]/c50, "x", peerInfo)
	benchtest.Check(b, id("graph_gain"), t["cpu"]/o["cpu"], "x", peerInfo)
}

// threadCPU is the CPU time the calling OS thread has used.
func threadCPU(b *testing.B) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ts.Nano())
}

// initFromEnv initialises ONNX Runtime from ONNXRUNTIME_LIB.
func initFromEnv() error {
	lib := os.Getenv("ONNXRUNTIME_LIB")
	if lib == "" {
		return errors.New("ONNXRUNTIME_LIB unset")
	}
	return onnx.Init(lib)
}
