package ncf

import (
	"context"
	"fmt"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/modelstore"
	"github.com/contentml/mlbundle/shared/onnx"
)

// Kind is the ncf model kind of docs/checkpoint.md, defined once: serving loads
// it with Load (id maps, popular list, item vectors and both graphs, each checked
// against its contract), fetches every file but the training ones, and a version
// proves itself by loading exactly so and reproducing parity.json on both graphs.
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
	if err := p.Covers(checkpoint.ModelFile, checkpoint.ScoreAllFile); err != nil {
		return err
	}
	return checkpoint.RunParity(ctx, m, p)
}
