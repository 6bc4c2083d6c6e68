package ncf

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/ivf"
)

// ErrNoIndex marks a retrieval on a model whose checkpoint carries no retrieval index.
var ErrNoIndex = errors.New("checkpoint has no retrieval index")

// readIndex reads the retrieval_index artifact a of the checkpoint in dir.
func readIndex(dir string, a checkpoint.Artifact, sec *checkpoint.NCFSection) (*ivf.Index, error) {
	if a.Format != ivf.Format || a.FormatVersion != ivf.FormatVersion {
		return nil, fmt.Errorf("artifact %s is %s version %d; this server reads %s version %d",
			checkpoint.RetrievalIndex, a.Format, a.FormatVersion, ivf.Format, ivf.FormatVersion)
	}
	if err := checkpoint.CheckFileName(a.File); err != nil {
		return nil, err
	}
	return ivf.Read(filepath.Join(dir, a.File), sec.NumUsers, sec.NumItems, a.Dim)
}

// HasIndex reports whether the checkpoint carries a retrieval index: recommend then
// re-ranks the index's candidates instead of scoring every item.
func (m *Model) HasIndex() bool { return m.index != nil }

// Retrieve returns candidate items for user from the retrieval index, best retrieval
// score first, leaving out the items skip marks (skip may be nil). exact reports that
// the retrieval order is the model's order (a dot-product model), so that the first
// candidates are the model's best ones.
func (m *Model) Retrieve(user int, p ivf.Probe, skip func(item int) bool) (items []int, exact bool, err error) {
	if m.index == nil {
		return nil, false, ErrNoIndex
	}
	if err := m.checkIndex(int64(user), 0); err != nil {
		return nil, false, fmt.Errorf("retrieve: %w", err)
	}
	cands, _, err := m.index.Search(user, p, skip)
	if err != nil {
		return nil, false, err
	}
	items = make([]int, len(cands))
	for i, c := range cands {
		items[i] = c.Item
	}
	return items, m.index.Exact(), nil
}
