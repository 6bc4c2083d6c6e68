package ivf

import (
	"fmt"
	"slices"
)

// Candidate is one retrieved item and its retrieval score (query . item vector).
type Candidate struct {
	Item  int
	Score float32
}

// Probe is how far a search reaches.
type Probe struct {
	// Scan is the number of rows to score at least: lists are taken best centroid
	// first until they hold Scan rows.
	Scan int
	// Candidates is how many items to return. Lists keep being taken past Scan until
	// that many items not skipped were seen (or every list was).
	Candidates int
}

// Stats describes one search.
type Stats struct {
	Lists, Rows int // lists and rows scanned
}

// Search returns up to p.Candidates items for user, best retrieval score first (ties:
// lower item index), leaving out items for which skip (when not nil) is true.
func (x *Index) Search(user int, p Probe, skip func(item int) bool) ([]Candidate, Stats, error) {
	if user < 0 || user >= x.users {
		return nil, Stats{}, fmt.Errorf("retrieval: user %d out of range (index has %d)", user, x.users)
	}
	if p.Candidates <= 0 {
		return nil, Stats{}, nil
	}
	q := x.queries[user*x.dim : (user+1)*x.dim]
	order := x.listOrder(q)
	h := topN{n: p.Candidates}
	var st Stats
	for _, l := range order {
		// a full heap has seen Candidates items not skipped
		if st.Rows >= p.Scan && h.full() {
			break
		}
		from, to := int(x.offsets[l]), int(x.offsets[l+1])
		st.Lists++
		st.Rows += to - from
		for row := from; row < to; row++ {
			s := dot(q, x.vecs[row*x.dim:(row+1)*x.dim])
			if h.full() && s < h.worst() {
				continue
			}
			item := int(x.ids[row])
			if skip != nil && skip(item) {
				continue
			}
			h.push(Candidate{item, s})
		}
	}
	return h.sorted(), st, nil
}

// listOrder returns the lists by decreasing centroid score (ties: lower list).
func (x *Index) listOrder(q []float32) []int32 {
	n := x.Lists()
	score := make([]float32, n)
	order := make([]int32, n)
	for l := range n {
		score[l] = dot(q, x.centroids[l*x.dim:(l+1)*x.dim])
		order[l] = int32(l)
	}
	slices.SortFunc(order, func(a, b int32) int {
		switch {
		case score[a] > score[b]:
			return -1
		case score[a] < score[b]:
			return 1
		}
		return int(a - b)
	})
	return order
}

// dot is the float32 inner product of two vectors of equal length, four sums at a time.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// topN keeps the n best candidates in a min-heap (h[0] the worst kept).
type topN struct {
	n int
	h []Candidate
}

// better reports whether a ranks before b.
func better(a, b Candidate) bool { return a.Score > b.Score || (a.Score == b.Score && a.Item < b.Item) }

func (t *topN) full() bool     { return len(t.h) == t.n }
func (t *topN) worst() float32 { return t.h[0].Score }

func (t *topN) push(c Candidate) {
	if !t.full() {
		t.h = append(t.h, c)
		for j := len(t.h) - 1; j > 0; {
			p := (j - 1) / 2
			if !better(t.h[p], t.h[j]) {
				break
			}
			t.h[p], t.h[j] = t.h[j], t.h[p]
			j = p
		}
		return
	}
	if !better(c, t.h[0]) {
		return
	}
	t.h[0] = c
	for i := 0; ; {
		w, l, r := i, 2*i+1, 2*i+2
		if l < len(t.h) && better(t.h[w], t.h[l]) {
			w = l
		}
		if r < len(t.h) && better(t.h[w], t.h[r]) {
			w = r
		}
		if w == i {
			return
		}
		t.h[i], t.h[w] = t.h[w], t.h[i]
		i = w
	}
}

func (t *topN) sorted() []Candidate {
	slices.SortFunc(t.h, func(a, b Candidate) int {
		if better(a, b) {
			return -1
		}
		return 1
	})
	return t.h
}
