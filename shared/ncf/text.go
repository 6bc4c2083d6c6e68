package ncf

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/onnx"
	"github.com/contentml/mlbundle/shared/tokenizer"
)

// ErrNoItemText marks a checkpoint without the graphs that place items by text.
var ErrNoItemText = errors.New("the model cannot place items by text")

// maxPlaceBatch is the most texts one run of the item-text graph takes.
const maxPlaceBatch = 8

// itemText holds the graphs of the manifest's item_text section: the tokenizer and the
// text -> item embedding graph, and the graph that scores item embeddings for a user.
type itemText struct {
	tok   *tokenizer.Tokenizer
	place *onnx.Session
	score *onnx.Session
	dim   int
	files [2]string // place, score
}

func itemTextIO(dim int) (place, score contract) {
	seq := []int64{onnx.Dynamic, onnx.Dynamic}
	place = contract{[]onnx.IOInfo{
		{Name: "input_ids", DType: onnx.Int64, Shape: seq},
		{Name: "attention_mask", DType: onnx.Int64, Shape: seq},
		{Name: "token_type_ids", DType: onnx.Int64, Shape: seq},
	}, []onnx.IOInfo{{Name: "item_embedding", DType: onnx.Float32, Shape: []int64{onnx.Dynamic, int64(dim)}}}}
	score = contract{[]onnx.IOInfo{
		{Name: "user", DType: onnx.Int64, Shape: []int64{1}},
		{Name: "item_embedding", DType: onnx.Float32, Shape: []int64{onnx.Dynamic, int64(dim)}},
	}, []onnx.IOInfo{{Name: "logits", DType: onnx.Float32, Shape: []int64{onnx.Dynamic}}}}
	return place, score
}

// openItemText opens the item_text graphs of man (nil when the manifest has none).
func openItemText(man *checkpoint.Manifest, dir string, opts onnx.Options) (*itemText, error) {
	sec := man.NCF.ItemText
	if sec == nil {
		return nil, nil
	}
	tok, err := tokenizer.Load(filepath.Join(dir, sec.Tokenizer.VocabFile), tokenizer.FromManifest(sec.Tokenizer, sec.MaxLength))
	if err != nil {
		return nil, fmt.Errorf("item_text tokenizer: %w", err)
	}
	placeIO, scoreIO := itemTextIO(sec.EmbeddingDim)
	t := &itemText{tok: tok, dim: sec.EmbeddingDim, files: [2]string{sec.File, sec.ScoreFile}}
	if t.place, err = openChecked(man, dir, sec.File, opts, placeIO); err != nil {
		return nil, err
	}
	if t.score, err = openChecked(man, dir, sec.ScoreFile, opts, scoreIO); err != nil {
		_ = t.place.Close()
		return nil, err
	}
	return t, nil
}

func (t *itemText) close() error {
	if t == nil {
		return nil
	}
	return errors.Join(t.place.Close(), t.score.Close())
}

// PlacesText reports whether the checkpoint can place items by text.
func (m *Model) PlacesText() bool { return m.text != nil }

// ItemEmbeddingDim is the length of the raw item embeddings PlaceText returns and
// ScoreItems takes (0 when the checkpoint cannot place items by text).
func (m *Model) ItemEmbeddingDim() int {
	if m.text == nil {
		return 0
	}
	return m.text.dim
}

// PlaceText returns the raw item embedding of each text (title and description of a new
// item): where the model would have put an item with that text. Texts longer than the
// section's max_length tokens are truncated.
func (m *Model) PlaceText(ctx context.Context, texts []string) ([][]float32, error) {
	if m.text == nil {
		return nil, ErrNoItemText
	}
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += maxPlaceBatch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		got, err := m.text.run(texts[start:min(len(texts), start+maxPlaceBatch)])
		if err != nil {
			return nil, fmt.Errorf("place text: %w", err)
		}
		out = append(out, got...)
	}
	return out, nil
}

func (t *itemText) run(texts []string) ([][]float32, error) {
	encs := make([]tokenizer.Encoding, len(texts))
	cols := 0
	for i, s := range texts {
		encs[i] = t.tok.Encode(s)
		cols = max(cols, len(encs[i].IDs))
	}
	rows := len(texts)
	ids, mask := make([]int64, rows*cols), make([]int64, rows*cols)
	for r, e := range encs {
		for j := range cols {
			ids[r*cols+j] = t.tok.PadID()
		}
		copy(ids[r*cols:], e.IDs)
		for j := range e.IDs {
			mask[r*cols+j] = 1
		}
	}
	shape := []int64{int64(rows), int64(cols)}
	res, err := t.place.Run([]onnx.Tensor{
		{Name: "input_ids", Shape: shape, Int64: ids},
		{Name: "attention_mask", Shape: shape, Int64: mask},
		{Name: "token_type_ids", Shape: shape, Int64: make([]int64, rows*cols)},
	}, []string{"item_embedding"})
	if err != nil {
		return nil, err
	}
	v := res[0].Float32
	if len(v) != rows*t.dim {
		return nil, fmt.Errorf("graph gave %d values for %d texts of %d", len(v), rows, t.dim)
	}
	out := make([][]float32, rows)
	for r := range out {
		out[r] = v[r*t.dim : (r+1)*t.dim : (r+1)*t.dim]
	}
	return out, nil
}

// ScoreItems returns the logit of each raw item embedding (PlaceText's rows, each of
// ItemEmbeddingDim values) for one user: for a trained item's embedding it equals
// Predict's logit.
func (m *Model) ScoreItems(ctx context.Context, user int64, items [][]float32) ([]float32, error) {
	if m.text == nil {
		return nil, ErrNoItemText
	}
	if err := m.checkIndex(user, 0); err != nil {
		return nil, fmt.Errorf("score items: %w", err)
	}
	if len(items) == 0 {
		return []float32{}, nil
	}
	flat := make([]float32, 0, len(items)*m.text.dim)
	for i, v := range items {
		if len(v) != m.text.dim {
			return nil, fmt.Errorf("score items: embedding %d has %d values, want %d", i, len(v), m.text.dim)
		}
		flat = append(flat, v...)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res, err := m.text.score.Run([]onnx.Tensor{
		{Name: "user", Shape: []int64{1}, Int64: []int64{user}},
		{Name: "item_embedding", Shape: []int64{int64(len(items)), int64(m.text.dim)}, Float32: flat},
	}, []string{"logits"})
	if err != nil {
		return nil, fmt.Errorf("score items: %w", err)
	}
	if len(res[0].Float32) != len(items) {
		return nil, fmt.Errorf("score items: graph gave %d logits for %d items", len(res[0].Float32), len(items))
	}
	return res[0].Float32, nil
}
