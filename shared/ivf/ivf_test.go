package ivf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/contentml/mlbundle/shared/checkpoint"
)

// fixture is an index's content before it is written: lists assigns each item a list.
type fixture struct {
	dim, users, items, lists int
	exact                    uint32
	centroids, vecs, queries []float32 // vecs by item index
	assign                   []int
}

func newFixture(seed uint64, users, items, lists, dim int) *fixture {
	r := rand.New(rand.NewPCG(seed, 1))
	f := &fixture{dim: dim, users: users, items: items, lists: lists}
	normals := func(n int) []float32 {
		out := make([]float32, n)
		for i := range out {
			out[i] = float32(r.NormFloat64())
		}
		return out
	}
	f.centroids, f.queries = normals(lists*dim), normals(users*dim)
	f.vecs = make([]float32, items*dim)
	for i := range items {
		l := r.IntN(lists)
		f.assign = append(f.assign, l)
		for d := range dim {
			f.vecs[i*dim+d] = f.centroids[l*dim+d] + 0.3*float32(r.NormFloat64())
		}
	}
	return f
}

// bytes writes the file layout of docs/checkpoint.md "Retrieval index".
func (f *fixture) bytes() []byte {
	var b bytes.Buffer
	b.Write(magic[:])
	w := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	w(header{Version: FormatVersion, Dim: uint32(f.dim), Users: uint32(f.users), Items: uint32(f.items), Lists: uint32(f.lists), Exact: f.exact})
	w(f.centroids)
	var ids []uint32
	offsets := []uint32{0}
	for l := range f.lists {
		for i, a := range f.assign {
			if a == l {
				ids = append(ids, uint32(i))
			}
		}
		offsets = append(offsets, uint32(len(ids)))
	}
	w(offsets)
	w(ids)
	for _, i := range ids {
		w(f.vecs[int(i)*f.dim : (int(i)+1)*f.dim])
	}
	w(f.queries)
	return b.Bytes()
}

func writeFile(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "retrieval.ivf")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// bruteForce is the best n items for user by exact dot product, skipping skip.
func (f *fixture) bruteForce(user, n int, skip func(int) bool) []Candidate {
	q := f.queries[user*f.dim : (user+1)*f.dim]
	var all []Candidate
	for i := range f.items {
		if skip == nil || !skip(i) {
			all = append(all, Candidate{i, dot(q, f.vecs[i*f.dim:(i+1)*f.dim])})
		}
	}
	slices.SortFunc(all, func(a, b Candidate) int {
		if better(a, b) {
			return -1
		}
		return 1
	})
	return all[:min(n, len(all))]
}

func TestSearch(t *testing.T) {
	f := newFixture(1, 7, 3000, 40, 6)
	x, err := Read(writeFile(t, f.bytes()), f.users, f.items, f.dim)
	if err != nil {
		t.Fatal(err)
	}
	odd := func(i int) bool { return i%2 == 1 }
	tests := []struct {
		name      string
		probe     Probe
		skip      func(int) bool
		wantExact bool // the answer equals brute force
		minRows   int
	}{
		{"every list is brute force", Probe{Scan: 3000, Candidates: 50}, nil, true, 3000},
		{"every list with skip", Probe{Scan: 3000, Candidates: 50}, odd, true, 3000},
		{"few lists", Probe{Scan: 300, Candidates: 20}, nil, false, 300},
		{"candidates beyond scan take more lists", Probe{Scan: 1, Candidates: 500}, odd, false, 500},
		{"more candidates than items", Probe{Scan: 0, Candidates: 5000}, nil, true, 3000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for u := range f.users {
				got, st, err := x.Search(u, tt.probe, tt.skip)
				if err != nil {
					t.Fatal(err)
				}
				want := f.bruteForce(u, tt.probe.Candidates, tt.skip)
				if tt.wantExact && !slices.Equal(got, want) {
					t.Fatalf("user %d: got %v, want %v", u, got[:3], want[:3])
				}
				if len(got) != min(tt.probe.Candidates, len(want)) || st.Rows < tt.minRows && st.Lists < f.lists {
					t.Fatalf("user %d: %d candidates from %d rows, %d lists", u, len(got), st.Rows, st.Lists)
				}
				for i, c := range got {
					if tt.skip != nil && tt.skip(c.Item) || i > 0 && better(c, got[i-1]) {
						t.Fatalf("user %d: candidate %d %+v skipped or out of order", u, i, c)
					}
				}
			}
		})
	}
	if _, _, err := x.Search(f.users, Probe{Scan: 1, Candidates: 1}, nil); err == nil {
		t.Error("Search of a user past the table: no error")
	}
}

// TestSearchRecall: probing a tenth of a clustered catalogue finds most of the exact top 10.
func TestSearchRecall(t *testing.T) {
	f := newFixture(2, 50, 20000, 140, 8)
	x, err := Read(writeFile(t, f.bytes()), f.users, f.items, f.dim)
	if err != nil {
		t.Fatal(err)
	}
	hits := 0
	for u := range f.users {
		got, _, _ := x.Search(u, Probe{Scan: 2000, Candidates: 10}, nil)
		for _, w := range f.bruteForce(u, 10, nil) {
			if slices.Contains(got, w) {
				hits++
			}
		}
	}
	if recall := float64(hits) / float64(10*f.users); recall < 0.9 {
		t.Errorf("recall@10 probing 10%% = %.3f, want >= 0.9", recall)
	}
}

func TestReadRejects(t *testing.T) {
	f := newFixture(3, 4, 100, 5, 4)
	good := f.bytes()
	at := func(word int) int { return 40 + 4*word } // offset of the word-th value after the header
	lists := f.lists * f.dim                        // words of centroids
	tests := []struct {
		name, want   string
		edit         func(b []byte) []byte
		users, items int
	}{
		{"magic", "magic", func(b []byte) []byte { b[0] = 'X'; return b }, 4, 100},
		{"version", "format version", func(b []byte) []byte { b[8] = 2; return b }, 4, 100},
		{"users", "manifest", nil, 5, 100},
		{"items", "manifest", nil, 4, 99},
		{"short", "bytes", func(b []byte) []byte { return b[:len(b)-4] }, 4, 100},
		{"nan centroid", "not finite", func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[at(3):], math.Float32bits(float32(math.NaN())))
			return b
		}, 4, 100},
		{"offsets", "offsets", func(b []byte) []byte { binary.LittleEndian.PutUint32(b[at(lists+1):], 101); return b }, 4, 100},
		{"repeated item", "repeats", func(b []byte) []byte {
			copy(b[at(lists+f.lists+2):at(lists+f.lists+3)], b[at(lists+f.lists+1):at(lists+f.lists+2)])
			return b
		}, 4, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := slices.Clone(good)
			if tt.edit != nil {
				b = tt.edit(b)
			}
			_, err := Read(writeFile(t, b), tt.users, tt.items, f.dim)
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Read = %v, want ErrFormat naming %q", err, tt.want)
			}
		})
	}
	if _, err := Read(writeFile(t, good), 4, 100, 3); !errors.Is(err, ErrFormat) {
		t.Errorf("Read with the wrong dim = %v, want ErrFormat", err)
	}
}

func TestCheckParity(t *testing.T) {
	f := newFixture(4, 3, 500, 10, 4)
	x, err := Read(writeFile(t, f.bytes()), f.users, f.items, f.dim)
	if err != nil {
		t.Fatal(err)
	}
	got, _, _ := x.Search(1, Probe{Scan: 100, Candidates: 8}, nil)
	c := checkpoint.RetrievalCase{File: "retrieval.ivf", User: 1, Scan: 100, Candidates: 8, Tolerance: 1e-4}
	for _, g := range got {
		c.Items, c.Scores = append(c.Items, g.Item), append(c.Scores, float64(g.Score))
	}
	if err := x.CheckParity([]checkpoint.RetrievalCase{c}); err != nil {
		t.Fatalf("CheckParity of the index's own answer: %v", err)
	}
	bad := c
	bad.Items = slices.Clone(c.Items)
	bad.Items[2] = (c.Items[2] + 1) % f.items
	for slices.Contains(c.Items, bad.Items[2]) {
		bad.Items[2] = (bad.Items[2] + 1) % f.items
	}
	shifted := c
	shifted.Scores = slices.Clone(c.Scores)
	shifted.Scores[0] += 0.01
	for name, tc := range map[string]checkpoint.RetrievalCase{"other item": bad, "other score": shifted} {
		if err := x.CheckParity([]checkpoint.RetrievalCase{tc}); !errors.Is(err, checkpoint.ErrParity) {
			t.Errorf("%s: CheckParity = %v, want ErrParity", name, err)
		}
	}
}
