package ncf

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/contentml/mlbundle/shared/checkpoint"
)

// ids maps external ids to dense indices and back.
type ids struct {
	list []string
	byID map[string]int32
}

func (x ids) index(id string) (int, bool) {
	i, ok := x.byID[id]
	return int(i), ok
}

func readFile(dir, name string) ([]byte, error) {
	if err := checkpoint.CheckFileName(name); err != nil {
		return nil, err
	}
	return os.ReadFile(filepath.Join(dir, name))
}

// readIDs reads a JSON array of want unique, non-empty strings.
func readIDs(dir, name string, want int) (ids, error) {
	data, err := readFile(dir, name)
	if err != nil {
		return ids{}, err
	}
	var list []string
	if err := json.Unmarshal(data, &list); err != nil {
		return ids{}, fmt.Errorf("%s: want a JSON array of strings: %w", name, err)
	}
	if len(list) != want || want > math.MaxInt32 {
		return ids{}, fmt.Errorf("%s has %d ids, manifest says %d", name, len(list), want)
	}
	byID := make(map[string]int32, len(list))
	for i, id := range list {
		if id == "" {
			return ids{}, fmt.Errorf("%s[%d] is empty", name, i)
		}
		if j, dup := byID[id]; dup {
			return ids{}, fmt.Errorf("%s[%d] %q repeats index %d", name, i, id, j)
		}
		byID[id] = int32(i)
	}
	return ids{list: list, byID: byID}, nil
}

// maxCategoryBytes bounds a category, as the id rule bounds ids (training writes
// categories under that rule).
const maxCategoryBytes = 256

// readCategories reads a JSON array of want strings, one per item: "" (none) or a
// category of at most maxCategoryBytes of valid text without control characters.
func readCategories(dir, name string, want int) ([]string, error) {
	data, err := readFile(dir, name)
	if err != nil {
		return nil, err
	}
	var list []string
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("%s: want a JSON array of strings: %w", name, err)
	}
	if len(list) != want {
		return nil, fmt.Errorf("%s has %d categories, manifest says %d items", name, len(list), want)
	}
	for i, c := range list {
		if c == "" {
			continue
		}
		if len(c) > maxCategoryBytes || !utf8.ValidString(c) || strings.IndexFunc(c, unicode.IsControl) >= 0 {
			return nil, fmt.Errorf("%s[%d] must be valid text of at most %d bytes without control characters", name, i, maxCategoryBytes)
		}
	}
	return list, nil
}

func readPopular(dir, name string) ([]Popular, error) {
	if name == "" {
		return nil, nil
	}
	data, err := readFile(dir, name)
	if err != nil {
		return nil, err
	}
	var pop []Popular
	if err := json.Unmarshal(data, &pop); err != nil {
		return nil, fmt.Errorf("%s: want [{\"item_id\", \"count\"}]: %w", name, err)
	}
	for i, p := range pop {
		if p.ItemID == "" || p.Count < 0 {
			return nil, fmt.Errorf("%s[%d]: item_id empty or count negative", name, i)
		}
		if i > 0 && p.Count > pop[i-1].Count {
			return nil, fmt.Errorf("%s[%d]: counts must not increase (%d after %d)", name, i, p.Count, pop[i-1].Count)
		}
	}
	return pop, nil
}

// readVectors reads float32 little-endian rows of dim values, one per item. It reads in
// chunks, so the file is never held in memory beside the vectors.
func readVectors(dir, name string, items, dim int) ([]float32, error) {
	if dim <= 0 {
		return nil, fmt.Errorf("item_vector_dim %d must be positive", dim)
	}
	if err := checkpoint.CheckFileName(name); err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if want := int64(items) * int64(dim) * 4; info.Size() != want {
		return nil, fmt.Errorf("%s has %d bytes, want %d (%d items x %d float32)", name, info.Size(), want, items, dim)
	}
	v := make([]float32, items*dim)
	buf := make([]byte, 64<<10)
	for done := 0; done < len(v); {
		n := min(len(buf), 4*(len(v)-done))
		if _, err := io.ReadFull(f, buf[:n]); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for i := 0; i < n; i += 4 {
			x := math.Float32frombits(binary.LittleEndian.Uint32(buf[i:]))
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return nil, fmt.Errorf("%s: value %d is not finite", name, done)
			}
			v[done] = x
			done++
		}
	}
	return v, nil
}
