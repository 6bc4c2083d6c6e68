package classify

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/onnx"
	"github.com/contentml/mlbundle/shared/tokenizer"
)

// Names of the classifier graph's inputs and output (docs/checkpoint.md).
const (
	inputIDs      = "input_ids"
	attentionMask = "attention_mask"
	tokenTypeIDs  = "token_type_ids"
	logitsOutput  = "logits"
)

// DefaultMaxBatch is the most texts one ONNX run takes unless Options say otherwise. At
// the model's 256 tokens, runs of 8 texts hold a third of the memory of runs of 32 (305
// vs 977 MiB peak for 64 texts of 16 KiB) and take 0.73x the CPU time (benchmarks in
// docs/reliability.md).
const DefaultMaxBatch = 8

// Options tune how a checkpoint is loaded and run.
type Options struct {
	// FP32 uses model.onnx even when the manifest offers an int8 model (which
	// is otherwise preferred: it is several times faster at a small cost in
	// accuracy, see the manifest's micro_f1_int8).
	FP32 bool
	// IntraOpThreads caps ONNX Runtime's threads per run; 0 means DefaultThreads.
	IntraOpThreads int
	// MaxBatch is the most texts one ONNX run takes; 0 means DefaultMaxBatch.
	MaxBatch int
	// CUDA asks ONNX Runtime for the GPU when there is one.
	CUDA bool
}

// session is the part of an ONNX session the classifier uses.
type session interface {
	Run(inputs []onnx.Tensor, outputs []string) ([]onnx.Tensor, error)
	Close() error
}

// Label is one taxonomy code of the classifier.
type Label struct {
	Code string
	Name string
}

// Model is a loaded classifier version. It is safe for concurrent use.
type Model struct {
	version    string
	file       string
	labels     []Label
	thresholds []float64
	tok        *tokenizer.Tokenizer
	sess       session
	maxBatch   int
}

// DefaultThreads is the ONNX Runtime intra-op thread count of a classifier when
// Options leave it at 0 (CLASSIFIER_THREADS unset). The classify Lambda has 2048
// MB, about 1.2 vCPU of compute, so one thread is what the deployed function
// gets; a second only waits or spins there. Batches of texts still run as one
// ONNX call.
const DefaultThreads = 1

// Loader returns a modelstore.LoadFunc-compatible function that loads the
// classifier version in dir with opts.
func Loader(opts Options) func(ctx context.Context, m *checkpoint.Manifest, dir string) (*Model, error) {
	return func(ctx context.Context, m *checkpoint.Manifest, dir string) (*Model, error) {
		return Load(ctx, m, dir, opts)
	}
}

// Load opens the classifier version in dir (already verified against m): the
// tokenizer from its vocabulary and settings, the int8 or fp32 ONNX model,
// whose inputs and outputs are checked against the contract and whose logits
// width must equal the label count.
func Load(ctx context.Context, m *checkpoint.Manifest, dir string, opts Options) (*Model, error) {
	if m.Kind != checkpoint.Classifier || m.Classifier == nil {
		return nil, fmt.Errorf("classify: version %s is a %q checkpoint, not a classifier", m.Version, m.Kind)
	}
	c := m.Classifier
	tok, err := tokenizer.Load(filepath.Join(dir, c.Tokenizer.VocabFile), TokenizerConfig(c))
	if err != nil {
		return nil, fmt.Errorf("classify: version %s tokenizer: %w", m.Version, err)
	}
	file := checkpoint.ModelFile
	if c.Int8File != "" && !opts.FP32 {
		file = c.Int8File
	}
	threads := opts.IntraOpThreads
	if threads == 0 {
		threads = DefaultThreads
	}
	sess, err := onnx.Open(filepath.Join(dir, file), onnx.Options{IntraOpThreads: threads, CUDA: opts.CUDA})
	if err != nil {
		return nil, fmt.Errorf("classify: version %s: %w", m.Version, err)
	}
	want := []onnx.IOInfo{
		{Name: inputIDs, DType: onnx.Int64, Shape: []int64{onnx.Dynamic, onnx.Dynamic}},
		{Name: attentionMask, DType: onnx.Int64, Shape: []int64{onnx.Dynamic, onnx.Dynamic}},
		{Name: tokenTypeIDs, DType: onnx.Int64, Shape: []int64{onnx.Dynamic, onnx.Dynamic}},
	}
	out := []onnx.IOInfo{{Name: logitsOutput, DType: onnx.Float32, Shape: []int64{onnx.Dynamic, int64(len(c.Labels))}}}
	if err := onnx.Expect(sess, want, out); err != nil {
		sess.Close()
		return nil, fmt.Errorf("classify: version %s: %w", m.Version, err)
	}
	model, err := newModel(m, file, tok, sess, opts)
	if err != nil {
		sess.Close()
		return nil, err
	}
	return model, nil
}

// TokenizerConfig maps a manifest's classifier section to tokenizer settings.
func TokenizerConfig(c *checkpoint.ClassifierSection) tokenizer.Config {
	return tokenizer.FromManifest(c.Tokenizer, c.MaxLength)
}

// newModel wires a model and runs one text through it, so that a graph whose
// logits do not match the labels fails at load rather than on a request.
func newModel(m *checkpoint.Manifest, file string, tok *tokenizer.Tokenizer, sess session, opts Options) (*Model, error) {
	c := m.Classifier
	if len(c.Labels) == 0 {
		return nil, fmt.Errorf("classify: version %s has no labels", m.Version)
	}
	if len(c.Thresholds) != len(c.Labels) {
		return nil, fmt.Errorf("classify: version %s has %d thresholds for %d labels", m.Version, len(c.Thresholds), len(c.Labels))
	}
	model := &Model{
		version:    m.Version,
		file:       file,
		labels:     make([]Label, len(c.Labels)),
		thresholds: c.Thresholds,
		tok:        tok,
		sess:       sess,
		maxBatch:   opts.MaxBatch,
	}
	if model.maxBatch <= 0 {
		model.maxBatch = DefaultMaxBatch
	}
	for i, l := range c.Labels {
		model.labels[i] = Label{Code: l.Code, Name: l.Name}
	}
	if _, err := model.Logits(context.Background(), []string{"warm up"}); err != nil {
		return nil, fmt.Errorf("classify: version %s (%s): %w", m.Version, file, err)
	}
	return model, nil
}

// Version is the checkpoint version the model was loaded from.
func (m *Model) Version() string { return m.version }

// File is the ONNX file in use (model.onnx or the int8 one).
func (m *Model) File() string { return m.file }

// Labels returns the labels in logit order.
func (m *Model) Labels() []Label { return m.labels }

// Tokenizer returns the model's tokenizer.
func (m *Model) Tokenizer() *tokenizer.Tokenizer { return m.tok }

// Close releases the ONNX session.
func (m *Model) Close() error { return m.sess.Close() }

// errWidth reports logits that do not match the label count.
var errWidth = errors.New("logits do not match the labels")

// Logits returns the raw logits of each text, [len(texts)][label count]. It
// implements checkpoint.TextScorer (the end-to-end parity check).
func (m *Model) Logits(ctx context.Context, texts []string) ([][]float32, error) {
	logits, _, err := m.score(ctx, texts)
	return logits, err
}

// score returns the logits of each text and whether it was truncated.
func (m *Model) score(ctx context.Context, texts []string) ([][]float32, []bool, error) {
	encs := make([]tokenizer.Encoding, len(texts))
	truncated := make([]bool, len(texts))
	for i, t := range texts {
		encs[i] = m.tok.Encode(t)
		truncated[i] = encs[i].Truncated
	}
	out := make([][]float32, len(texts))
	for _, chunk := range chunks(encs, m.maxBatch) {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		if err := m.runChunk(encs, chunk, out); err != nil {
			return nil, nil, err
		}
	}
	return out, truncated, nil
}

// runChunk runs the texts whose indexes are in idx, padded to the longest.
func (m *Model) runChunk(encs []tokenizer.Encoding, idx []int, out [][]float32) error {
	cols := 0
	for _, i := range idx {
		cols = max(cols, len(encs[i].IDs))
	}
	rows := len(idx)
	ids := make([]int64, rows*cols)
	mask := make([]int64, rows*cols)
	types := make([]int64, rows*cols)
	pad := m.tok.PadID()
	for r, i := range idx {
		row := ids[r*cols : (r+1)*cols]
		n := copy(row, encs[i].IDs)
		for j := n; j < cols; j++ {
			row[j] = pad
		}
		for j := range n {
			mask[r*cols+j] = 1
		}
	}
	shape := []int64{int64(rows), int64(cols)}
	res, err := m.sess.Run([]onnx.Tensor{
		{Name: inputIDs, Shape: shape, Int64: ids},
		{Name: attentionMask, Shape: shape, Int64: mask},
		{Name: tokenTypeIDs, Shape: shape, Int64: types},
	}, []string{logitsOutput})
	if err != nil {
		return err
	}
	logits := res[0].Float32
	n := len(m.labels)
	if len(res[0].Shape) != 2 || res[0].Shape[0] != int64(rows) || res[0].Shape[1] != int64(n) || len(logits) != rows*n {
		return fmt.Errorf("%w: model gave logits of shape %v for %d texts, want [%d %d] (%d labels)", errWidth, res[0].Shape, rows, rows, n, n)
	}
	for r, i := range idx {
		out[i] = logits[r*n : (r+1)*n : (r+1)*n]
	}
	return nil
}

// chunks orders texts by token count and cuts them into runs of at most size,
// so that each run is padded to a length close to all its members'.
func chunks(encs []tokenizer.Encoding, size int) [][]int {
	order := make([]int, len(encs))
	for i := range order {
		order[i] = i
	}
	if len(encs) > size {
		slices.SortStableFunc(order, func(a, b int) int { return len(encs[a].IDs) - len(encs[b].IDs) })
	}
	var out [][]int
	for len(order) > 0 {
		n := min(size, len(order))
		out = append(out, order[:n])
		order = order[n:]
	}
	return out
}
