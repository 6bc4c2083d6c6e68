package benchtest

import (
	"context"
	"math"
	"testing"
)

func ptr(v float64) *float64 { return &v }

func TestJudge(t *testing.T) {
	tests := []struct {
		name  string
		entry Threshold
		mode  string
		value float64
		want  string
	}{
		{"above min", Threshold{Min: ptr(0.8)}, "full", 0.85, "pass"},
		{"below min", Threshold{Min: ptr(0.8)}, "full", 0.79, "fail"},
		{"at max", Threshold{Max: ptr(10)}, "full", 10, "pass"},
		{"above max", Threshold{Max: ptr(10)}, "full", 10.5, "fail"},
		{"NaN fails", Threshold{Max: ptr(10)}, "full", math.NaN(), "fail"},
		{"full-only entry in fast mode", Threshold{Max: ptr(10)}, "fast", 99, "unchecked"},
		{"entry for both modes", Threshold{Max: ptr(0), Modes: []string{"fast", "full"}}, "fast", 1, "fail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := judge(tt.entry, tt.mode, tt.value); got != tt.want {
				t.Errorf("judge = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestThresholdsFile checks that bench/thresholds.json parses and that every
// entry has exactly one bound, a margin and known modes.
func TestThresholdsFile(t *testing.T) {
	th, err := thresholds()
	if err != nil {
		t.Fatal(err)
	}
	for id, e := range th.Entries {
		if (e.Min == nil) == (e.Max == nil) {
			t.Errorf("%s: want exactly one of min and max", id)
		}
		if e.Margin == "" {
			t.Errorf("%s: no margin stated", id)
		}
		for _, m := range e.Modes {
			if m != "fast" && m != "full" {
				t.Errorf("%s: unknown mode %q", id, m)
			}
		}
	}
}

// TestAvailable lists the benchmark models and where they are (run with -v to
// see which are missing and the command that makes each); the committed
// fixtures must always be there.
func TestAvailable(t *testing.T) {
	models, err := Available(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range models {
		if m.Missing != "" {
			t.Logf("%-20s missing: %s", m.Name, m.Missing)
			if m.Store != "" {
				t.Errorf("committed fixture %s is missing: %s", m.Name, m.Missing)
			}
			continue
		}
		t.Logf("%-20s %s", m.Name, m.Path)
	}
}
