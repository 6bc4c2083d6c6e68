package metrics

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestEMFRecord(t *testing.T) {
	tests := []struct {
		name     string
		emit     func(e *Emitter)
		metric   string
		wantVal  float64
		wantUnit string
		props    map[string]string
	}{
		{"count", func(e *Emitter) { e.Count(ColdStart, 1, map[string]string{"user_id": "u9"}) },
			ColdStart, 1, "Count", map[string]string{"user_id": "u9"}},
		{"count no props", func(e *Emitter) { e.Count(ReloadRejected, 2, nil) }, ReloadRejected, 2, "Count", nil},
		{"duration", func(e *Emitter) { e.Duration(ModelLoadMillis, 1500*time.Microsecond, nil) },
			ModelLoadMillis, 1.5, "Milliseconds", nil},
		{"props cannot overwrite the metric", func(e *Emitter) {
			e.Count(ReloadPromoted, 1, map[string]string{ReloadPromoted: "x", "function": "y"})
		}, ReloadPromoted, 1, "Count", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			e := New(&buf, "recommend")
			e.now = func() time.Time { return time.UnixMilli(1700000000123) }
			tc.emit(e)
			lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
			if len(lines) != 1 {
				t.Fatalf("want one line, got %q", buf.String())
			}
			var rec struct {
				AWS struct {
					Timestamp         int64
					CloudWatchMetrics []struct {
						Namespace  string
						Dimensions [][]string
						Metrics    []struct{ Name, Unit string }
					}
				} `json:"_aws"`
				Function string `json:"function"`
			}
			if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
				t.Fatal(err)
			}
			var all map[string]any
			_ = json.Unmarshal([]byte(lines[0]), &all)
			d := rec.AWS.CloudWatchMetrics
			if rec.AWS.Timestamp != 1700000000123 || len(d) != 1 || d[0].Namespace != "mlbundle" ||
				len(d[0].Dimensions) != 1 || d[0].Dimensions[0][0] != "function" ||
				d[0].Metrics[0].Name != tc.metric || d[0].Metrics[0].Unit != tc.wantUnit {
				t.Errorf("bad directive: %s", lines[0])
			}
			if rec.Function != "recommend" || all[tc.metric] != tc.wantVal {
				t.Errorf("function %q value %v, want recommend %v", rec.Function, all[tc.metric], tc.wantVal)
			}
			for k, v := range tc.props {
				if all[k] != v {
					t.Errorf("prop %s = %v, want %s", k, all[k], v)
				}
			}
		})
	}
}

func TestNilEmitterAndConcurrency(t *testing.T) {
	var nilE *Emitter
	nilE.Count(ColdStart, 1, nil) // must not panic
	var buf bytes.Buffer
	e := New(&buf, "f")
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); e.Count(ColdStart, 1, nil) }()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 50 {
		t.Fatalf("got %d lines, want 50", len(lines))
	}
	for _, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Fatalf("interleaved line %q", l)
		}
	}
}
