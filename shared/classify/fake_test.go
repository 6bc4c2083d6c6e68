package classify

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/modelstore"
	"github.com/contentml/mlbundle/shared/onnx"
	"github.com/contentml/mlbundle/shared/tokenizer"
)

// fakeVocab is the vocabulary of the fake model's tokenizer.
var fakeVocab = []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "oil", "wheat", "gold", "price", "rose", "fell"}

// fakeSession stands in for the ONNX graph: the logit of label j is the
// number of times token id 5+j occurs in the row, times 4, minus 2 (so a
// label whose word is absent scores sigmoid(-2) = 0.12 and one present once
// sigmoid(2) = 0.88). It records the shape of every run.
type fakeSession struct {
	labels int
	width  int // logits width it returns; labels when 0
	mu     sync.Mutex
	shapes [][]int64
	closed bool
}

func (f *fakeSession) Run(inputs []onnx.Tensor, outputs []string) ([]onnx.Tensor, error) {
	var ids, mask []int64
	var shape []int64
	for _, in := range inputs {
		switch in.Name {
		case inputIDs:
			ids, shape = in.Int64, in.Shape
		case attentionMask:
			mask = in.Int64
		}
	}
	f.mu.Lock()
	f.shapes = append(f.shapes, shape)
	f.mu.Unlock()
	rows, cols := int(shape[0]), int(shape[1])
	width := f.labels
	if f.width != 0 {
		width = f.width
	}
	out := make([]float32, rows*width)
	for r := range rows {
		for j := range width {
			count := 0
			for c := range cols {
				if mask[r*cols+c] == 1 && ids[r*cols+c] == int64(5+j) {
					count++
				}
			}
			out[r*width+j] = float32(4*count - 2)
		}
	}
	return []onnx.Tensor{{Name: logitsOutput, Shape: []int64{int64(rows), int64(width)}, Float32: out}}, nil
}

func (f *fakeSession) Close() error { f.closed = true; return nil }

// fakeManifest has labels for the vocabulary words oil, wheat, gold.
func fakeManifest(thresholds []float64) *checkpoint.Manifest {
	return &checkpoint.Manifest{
		Kind: checkpoint.Classifier, Version: "v-fake",
		Classifier: &checkpoint.ClassifierSection{
			Labels: []checkpoint.Label{
				{Code: "crude", Name: "Crude oil"}, {Code: "wheat", Name: "Wheat"}, {Code: "gold", Name: "Gold"},
			},
			Thresholds: thresholds,
			MaxLength:  16,
		},
	}
}

func fakeModel(t testing.TB, maxBatch int) (*Model, *fakeSession) {
	t.Helper()
	tok, err := tokenizer.New(fakeVocab, tokenizer.DefaultConfig(16))
	if err != nil {
		t.Fatal(err)
	}
	sess := &fakeSession{labels: 3}
	m, err := newModel(fakeManifest([]float64{0.5, 0.5, 0.95}), "model.onnx", tok, sess, Options{MaxBatch: maxBatch})
	if err != nil {
		t.Fatal(err)
	}
	sess.shapes = nil // forget the warm-up run
	return m, sess
}

// fakeModels lends a fixed model, or fails with err.
type fakeModels struct {
	model *Model
	err   error
}

func (f fakeModels) Acquire(context.Context) (*modelstore.Model[*Model], error) {
	if f.err != nil {
		return nil, f.err
	}
	return &modelstore.Model[*Model]{Value: f.model}, nil
}

func (f fakeModels) String() string { return fmt.Sprintf("fakeModels(%v)", f.err) }
