package classify

import (
	"context"
	"errors"
	"fmt"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/modelstore"
)

// Kind is the classifier model kind of docs/checkpoint.md, defined once: serving
// loads it with Load (tokenizer and the int8 or fp32 graph, checked against its
// contract and the label count) and does not fetch the graph it does not run nor
// the tokenizer cases; a version proves itself by loading every variant serving
// may run exactly so, reproducing parity.json's checks on each graph and its text
// cases (tokenizer and fp32 graph end to end) on the fp32 model.
func Kind(opts Options) modelstore.Kind[*Model] {
	return modelstore.Kind[*Model]{
		Name:  checkpoint.Classifier,
		Load:  Loader(opts),
		Close: (*Model).Close,
		Skip:  skip(opts.FP32),
		Verify: func(ctx context.Context, m *checkpoint.Manifest, dir string) error {
			return verify(ctx, m, dir, opts)
		},
	}
}

// skip leaves out what a server never reads: the tokenizer cases, and the fp32
// model.onnx of a classifier that offers an int8 model when the int8 one runs (a
// MiniLM download shrinks from about 113 MB to 23 MB).
func skip(fp32 bool) modelstore.SkipFunc {
	return func(m *checkpoint.Manifest, name string) bool {
		c := m.Classifier
		if c == nil {
			return false
		}
		return name == c.Tokenizer.CasesFile && name != "" || !fp32 && c.Int8File != "" && name == checkpoint.ModelFile
	}
}

func verify(ctx context.Context, man *checkpoint.Manifest, dir string, opts Options) error {
	p, err := checkpoint.ReadParity(dir)
	if err != nil {
		return err
	}
	fp32 := opts
	fp32.FP32 = true
	variants := []Options{fp32}
	if man.Classifier != nil && man.Classifier.Int8File != "" {
		int8 := opts
		int8.FP32 = false
		variants = append(variants, int8)
	}
	var models byFile
	defer func() {
		for _, m := range models {
			_ = m.Close()
		}
	}()
	for _, o := range variants {
		m, err := Load(ctx, man, dir, o)
		if err != nil {
			return fmt.Errorf("%w: %w", checkpoint.ErrUnloadable, err)
		}
		models = append(models, m)
	}
	if len(p.Texts) == 0 {
		return fmt.Errorf("%w: parity.json has no texts: the tokenizer and the graph are unproven end to end", checkpoint.ErrParity)
	}
	if err := p.Covers(models.files()...); err != nil {
		return err
	}
	return errors.Join(checkpoint.RunParity(ctx, models, p), checkpoint.RunTextParity(ctx, models[0], p))
}

// byFile runs parity checks on the loaded variant whose graph a check names.
type byFile []*Model

func (b byFile) files() []string {
	f := make([]string, len(b))
	for i, m := range b {
		f[i] = m.File()
	}
	return f
}

// Run implements checkpoint.Runner.
func (b byFile) Run(ctx context.Context, file string, inputs []checkpoint.Tensor, outputs []string) ([]checkpoint.Tensor, error) {
	for _, m := range b {
		if m.File() == file {
			return m.Run(ctx, inputs, outputs)
		}
	}
	return nil, fmt.Errorf("%w: parity.json checks %s, which the classifier does not run", checkpoint.ErrParity, file)
}

// Run runs the model's graph on raw tensors (a parity check of File).
func (m *Model) Run(ctx context.Context, inputs []checkpoint.Tensor, outputs []string) ([]checkpoint.Tensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return checkpoint.RunAs(m.sess.Run, inputs, outputs)
}
