package benchtest

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Threshold is one entry of bench/thresholds.json: the value a benchmark may not
// fall below (Min) or rise above (Max), set from a measured number and a margin.
type Threshold struct {
	Min      *float64 `json:"min,omitempty"`
	Max      *float64 `json:"max,omitempty"`
	Measured float64  `json:"measured"`
	Margin   string   `json:"margin"`
	Modes    []string `json:"modes,omitempty"` // modes that check it (default: full)
}

// Thresholds is bench/thresholds.json.
type Thresholds struct {
	Machine    string               `json:"machine"`
	MeasuredAt string               `json:"measured_at"`
	Entries    map[string]Threshold `json:"thresholds"`
}

var thresholds = sync.OnceValues(func() (*Thresholds, error) {
	data, err := os.ReadFile(filepath.Join(Root(), "bench", "thresholds.json"))
	if err != nil {
		return nil, fmt.Errorf("benchmark thresholds: %w", err)
	}
	var t Thresholds
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("bench/thresholds.json: %w", err)
	}
	return &t, nil
})

// Mode is the benchmark mode: "full" (make bench) or "fast" (the reduced run
// inside make test), from BENCH_MODE.
func Mode() string {
	if m := os.Getenv("BENCH_MODE"); m != "" {
		return m
	}
	return "full"
}

// Result is one line of a results file.
type Result struct {
	ID        string         `json:"id"`
	Value     float64        `json:"value"`
	Unit      string         `json:"unit"`
	Mode      string         `json:"mode"`
	Threshold *Threshold     `json:"threshold,omitempty"`
	Status    string         `json:"status"` // pass, fail, unchecked
	Extra     map[string]any `json:"extra,omitempty"`
}

// Verdict compares value with id's threshold for the current mode; status is
// "pass", "fail" or "unchecked" (no threshold for this id and mode).
func Verdict(id string, value float64) (status string, th *Threshold, err error) {
	t, err := thresholds()
	if err != nil {
		return "", nil, err
	}
	entry, ok := t.Entries[id]
	if !ok {
		return "unchecked", nil, nil
	}
	return judge(entry, Mode(), value), &entry, nil
}

// judge compares value with one threshold in the given mode.
func judge(entry Threshold, mode string, value float64) string {
	modes := entry.Modes
	if len(modes) == 0 {
		modes = []string{"full"}
	}
	switch {
	case !slices.Contains(modes, mode):
		return "unchecked"
	case math.IsNaN(value), entry.Min != nil && value < *entry.Min, entry.Max != nil && value > *entry.Max:
		return "fail"
	}
	return "pass"
}

// Check records value (in unit) for the benchmark id in $BENCH_RESULTS and
// fails tb when it is worse than id's threshold. extra holds context for the
// report (peer numbers, sizes); it may be nil.
func Check(tb testing.TB, id string, value float64, unit string, extra map[string]any) {
	tb.Helper()
	if probing(tb) {
		return
	}
	status, th, err := Verdict(id, value)
	if err != nil {
		tb.Fatal(err)
	}
	write(tb, "results.jsonl", Result{ID: id, Value: value, Unit: unit, Mode: Mode(), Threshold: th, Status: status, Extra: extra})
	switch status {
	case "fail":
		bound, limit := "at least", th.Min
		if th.Max != nil && value > *th.Max {
			bound, limit = "at most", th.Max
		}
		tb.Errorf("regression: %s = %.4g %s, threshold %s %.4g (measured %.4g, margin %s; bench/thresholds.json)",
			id, value, unit, bound, *limit, th.Measured, th.Margin)
	case "unchecked":
		tb.Logf("%s = %.4g %s (no threshold in %s mode)", id, value, unit, Mode())
	default:
		tb.Logf("%s = %.4g %s (within its threshold)", id, value, unit)
	}
}

// Series records raw samples (latencies in ms, say) under id for the report's
// plots; nothing is checked.
func Series(tb testing.TB, id string, values []float64) {
	tb.Helper()
	if probing(tb) {
		return
	}
	write(tb, "series.jsonl", map[string]any{"id": id, "values": values})
}

// probing reports whether tb is the one-iteration run the testing package makes
// before the real one (b.N == 1 while -benchtime asks for more): its numbers
// are neither recorded nor checked.
func probing(tb testing.TB) bool {
	b, ok := tb.(*testing.B)
	if !ok || b.N != 1 {
		return false
	}
	f := flag.Lookup("test.benchtime")
	return f == nil || f.Value.String() != "1x"
}

var writeMu sync.Mutex

// write appends one JSON line to a file in $BENCH_RESULTS (nothing when unset).
func write(tb testing.TB, file string, v any) {
	tb.Helper()
	dir := os.Getenv("BENCH_RESULTS")
	if dir == "" {
		return
	}
	line, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	writeMu.Lock()
	defer writeMu.Unlock()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "go-"+file), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(append(line, '\n')); err != nil {
		tb.Fatal(err)
	}
}

// ID joins parts into a benchmark id: ID("recommend", "20K", "p50_ms").
func ID(parts ...string) string { return strings.Join(parts, ".") }
