package recommend

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/benchtest"
	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/ncf"
	"github.com/contentml/mlbundle/shared/onnx"
)

// twoStageSizes are the catalogues of BenchmarkTwoStage: items drawn from a trained
// model's item distribution (synth-checkpoint --from-model), with a retrieval index.
var twoStageSizes = []struct {
	label string
	items int
	users int // users timed, interleaved exact / two-stage
}{
	{"20K", 20_000, 200},
	{"50K", 50_000, 200},
	{"100K", 100_000, 200},
	{"1M", 1_000_000, 100},
	{"5M", 5_000_000, 30},
}

// recallProbes are the (scan, candidates) settings of the recall table, as they are
// (not per million items).
var recallProbes = []Retrieval{
	{Scan: 32768, Candidates: 100}, {Scan: 32768, Candidates: 300}, {Scan: 32768, Candidates: 1000},
	{Scan: 16384, Candidates: 2000}, {Scan: 32768, Candidates: 2000}, {Scan: 65536, Candidates: 2000},
	{Scan: 1 << 30, Candidates: 2000}, {Scan: 65536, Candidates: 5000}, {Scan: 131072, Candidates: 10000},
	{Scan: 1 << 30, Candidates: 10000},
}

// exactOnly hides a model's retrieval index: the exact path on the same loaded model.
type exactOnly struct{ Model }

func (exactOnly) HasIndex() bool { return false }

// BenchmarkTwoStage times recommend (k=10, exclude_seen over 20 seen items) on one
// thread by scoring every item (score_all.onnx) and by the two-stage path (retrieval
// index, then model.onnx on the candidates), interleaved user by user on the same loaded
// model, and measures the recall of the exact top 10. Variant: BENCH_TWOSTAGE_VARIANT
// (neumf, default; gmf); sizes: BENCH_TWOSTAGE_SIZES (comma-separated labels, default all).
func BenchmarkTwoStage(b *testing.B) {
	benchInit(b)
	variant := os.Getenv("BENCH_TWOSTAGE_VARIANT")
	if variant == "" {
		variant = "neumf"
	}
	only := os.Getenv("BENCH_TWOSTAGE_SIZES")
	for _, size := range twoStageSizes {
		if only != "" && !slices.Contains(strings.Split(only, ","), size.label) {
			continue
		}
		b.Run("items="+size.label, func(b *testing.B) {
			dir := derivedCheckpoint(b, variant, size.items)
			benchTwoStageAt(b, dir, variant, size.label, size.users)
		})
	}
}

func benchTwoStageAt(b *testing.B, dir, variant, label string, users int) {
	cd, err := checkpoint.OpenDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	m, err := ncf.Load(context.Background(), cd.Manifest, cd.Path, onnx.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	b.Logf("%s: loaded %d items in %s; index %v", label, m.NumItems(), time.Since(t0).Round(time.Millisecond), m.HasIndex())
	if !m.HasIndex() {
		b.Fatalf("%s has no retrieval index", dir)
	}
	store := &memStore{seen: map[string]map[string]struct{}{}}
	ids := make([]string, 0, users)
	for k := range users {
		u := k * (m.NumUsers() / users)
		id := fmt.Sprintf("u%d", u)
		seen := map[string]struct{}{}
		for i := range benchSeen {
			seen[m.ItemID((u*7919+i*(m.NumItems()/benchSeen))%m.NumItems())] = struct{}{}
		}
		store.seen[id] = seen
		ids = append(ids, id)
	}
	exact := New(&fixedModels{m: exactOnly{m}}, store, nil)
	two := New(&fixedModels{m: m}, store, nil)
	ctx := context.Background()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var lat, cpu [2][]time.Duration
	var hits int
	for b.Loop() {
		hits, lat, cpu = 0, [2][]time.Duration{}, [2][]time.Duration{}
		for _, id := range ids {
			var tops [2][]string
			for side, svc := range []*Service{exact, two} {
				t, c := time.Now(), threadCPU(b)
				res, err := svc.Recommend(ctx, id, 10, true)
				lat[side] = append(lat[side], time.Since(t))
				cpu[side] = append(cpu[side], threadCPU(b)-c)
				if err != nil || len(res.Items) != 10 {
					b.Fatalf("%s side %d: %v", id, side, err)
				}
				tops[side] = listIDs(res.Items)
			}
			hits += overlap(tops[0], tops[1])
		}
	}
	recall := float64(hits) / float64(10*len(ids))
	report(b, variant, label, lat, cpu, recall, len(ids))
	recallTable(b, m, store, ids, label)
}

// report records the percentiles of both sides, their ratios and the recall.
func report(b *testing.B, variant, label string, lat, cpu [2][]time.Duration, recall float64, users int) {
	id := func(s string) string { return benchtest.ID("twostage", variant, label, s) }
	var p50, p99, c50, c99 [2]float64
	for side := range 2 {
		slices.Sort(lat[side])
		slices.Sort(cpu[side])
		p50[side], p99[side] = ms(percentile(lat[side], 0.5)), ms(percentile(lat[side], 0.99))
		c50[side], c99[side] = ms(percentile(cpu[side], 0.5)), ms(percentile(cpu[side], 0.99))
	}
	load, _ := os.ReadFile("/proc/loadavg")
	extra := map[string]any{"users": users, "exact_p50_ms": p50[0], "exact_p99_ms": p99[0], "exact_cpu_p50_ms": c50[0],
		"exact_cpu_p99_ms": c99[0], "loadavg": strings.TrimSpace(string(load))}
	benchtest.Check(b, id("p50_ms"), p50[1], "ms", extra)
	benchtest.Check(b, id("p99_ms"), p99[1], "ms", nil)
	benchtest.Check(b, id("cpu_p50_ms"), c50[1], "ms", nil)
	benchtest.Check(b, id("cpu_p99_ms"), c99[1], "ms", nil)
	benchtest.Check(b, id("x_exact_cpu"), c50[0]/c50[1], "x", extra)
	benchtest.Check(b, id("recall@10"), recall, "", extra)
	b.Logf("%s %s: exact p50 %.2f p99 %.2f cpu p50 %.2f p99 %.2f ms | two-stage p50 %.2f p99 %.2f cpu p50 %.2f p99 %.2f ms | cpu ratio %.1fx | recall@10 %.4f | load %s",
		variant, label, p50[0], p99[0], c50[0], c99[0], p50[1], p99[1], c50[1], c99[1], c50[0]/c50[1], recall, strings.TrimSpace(string(load)))
}

// recallTable logs the recall of the exact top 10 against the number of candidates and
// the rows scanned (untimed; a scan of 2^30 rows is every item: the ceiling set by the
// retrieval vectors alone).
func recallTable(b *testing.B, m Model, store Store, users []string, label string) {
	ctx := context.Background()
	exact := New(&fixedModels{m: exactOnly{m}}, store, nil)
	want := map[string][]string{}
	for _, id := range users {
		res, err := exact.Recommend(ctx, id, 10, true)
		if err != nil {
			b.Fatal(err)
		}
		want[id] = listIDs(res.Items)
	}
	for _, p := range recallProbes {
		svc := New(&fixedModels{m: m}, store, nil, WithRetrieval(p))
		hits := 0
		for _, id := range users {
			res, err := svc.Recommend(ctx, id, 10, true)
			if err != nil {
				b.Fatal(err)
			}
			hits += overlap(want[id], listIDs(res.Items))
		}
		b.Logf("%s recall@10 with %d candidates, scan %d: %.4f", label, p.Candidates, p.Scan, float64(hits)/float64(10*len(users)))
	}
}

func listIDs(items []Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ItemID
	}
	return out
}

func overlap(a, b []string) int {
	n := 0
	for _, x := range b {
		if slices.Contains(a, x) {
			n++
		}
	}
	return n
}

// derivedCheckpoint returns a cached checkpoint of items drawn from a trained model's
// item distribution, with a retrieval index. The source model is trained once on
// MovieLens 100K ($MLBUNDLE_DATA/ml-100k/u.data, as scripts/bench.sh sets it; only its
// item distribution and tower matter here, not its held-out quality), and the catalogue
// is derived with `synth-checkpoint --from-model ... --index on` when absent.
func derivedCheckpoint(b *testing.B, variant string, items int) string {
	b.Helper()
	cache := os.Getenv("MLBUNDLE_CACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "mlbundle")
	}
	root := filepath.Join(cache, "bench-ncf-derived")
	out := filepath.Join(root, fmt.Sprintf("%s-%d", variant, items))
	dir := filepath.Join(out, "ncf", fmt.Sprintf("synth-%d", items))
	if _, err := os.Stat(filepath.Join(dir, checkpoint.ManifestFile)); err == nil {
		return dir
	}
	python, err := benchPython()
	if err != nil {
		b.Skipf("no training python to make a %d-item checkpoint: %v", items, err)
	}
	trained := filepath.Join(root, "trained", "ncf", "ml-"+variant)
	if _, err := os.Stat(filepath.Join(trained, "model.pt")); err != nil {
		data := filepath.Join(os.Getenv("MLBUNDLE_DATA"), "ml-100k", "u.data")
		if _, err := os.Stat(data); err != nil {
			b.Skipf("no MovieLens 100K at %s (MLBUNDLE_DATA) to train the source model", data)
		}
		cmd := pythonCmd(python, "-m", "mlbundle_training.cli", "--log-level", "warning", "train-ncf",
			"--data-path", data, "--output-dir", filepath.Join(root, "trained"), "--version", "ml-"+variant,
			"--variant", variant, "--epochs", "12", "--threads", "1", "--no-progress", "--device", "cpu")
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Skipf("train-ncf %s failed (%v): %s", variant, err, msg)
		}
	}
	cmd := pythonCmd(python, "-m", "mlbundle_training.cli", "--log-level", "warning", "synth-checkpoint",
		"--items", fmt.Sprint(items), "--out", out, "--from-model", filepath.Join(trained, "model.pt"), "--index", "on")
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Skipf("synth-checkpoint --items %d failed (%v): %s", items, err, msg)
	}
	return dir
}
