package recommend

import (
	"math"
	"slices"
)

// bitset marks item indices to skip.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) set(i int) { b[i>>6] |= 1 << (uint(i) & 63) }

func (b bitset) has(i int) bool { return b[i>>6]&(1<<(uint(i)&63)) != 0 }

// topK returns the indices of the k highest scores, best first, leaving out skipped
// indices and NaN scores; ties go to the lower index. It keeps a k-element min-heap, so
// it costs O(n log k) and one comparison for most items, instead of a full sort.
func topK(scores []float32, k int, skip bitset) []int {
	if k <= 0 {
		return nil
	}
	// better reports whether item a ranks before item b.
	better := func(a, b int) bool {
		return scores[a] > scores[b] || (scores[a] == scores[b] && a < b)
	}
	heap := make([]int, 0, k) // heap[0] is the worst kept item
	down := func(i int) {
		for {
			w, l, r := i, 2*i+1, 2*i+2
			if l < len(heap) && better(heap[w], heap[l]) {
				w = l
			}
			if r < len(heap) && better(heap[w], heap[r]) {
				w = r
			}
			if w == i {
				return
			}
			heap[i], heap[w] = heap[w], heap[i]
			i = w
		}
	}
	i := 0
	for ; i < len(scores) && len(heap) < k; i++ { // fill the heap
		if skip.has(i) || math.IsNaN(float64(scores[i])) {
			continue
		}
		heap = append(heap, i)
		for j := len(heap) - 1; j > 0; { // sift up
			p := (j - 1) / 2
			if !better(heap[p], heap[j]) {
				break
			}
			heap[p], heap[j] = heap[j], heap[p]
			j = p
		}
	}
	if len(heap) == k {
		// Most items fail the first comparison; NaN fails it too. A later (higher) index
		// never wins a tie, so ">" suffices.
		worst := scores[heap[0]]
		for ; i < len(scores); i++ {
			if !(scores[i] > worst) || skip.has(i) {
				continue
			}
			heap[0] = i
			down(0)
			worst = scores[heap[0]]
		}
	}
	slices.SortFunc(heap, func(a, b int) int {
		if better(a, b) {
			return -1
		}
		return 1
	})
	return heap
}
