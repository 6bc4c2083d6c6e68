package ncf

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/ivf"
	"github.com/contentml/mlbundle/shared/onnx"
)

// ErrIndex marks a user or item index outside the model.
var ErrIndex = errors.New("index out of range")

// Popular is one entry of the checkpoint's popular-items list.
type Popular struct {
	ItemID string `json:"item_id"`
	Count  int64  `json:"count"`
}

// Model is a loaded ncf checkpoint.
type Model struct {
	version  string
	created  time.Time
	users    ids
	items    ids
	popular  []Popular
	vectors  []float32 // row-major [items x dim], L2-normalised rows; nil when absent
	cats     []string  // category of each item ("" none); nil when the checkpoint has none
	dim      int
	index    *ivf.Index // candidate retrieval; nil when the checkpoint has none
	predict  *onnx.Session
	scoreAll *onnx.Session
	text     *itemText // nil when the checkpoint cannot place items by text
}

// Version is the checkpoint version.
func (m *Model) Version() string { return m.version }

// CreatedAt is when the checkpoint was trained (the manifest's created_at).
func (m *Model) CreatedAt() time.Time { return m.created }

// NumItems is the number of items the model scores.
func (m *Model) NumItems() int { return len(m.items.list) }

// NumUsers is the number of users with an embedding.
func (m *Model) NumUsers() int { return len(m.users.list) }

// UserIndex returns the model's index of an external user id.
func (m *Model) UserIndex(id string) (int, bool) { return m.users.index(id) }

// ItemIndex returns the model's index of an external item id.
func (m *Model) ItemIndex(id string) (int, bool) { return m.items.index(id) }

// ItemID returns the external id of item index i (which must be in range).
func (m *Model) ItemID(i int) string { return m.items.list[i] }

// Popular returns the checkpoint's popular items, most interactions first. The slice
// is shared: do not modify it.
func (m *Model) Popular() []Popular { return m.popular }

// ItemVector returns the L2-normalised vector of item i, or nil when the checkpoint has
// no item vectors. The slice is shared: do not modify it.
func (m *Model) ItemVector(i int) []float32 {
	if m.vectors == nil || i < 0 || i >= m.NumItems() {
		return nil
	}
	return m.vectors[i*m.dim : (i+1)*m.dim : (i+1)*m.dim]
}

// ItemCategory returns the category of item i ("" when it has none or the checkpoint
// carries no categories).
func (m *Model) ItemCategory(i int) string {
	if m.cats == nil || i < 0 || i >= len(m.cats) {
		return ""
	}
	return m.cats[i]
}

// HasCategories reports whether the checkpoint carries item categories.
func (m *Model) HasCategories() bool { return m.cats != nil }

// VectorDim is the length of item vectors (0 when the checkpoint has none).
func (m *Model) VectorDim() int { return m.dim }

// DefaultThreads is the intra-op thread count of both graphs when opts leaves it at 0.
// One thread: score_all.onnx runs as a chain of small cache-sized tiles that a second
// thread speeds up little, while a second thread that must be woken (or spins) on a busy
// or fractional-vCPU machine makes the latency tail several times longer (BenchmarkRecommend,
// docs/benchmarks.md "Serving: recommend").
const DefaultThreads = 1

// Load opens the verified version in dir described by man: it reads the id maps, the
// popular list, the item vectors and the retrieval index, opens both ONNX graphs and checks their inputs and
// outputs against the contract and the manifest, and scores one user to check
// that score_all.onnx yields one logit per item. opts.IntraOpThreads 0 means
// DefaultThreads. Its signature fits modelstore.LoadFunc once opts is bound.
func Load(ctx context.Context, man *checkpoint.Manifest, dir string, opts onnx.Options) (*Model, error) {
	if opts.IntraOpThreads == 0 {
		opts.IntraOpThreads = DefaultThreads
	}
	if man.Kind != checkpoint.NCF || man.NCF == nil {
		return nil, fmt.Errorf("load ncf %s: manifest kind is %q", dir, man.Kind)
	}
	sec := man.NCF
	m := &Model{version: man.Version, created: man.CreatedAt}
	var err error
	if m.users, err = readIDs(dir, sec.UserIDsFile, sec.NumUsers); err != nil {
		return nil, fmt.Errorf("load ncf %s: users: %w", dir, err)
	}
	if m.items, err = readIDs(dir, sec.ItemIDsFile, sec.NumItems); err != nil {
		return nil, fmt.Errorf("load ncf %s: items: %w", dir, err)
	}
	if m.popular, err = readPopular(dir, sec.PopularFile); err != nil {
		return nil, fmt.Errorf("load ncf %s: %w", dir, err)
	}
	if sec.ItemCategoriesFile != "" {
		if m.cats, err = readCategories(dir, sec.ItemCategoriesFile, sec.NumItems); err != nil {
			return nil, fmt.Errorf("load ncf %s: %w", dir, err)
		}
	}
	if sec.ItemVectorsFile != "" {
		m.dim = sec.ItemVectorDim
		if m.vectors, err = readVectors(dir, sec.ItemVectorsFile, sec.NumItems, sec.ItemVectorDim); err != nil {
			return nil, fmt.Errorf("load ncf %s: %w", dir, err)
		}
	}
	if a, ok := sec.Artifacts[checkpoint.RetrievalIndex]; ok {
		if m.index, err = readIndex(dir, a, sec); err != nil {
			return nil, fmt.Errorf("load ncf %s: %w", dir, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := m.openSessions(man, dir, opts); err != nil {
		return nil, fmt.Errorf("load ncf %s: %w", dir, err)
	}
	if m.text, err = openItemText(man, dir, opts); err != nil {
		_ = m.Close()
		return nil, fmt.Errorf("load ncf %s: %w", dir, err)
	}
	// score one user now, so that a graph whose logits do not cover every item
	// fails at load rather than on a request
	if _, err := m.ScoreAll(ctx, 0); err != nil {
		_ = m.Close()
		return nil, fmt.Errorf("load ncf %s: %w", dir, err)
	}
	return m, nil
}

func (m *Model) openSessions(man *checkpoint.Manifest, dir string, opts onnx.Options) error {
	var err error
	if m.predict, err = openChecked(man, dir, checkpoint.ModelFile, opts, predictIO()); err != nil {
		return err
	}
	if m.scoreAll, err = openChecked(man, dir, checkpoint.ScoreAllFile, opts, scoreAllIO()); err != nil {
		_ = m.predict.Close()
		return err
	}
	return nil
}

// contract is the inputs and outputs docs/checkpoint.md fixes for an ONNX file.
type contract struct{ in, out []onnx.IOInfo }

func predictIO() contract {
	return contract{[]onnx.IOInfo{
		{Name: "user", DType: onnx.Int64, Shape: []int64{onnx.Dynamic}},
		{Name: "item", DType: onnx.Int64, Shape: []int64{onnx.Dynamic}},
	},
		[]onnx.IOInfo{{Name: "logit", DType: onnx.Float32, Shape: []int64{onnx.Dynamic}}}}
}

func scoreAllIO() contract {
	return contract{[]onnx.IOInfo{{Name: "user", DType: onnx.Int64, Shape: []int64{1}}},
		[]onnx.IOInfo{{Name: "logits", DType: onnx.Float32, Shape: []int64{onnx.Dynamic}}}}
}

// openChecked opens file and checks it against the contract's io and the manifest's.
func openChecked(man *checkpoint.Manifest, dir, file string, opts onnx.Options, want contract) (*onnx.Session, error) {
	if _, ok := man.Files[file]; !ok {
		return nil, fmt.Errorf("manifest lists no %s", file)
	}
	s, err := onnx.Open(filepath.Join(dir, file), opts)
	if err != nil {
		return nil, err
	}
	err = onnx.Expect(s, want.in, want.out)
	if io, ok := man.ONNX[file]; ok && err == nil {
		err = onnx.Expect(s, specs(io.Inputs), specs(io.Outputs))
	}
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

func specs(ts []checkpoint.TensorSpec) []onnx.IOInfo {
	out := make([]onnx.IOInfo, len(ts))
	for i, t := range ts {
		out[i] = onnx.IOInfo{Name: t.Name, DType: onnx.DType(t.DType), Shape: t.Sizes()}
	}
	return out
}

// Close releases the ONNX sessions.
func (m *Model) Close() error {
	return errors.Join(m.predict.Close(), m.scoreAll.Close(), m.text.close())
}

// Loader binds opts to Load; the result is a modelstore.LoadFunc[*Model].
func Loader(opts onnx.Options) func(context.Context, *checkpoint.Manifest, string) (*Model, error) {
	return func(ctx context.Context, man *checkpoint.Manifest, dir string) (*Model, error) {
		return Load(ctx, man, dir, opts)
	}
}
