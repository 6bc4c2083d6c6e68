package reload

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/classify"
	"github.com/contentml/mlbundle/shared/onnx"
)

// ErrRejected marks an artifact that fails validation for a reason other than
// integrity, manifest or parity (those wrap the checkpoint errors).
var ErrRejected = errors.New("artifact rejected")

// Sessions holds the open ONNX sessions of one version by file name. It runs
// parity checks (checkpoint.Runner).
type Sessions map[string]*onnx.Session

var _ checkpoint.Runner = Sessions(nil)

// Run runs the session of file.
func (s Sessions) Run(ctx context.Context, file string, inputs []checkpoint.Tensor, outputs []string) ([]checkpoint.Tensor, error) {
	sess, ok := s[file]
	if !ok {
		return nil, fmt.Errorf("%w: parity names %s, which the manifest's onnx section does not list", ErrRejected, file)
	}
	return checkpoint.RunAs(sess.Run, inputs, outputs)
}

// Close closes every session.
func (s Sessions) Close() error {
	var errs []error
	for _, sess := range s {
		errs = append(errs, sess.Close())
	}
	return errors.Join(errs...)
}

// OpenSessions opens every ONNX file of the manifest's onnx section and checks
// its inputs and outputs against the manifest (names, dtypes, ranks, fixed
// sizes). On error the sessions opened so far are closed.
func OpenSessions(m *checkpoint.Manifest, dir string, opts onnx.Options) (Sessions, error) {
	s := Sessions{}
	for _, file := range sortedKeys(m.ONNX) {
		sess, err := onnx.Open(filepath.Join(dir, file), opts)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("%w: %s/%s: %v", ErrRejected, m.Kind, m.Version, err)
		}
		s[file] = sess
		io := m.ONNX[file]
		if err := onnx.Expect(sess, infos(io.Inputs), infos(io.Outputs)); err != nil {
			s.Close()
			return nil, fmt.Errorf("%w: %s/%s: %v", ErrRejected, m.Kind, m.Version, err)
		}
	}
	return s, nil
}

func infos(specs []checkpoint.TensorSpec) []onnx.IOInfo {
	out := make([]onnx.IOInfo, len(specs))
	for i, t := range specs {
		out[i] = onnx.IOInfo{Name: t.Name, DType: onnx.DType(t.DType), Shape: t.Sizes()}
	}
	return out
}

// Validator decides whether a downloaded, hash-verified version may serve.
type Validator interface {
	Validate(ctx context.Context, m *checkpoint.Manifest, dir string) error
}

// ONNXValidator opens the version's ONNX files, checks their io against the
// manifest and the kind's contract, and runs every check of parity.json. The
// classifier's text cases (text -> logits, tokenizer included) run through
// Texts, which defaults to the fp32 model of shared/classify.
type ONNXValidator struct {
	Options onnx.Options
	Texts   func(ctx context.Context, m *checkpoint.Manifest, dir string) (checkpoint.TextScorer, func() error, error)
}

// Validate implements Validator.
func (v ONNXValidator) Validate(ctx context.Context, m *checkpoint.Manifest, dir string) error {
	if err := checkKindIO(m); err != nil {
		return err
	}
	data, err := os.ReadFile(filepath.Join(dir, checkpoint.ParityFile))
	if err != nil {
		return fmt.Errorf("%w: %s/%s: %v", ErrRejected, m.Kind, m.Version, err)
	}
	parity, err := checkpoint.ParseParity(data)
	if err != nil {
		return fmt.Errorf("%s/%s: %w", m.Kind, m.Version, err)
	}
	sessions, err := OpenSessions(m, dir, v.Options)
	if err != nil {
		return err
	}
	defer sessions.Close()
	if err := checkOutputSizes(m, sessions, parity); err != nil {
		return err
	}
	if err := checkpoint.RunParity(ctx, sessions, parity); err != nil {
		return fmt.Errorf("%s/%s: %w", m.Kind, m.Version, err)
	}
	if len(parity.Texts) == 0 {
		return nil
	}
	texts := v.Texts
	if texts == nil {
		texts = classifierTexts(v.Options)
	}
	scorer, closeFn, err := texts(ctx, m, dir)
	if err != nil {
		return fmt.Errorf("%w: %s/%s: build text scorer: %v", ErrRejected, m.Kind, m.Version, err)
	}
	defer closeFn()
	if err := checkpoint.RunTextParity(ctx, scorer, parity); err != nil {
		return fmt.Errorf("%s/%s: %w", m.Kind, m.Version, err)
	}
	return nil
}

// classifierTexts scores parity texts with the fp32 classifier (the reference
// logits come from the fp32 PyTorch model).
func classifierTexts(opts onnx.Options) func(context.Context, *checkpoint.Manifest, string) (checkpoint.TextScorer, func() error, error) {
	return func(ctx context.Context, m *checkpoint.Manifest, dir string) (checkpoint.TextScorer, func() error, error) {
		if m.Kind != checkpoint.Classifier {
			return nil, nil, fmt.Errorf("parity texts in a %s checkpoint", m.Kind)
		}
		model, err := classify.Load(ctx, m, dir, classify.Options{FP32: true, IntraOpThreads: opts.IntraOpThreads})
		if err != nil {
			return nil, nil, err
		}
		return model, model.Close, nil
	}
}

// checkKindIO checks the manifest's onnx section against the contract of its
// kind: the ncf graphs take user/item ids and score_all yields num_items logits;
// the classifier's logits have one column per label.
func checkKindIO(m *checkpoint.Manifest) error {
	var problems []string
	want := func(file string, inputs, outputs []string) {
		io, ok := m.ONNX[file]
		if !ok {
			problems = append(problems, fmt.Sprintf("onnx section lacks %s", file))
			return
		}
		if got := specNames(io.Inputs); !slices.Equal(sortedCopy(got), sortedCopy(inputs)) {
			problems = append(problems, fmt.Sprintf("%s inputs are %v, want %v", file, got, inputs))
		}
		if got := specNames(io.Outputs); !slices.Contains(got, outputs[0]) {
			problems = append(problems, fmt.Sprintf("%s outputs are %v, want %v", file, got, outputs))
		}
	}
	switch m.Kind {
	case checkpoint.NCF:
		want(checkpoint.ModelFile, []string{"user", "item"}, []string{"logit"})
		if _, ok := m.ONNX[checkpoint.ScoreAllFile]; ok {
			want(checkpoint.ScoreAllFile, []string{"user"}, []string{"logits"})
			if d := lastDim(m.ONNX[checkpoint.ScoreAllFile].Outputs, "logits"); d >= 0 && d != int64(m.NCF.NumItems) {
				problems = append(problems, fmt.Sprintf("%s logits have %d entries, manifest has %d items", checkpoint.ScoreAllFile, d, m.NCF.NumItems))
			}
		}
	case checkpoint.Classifier:
		files := []string{checkpoint.ModelFile}
		if m.Classifier.Int8File != "" {
			files = append(files, m.Classifier.Int8File)
		}
		for _, f := range files {
			want(f, []string{"input_ids", "attention_mask", "token_type_ids"}, []string{"logits"})
			if d := lastDim(m.ONNX[f].Outputs, "logits"); d >= 0 && d != int64(len(m.Classifier.Labels)) {
				problems = append(problems, fmt.Sprintf("%s logits have %d columns, manifest has %d labels", f, d, len(m.Classifier.Labels)))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s/%s: %v", ErrRejected, m.Kind, m.Version, problems)
	}
	return nil
}

// checkOutputSizes checks the sizes the manifest leaves dynamic against the
// models and the parity references: one logit column per label, one score per item.
func checkOutputSizes(m *checkpoint.Manifest, sessions Sessions, parity *checkpoint.Parity) error {
	file, output, want := checkpoint.ScoreAllFile, "logits", 0
	switch m.Kind {
	case checkpoint.NCF:
		want = m.NCF.NumItems
	case checkpoint.Classifier:
		file, want = checkpoint.ModelFile, len(m.Classifier.Labels)
	}
	var problems []string
	if s, ok := sessions[file]; ok {
		for _, out := range s.Outputs() {
			if d := out.Shape; out.Name == output && len(d) > 0 && d[len(d)-1] >= 0 && d[len(d)-1] != int64(want) {
				problems = append(problems, fmt.Sprintf("%s output %s has %d entries, want %d", file, output, d[len(d)-1], want))
			}
		}
	}
	for i, c := range parity.Checks {
		if ref, ok := c.Outputs[output]; ok && c.File == file && len(ref.Shape) > 0 && ref.Shape[len(ref.Shape)-1] != int64(want) {
			problems = append(problems, fmt.Sprintf("parity check %d: %s reference has %d entries, want %d", i, output, ref.Shape[len(ref.Shape)-1], want))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s/%s: %v", ErrRejected, m.Kind, m.Version, problems)
	}
	return nil
}

func lastDim(specs []checkpoint.TensorSpec, name string) int64 {
	for _, t := range specs {
		if t.Name == name && len(t.Shape) > 0 {
			return t.Shape[len(t.Shape)-1].Size
		}
	}
	return -1
}

func specNames(specs []checkpoint.TensorSpec) []string {
	n := make([]string, len(specs))
	for i, t := range specs {
		n[i] = t.Name
	}
	return n
}

func sortedCopy(s []string) []string { c := slices.Clone(s); slices.Sort(c); return c }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
