package classify

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/contentml/mlbundle/shared/tokenizer"
)

func codes(labels []Scored) []string {
	out := make([]string, len(labels))
	for i, l := range labels {
		out[i] = l.Code
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func TestClassifySelection(t *testing.T) {
	m, _ := fakeModel(t, 32)
	tests := []struct {
		name string
		text string
		q    Query
		want []string
	}{
		{"per-label thresholds", "oil wheat gold", Query{}, []string{"crude", "wheat"}},
		{"sorted by score", "wheat wheat oil", Query{}, []string{"wheat", "crude"}},
		{"high threshold passed twice", "gold gold", Query{}, []string{"gold"}},
		{"nothing passes", "price rose", Query{}, []string{}},
		{"override threshold", "oil wheat gold", Query{Threshold: ptr(0.8)}, []string{"crude", "wheat", "gold"}},
		{"threshold zero ranks all", "gold gold oil", Query{Threshold: ptr(0.0)}, []string{"gold", "crude", "wheat"}},
		{"top k", "gold gold oil", Query{Threshold: ptr(0.0), TopK: 2}, []string{"gold", "crude"}},
		{"top k above matches", "oil", Query{TopK: 3}, []string{"crude"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := m.Classify(context.Background(), []string{tc.text}, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := codes(res[0].Labels); !slices.Equal(got, tc.want) {
				t.Errorf("labels %v, want %v", got, tc.want)
			}
		})
	}
}

func TestClassifyScoresAreSigmoids(t *testing.T) {
	m, _ := fakeModel(t, 32)
	res, err := m.Classify(context.Background(), []string{"Oil"}, Query{Threshold: ptr(0.0)})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"crude": 1 / (1 + math.Exp(-2)), "wheat": 1 / (1 + math.Exp(2)), "gold": 1 / (1 + math.Exp(2))}
	for _, l := range res[0].Labels {
		if math.Abs(l.Score-want[l.Code]) > 1e-12 {
			t.Errorf("%s score %v, want %v", l.Code, l.Score, want[l.Code])
		}
	}
	if res[0].Labels[0].Name != "Crude oil" {
		t.Errorf("name %q, want the manifest's", res[0].Labels[0].Name)
	}
}

func TestClassifyBadQuery(t *testing.T) {
	m, _ := fakeModel(t, 32)
	for _, q := range []Query{{TopK: 4}, {TopK: -1}, {Threshold: ptr(1.5)}, {Threshold: ptr(math.NaN())}} {
		if _, err := m.Classify(context.Background(), []string{"oil"}, q); err == nil {
			t.Errorf("query %+v accepted", q)
		}
	}
}

// TestDynamicPaddingAndOrder checks that texts are run in chunks of at most
// MaxBatch, each padded to its own longest text, and answered in input order.
func TestDynamicPaddingAndOrder(t *testing.T) {
	m, sess := fakeModel(t, 2)
	texts := []string{"oil oil oil oil oil oil", "gold", "wheat wheat wheat", "oil", "gold gold gold gold gold"}
	res, err := m.Classify(context.Background(), texts, Query{TopK: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"crude", "", "wheat", "crude", "gold"}
	for i, r := range res {
		got := ""
		if len(r.Labels) > 0 {
			got = r.Labels[0].Code
		}
		if got != want[i] {
			t.Errorf("text %d: top label %q, want %q", i, got, want[i])
		}
	}
	// lengths with [CLS]/[SEP]: 8, 3, 5, 3, 7 -> sorted 3,3 | 5,7 | 8
	wantShapes := [][]int64{{2, 3}, {2, 7}, {1, 8}}
	if len(sess.shapes) != len(wantShapes) {
		t.Fatalf("runs %v, want %v", sess.shapes, wantShapes)
	}
	for i := range wantShapes {
		if !slices.Equal(sess.shapes[i], wantShapes[i]) {
			t.Errorf("run %d shape %v, want %v", i, sess.shapes[i], wantShapes[i])
		}
	}
}

func TestTruncatedFlag(t *testing.T) {
	m, _ := fakeModel(t, 32)
	res, err := m.Classify(context.Background(), []string{"oil", strings.Repeat("gold ", 20)}, Query{})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Truncated || !res[1].Truncated {
		t.Errorf("truncated flags %v %v, want false true", res[0].Truncated, res[1].Truncated)
	}
}

func TestNewModelChecks(t *testing.T) {
	tok, err := tokenizer.New(fakeVocab, tokenizer.DefaultConfig(16))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		thresholds []float64
		width      int
		want       string
	}{
		{"logits narrower than labels", []float64{0.5, 0.5, 0.5}, 2, "do not match the labels"},
		{"logits wider than labels", []float64{0.5, 0.5, 0.5}, 5, "3 labels"},
		{"threshold count", []float64{0.5}, 0, "1 thresholds for 3 labels"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newModel(fakeManifest(tc.thresholds), "model.onnx", tok, &fakeSession{labels: 3, width: tc.width}, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestLogitsCancelled(t *testing.T) {
	m, _ := fakeModel(t, 32)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Logits(ctx, []string{"oil"}); err == nil {
		t.Error("cancelled context accepted")
	}
}

func TestOptionsFromEnv(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want Options
		err  []string
	}{
		{"defaults", nil, Options{}, nil},
		{"fp32 and numbers", map[string]string{"CLASSIFIER_MODEL": "fp32", "CLASSIFIER_THREADS": "1", "CLASSIFIER_MAX_BATCH": "8"},
			Options{FP32: true, IntraOpThreads: 1, MaxBatch: 8}, nil},
		{"all problems together", map[string]string{"CLASSIFIER_MODEL": "fp16", "CLASSIFIER_THREADS": "x", "CLASSIFIER_MAX_BATCH": "65"},
			Options{}, []string{"CLASSIFIER_MODEL", "CLASSIFIER_THREADS", "CLASSIFIER_MAX_BATCH"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := OptionsFromEnv(func(k string) string { return tc.env[k] })
			for _, w := range tc.err {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v, want it to name %s", err, w)
				}
			}
			if tc.err == nil && (err != nil || got != tc.want) {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestConcurrentClassify(t *testing.T) {
	m, _ := fakeModel(t, 4)
	texts := []string{"oil", "wheat wheat", "gold gold gold", "price rose", "oil gold"}
	want, err := m.Classify(context.Background(), texts, Query{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for range 20 {
				got, err := m.Classify(context.Background(), texts, Query{})
				if err != nil {
					errs <- err
					return
				}
				for i := range got {
					if !slices.Equal(codes(got[i].Labels), codes(want[i].Labels)) {
						errs <- fmt.Errorf("text %d: %v, want %v", i, codes(got[i].Labels), codes(want[i].Labels))
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
