package ncf

import (
	"context"
	"fmt"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/onnx"
)

// Predict returns the logit of each (user, item) pair; the slices have equal length.
func (m *Model) Predict(ctx context.Context, users, items []int64) ([]float32, error) {
	if len(users) != len(items) {
		return nil, fmt.Errorf("predict: %d users for %d items", len(users), len(items))
	}
	if len(users) == 0 {
		return []float32{}, nil
	}
	for i := range users {
		if err := m.checkIndex(users[i], items[i]); err != nil {
			return nil, fmt.Errorf("predict pair %d: %w", i, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := int64(len(users))
	out, err := m.predict.Run([]onnx.Tensor{
		{Name: "user", Shape: []int64{n}, Int64: users},
		{Name: "item", Shape: []int64{n}, Int64: items},
	}, []string{"logit"})
	if err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	if len(out[0].Float32) != len(users) {
		return nil, fmt.Errorf("predict: model returned %d logits for %d pairs", len(out[0].Float32), n)
	}
	return out[0].Float32, nil
}

// ScoreAll returns the logit of every item for one user, indexed by item.
func (m *Model) ScoreAll(ctx context.Context, user int64) ([]float32, error) {
	if err := m.checkIndex(user, 0); err != nil {
		return nil, fmt.Errorf("score all: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out, err := m.scoreAll.Run([]onnx.Tensor{{Name: "user", Shape: []int64{1}, Int64: []int64{user}}},
		[]string{"logits"})
	if err != nil {
		return nil, fmt.Errorf("score all: %w", err)
	}
	if got := len(out[0].Float32); got != m.NumItems() {
		return nil, fmt.Errorf("score all: model returned %d logits, the checkpoint has %d items", got, m.NumItems())
	}
	return out[0].Float32, nil
}

func (m *Model) checkIndex(user, item int64) error {
	if user < 0 || user >= int64(m.NumUsers()) {
		return fmt.Errorf("%w: user %d (model has %d)", ErrIndex, user, m.NumUsers())
	}
	if item < 0 || item >= int64(m.NumItems()) {
		return fmt.Errorf("%w: item %d (model has %d)", ErrIndex, item, m.NumItems())
	}
	return nil
}

// Run runs one ONNX file of the checkpoint by name; it makes a Model a
// checkpoint.Runner for parity checks.
func (m *Model) Run(ctx context.Context, file string, inputs []checkpoint.Tensor, outputs []string) ([]checkpoint.Tensor, error) {
	var s *onnx.Session
	switch file {
	case checkpoint.ModelFile:
		s = m.predict
	case checkpoint.ScoreAllFile:
		s = m.scoreAll
	case m.textFile(0):
		s = m.text.place
	case m.textFile(1):
		s = m.text.score
	default:
		return nil, fmt.Errorf("ncf checkpoint has no ONNX file %q", file)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return checkpoint.RunAs(s.Run, inputs, outputs)
}

// textFile is the name of the item_text graph i (0 place, 1 score); without them a
// name no file has.
func (m *Model) textFile(i int) string {
	if m.text == nil {
		return "\x00none"
	}
	return m.text.files[i]
}
