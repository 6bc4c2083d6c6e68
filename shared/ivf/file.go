package ivf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// Format and FormatVersion name the file layout this package reads; the manifest's
// retrieval artifact states both and a reader refuses any other.
const (
	Format        = "mlbundle-ivf"
	FormatVersion = 1
)

// magic opens every index file.
var magic = [8]byte{'M', 'L', 'B', 'I', 'V', 'F', 0, 0}

// header is the fixed 32-byte start of the file, after the magic (little-endian).
type header struct {
	Version  uint32 // FormatVersion
	Dim      uint32 // length of every retrieval vector
	Users    uint32 // rows of the user query table (the manifest's num_users)
	Items    uint32 // items in the lists (the manifest's num_items)
	Lists    uint32 // k-means lists
	Exact    uint32 // 1: query . item equals the model's logit up to a constant
	Reserved [2]uint32
}

// ErrFormat marks an index file that breaks the layout or disagrees with the manifest.
var ErrFormat = errors.New("invalid retrieval index")

// Index is a loaded inverted file. It is read-only and safe for concurrent use.
type Index struct {
	dim, users, items int
	exact             bool
	centroids         []float32 // [lists x dim]
	offsets           []uint32  // list l holds rows offsets[l] .. offsets[l+1]
	ids               []uint32  // item index of each row, list by list
	vecs              []float32 // [items x dim], rows in list order
	queries           []float32 // [users x dim]
}

// Dim is the length of the retrieval vectors.
func (x *Index) Dim() int { return x.dim }

// Lists is the number of k-means lists.
func (x *Index) Lists() int { return len(x.offsets) - 1 }

// Exact reports whether a retrieval score is the model's logit up to a constant (a
// dot-product model: gmf, or ALS exported as ncf).
func (x *Index) Exact() bool { return x.exact }

// Bytes is the memory the index holds.
func (x *Index) Bytes() int64 {
	return 4 * int64(len(x.centroids)+len(x.offsets)+len(x.ids)+len(x.vecs)+len(x.queries))
}

// Read loads the index file at path and checks it against the checkpoint: users and
// items must equal the manifest's counts, dim the artifact's, offsets must cut the
// items into lists in order, the rows must hold every item exactly once and every
// value must be finite. It reads in chunks, never holding the file beside the tables.
func Read(path string, users, items, dim int) (*Index, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	r := bufio.NewReaderSize(f, 256<<10)
	x, err := readIndex(r, info.Size(), users, items, dim)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrFormat, path, err)
	}
	return x, nil
}

func readIndex(r io.Reader, size int64, users, items, dim int) (*Index, error) {
	var m [8]byte
	var h header
	if _, err := io.ReadFull(r, m[:]); err != nil || m != magic {
		return nil, errors.New("not an index file (magic)")
	}
	if err := binary.Read(r, binary.LittleEndian, &h); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	switch {
	case h.Version != FormatVersion:
		return nil, fmt.Errorf("format version %d, this reader reads %d", h.Version, FormatVersion)
	case int(h.Users) != users || int(h.Items) != items:
		return nil, fmt.Errorf("holds %d users and %d items, the manifest %d and %d", h.Users, h.Items, users, items)
	case int(h.Dim) != dim || dim <= 0:
		return nil, fmt.Errorf("vectors of %d values, the manifest says %d", h.Dim, dim)
	case h.Lists == 0 || h.Lists > h.Items:
		return nil, fmt.Errorf("%d lists for %d items", h.Lists, h.Items)
	case h.Exact > 1:
		return nil, fmt.Errorf("exact flag %d, want 0 or 1", h.Exact)
	}
	lists := int(h.Lists)
	want := 40 + 4*(int64(lists)*int64(dim)+int64(lists)+1+int64(items)+int64(items)*int64(dim)+int64(users)*int64(dim))
	if size != want {
		return nil, fmt.Errorf("has %d bytes, want %d", size, want)
	}
	x := &Index{dim: dim, users: users, items: items, exact: h.Exact == 1}
	var err error
	if x.centroids, err = readFloats(r, lists*dim, "centroids"); err != nil {
		return nil, err
	}
	if x.offsets, err = readUints(r, lists+1); err != nil {
		return nil, fmt.Errorf("offsets: %w", err)
	}
	if x.ids, err = readUints(r, items); err != nil {
		return nil, fmt.Errorf("items: %w", err)
	}
	if x.vecs, err = readFloats(r, items*dim, "item vectors"); err != nil {
		return nil, err
	}
	if x.queries, err = readFloats(r, users*dim, "user vectors"); err != nil {
		return nil, err
	}
	return x, x.check()
}

// check validates the offsets and the item permutation.
func (x *Index) check() error {
	if x.offsets[0] != 0 || int(x.offsets[len(x.offsets)-1]) != x.items {
		return fmt.Errorf("offsets run from %d to %d, want 0 to %d", x.offsets[0], x.offsets[len(x.offsets)-1], x.items)
	}
	for l := 1; l < len(x.offsets); l++ {
		if x.offsets[l] < x.offsets[l-1] {
			return fmt.Errorf("offsets[%d] %d is below offsets[%d] %d", l, x.offsets[l], l-1, x.offsets[l-1])
		}
	}
	seen := make([]uint64, (x.items+63)/64)
	for row, id := range x.ids {
		if int(id) >= x.items {
			return fmt.Errorf("row %d holds item %d of %d", row, id, x.items)
		}
		if seen[id>>6]&(1<<(id&63)) != 0 {
			return fmt.Errorf("row %d repeats item %d", row, id)
		}
		seen[id>>6] |= 1 << (id & 63)
	}
	return nil
}

// readChunks reads n little-endian 32-bit words in chunks, handing each to put.
func readChunks(r io.Reader, n int, put func(i int, w uint32)) error {
	buf := make([]byte, 64<<10)
	for done := 0; done < n; {
		k := min(len(buf), 4*(n-done))
		if _, err := io.ReadFull(r, buf[:k]); err != nil {
			return err
		}
		for i := 0; i < k; i += 4 {
			put(done, binary.LittleEndian.Uint32(buf[i:]))
			done++
		}
	}
	return nil
}

func readUints(r io.Reader, n int) ([]uint32, error) {
	out := make([]uint32, n)
	return out, readChunks(r, n, func(i int, w uint32) { out[i] = w })
}

func readFloats(r io.Reader, n int, what string) ([]float32, error) {
	out := make([]float32, n)
	bad := -1
	err := readChunks(r, n, func(i int, w uint32) {
		v := math.Float32frombits(w)
		if bad < 0 && (math.IsNaN(float64(v)) || math.IsInf(float64(v), 0)) {
			bad = i
		}
		out[i] = v
	})
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s: %w", what, err)
	case bad >= 0:
		return nil, fmt.Errorf("%s: value %d is not finite", what, bad)
	}
	return out, nil
}
