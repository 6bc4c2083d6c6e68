package recommend

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// reference ranks by a full sort: score descending, index ascending.
func reference(scores []float32, k int, skip bitset) []int {
	var idx []int
	for i, s := range scores {
		if !skip.has(i) && !math.IsNaN(float64(s)) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case scores[a] > scores[b]:
			return -1
		case scores[a] < scores[b]:
			return 1
		}
		return 0
	})
	return idx[:min(k, len(idx))]
}

func TestTopK(t *testing.T) {
	nan := float32(math.NaN())
	cases := []struct {
		name   string
		scores []float32
		k      int
		skip   []int
		want   []int
	}{
		{"simple", []float32{0.1, 0.9, 0.5}, 2, nil, []int{1, 2}},
		{"k over n", []float32{0.1, 0.9}, 5, nil, []int{1, 0}},
		{"ties to lower index", []float32{1, 2, 2, 2, 0}, 2, nil, []int{1, 2}},
		{"skip best", []float32{0.1, 0.9, 0.5}, 2, []int{1}, []int{2, 0}},
		{"nan left out", []float32{nan, 0.2, nan, -1}, 3, nil, []int{1, 3}},
		{"all skipped", []float32{1, 2}, 2, []int{0, 1}, []int{}},
		{"negative infinity kept", []float32{float32(math.Inf(-1)), -3}, 2, nil, []int{1, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			skip := newBitset(len(tc.scores))
			for _, i := range tc.skip {
				skip.set(i)
			}
			if got := topK(tc.scores, tc.k, skip); !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
				t.Errorf("topK = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTopKMatchesFullSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		n := 1 + r.IntN(300)
		scores := make([]float32, n)
		for i := range scores {
			scores[i] = float32(r.IntN(40)) / 4 // many ties
		}
		skip := newBitset(n)
		for range r.IntN(n) {
			skip.set(r.IntN(n))
		}
		k := 1 + r.IntN(120)
		if got, want := topK(scores, k, skip), reference(scores, k, skip); !slices.Equal(got, want) {
			t.Fatalf("trial %d (n=%d k=%d): topK = %v, want %v", trial, n, k, got, want)
		}
	}
}

func BenchmarkTopK(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	scores := make([]float32, 1_000_000)
	for i := range scores {
		scores[i] = r.Float32()
	}
	skip := newBitset(len(scores))
	for range 100 {
		skip.set(r.IntN(len(scores)))
	}
	for b.Loop() {
		topK(scores, 10, skip)
	}
}
