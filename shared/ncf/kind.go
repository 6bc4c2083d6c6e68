package ncf

import (
	"context"
	"fmt"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/modelstore"
	"github.com/contentml/mlbundle/shared/onnx"
)

// Kind is the ncf model kind of docs/checkpoint.md, defined once: serving loads
// it with Load (id maps, popular list, item vectors, retrieval index and every graph,
// each checked against its contract), fetches every file but the training ones, and a
// version proves itself by loading exactly so and reproducing parity.json on every
// graph (with an item_text section also on its two graphs) and the retrieval index.
func Kind(opts onnx.Options) modelstore.Kind[*Model] {
	return modelstore.Kind[*Model]{
		Name:  checkpoint.NCF,
		Load:  Loader(opts),
		Close: (*Model).Close,
		Verify: func(ctx context.Context, m *checkpoint.Manifest, dir string) error {
			return verify(ctx, m, dir, opts)
		},
	}
}

func verify(ctx context.Context, man *checkpoint.Manifest, dir string, opts onnx.Options) error {
	p, err := checkpoint.ReadParity(dir)
	if err != nil {
		return err
	}
	m, err := Load(ctx, man, dir, opts)
	if err != nil {
		return fmt.Errorf("%w: %w", checkpoint.ErrUnloadable, err)
	}
	defer m.Close()
	files := []string{checkpoint.ModelFile, checkpoint.ScoreAllFile}
	if t := man.NCF.ItemText; t != nil {
		files = append(files, t.File, t.ScoreFile)
	}
	if err := p.Covers(files...); err != nil {
		return err
	}
	if err := checkpoint.RunParity(ctx, m, p); err != nil {
		return err
	}
	return m.checkRetrieval(p)
}

// checkRetrieval requires a checkpoint with a retrieval index to carry retrieval cases
// in parity.json, and the index to reproduce them.
func (m *Model) checkRetrieval(p *checkpoint.Parity) error {
	if m.index == nil {
		return nil
	}
	if len(p.Retrieval) == 0 {
		return fmt.Errorf("%w: parity.json has no retrieval case for the retrieval index", checkpoint.ErrParity)
	}
	return m.index.CheckParity(p.Retrieval)
}
