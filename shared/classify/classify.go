package classify

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// Query tunes which labels Classify returns.
type Query struct {
	// TopK keeps at most this many labels per text; 0 keeps all that pass.
	TopK int
	// Threshold, when set, replaces every per-label threshold.
	Threshold *float64
}

// Scored is one label chosen for a text.
type Scored struct {
	Code  string  `json:"code"`
	Name  string  `json:"name"`
	Score float64 `json:"score"`
}

// Result is the answer for one text.
type Result struct {
	// Labels passed their threshold, highest score first.
	Labels []Scored `json:"labels"`
	// Truncated reports that the text was longer than the model's maximum
	// length and only its beginning was read.
	Truncated bool `json:"truncated"`
}

// Classify labels each text (see the package documentation for the
// selection rules). TopK must be within 0..label count and Threshold within
// 0..1.
func (m *Model) Classify(ctx context.Context, texts []string, q Query) ([]Result, error) {
	if q.TopK < 0 || q.TopK > len(m.labels) {
		return nil, fmt.Errorf("classify: top_k %d outside 1..%d", q.TopK, len(m.labels))
	}
	if q.Threshold != nil && !(*q.Threshold >= 0 && *q.Threshold <= 1) {
		return nil, fmt.Errorf("classify: threshold %v outside 0..1", *q.Threshold)
	}
	logits, truncated, err := m.score(ctx, texts)
	if err != nil {
		return nil, fmt.Errorf("classify %d texts: %w", len(texts), err)
	}
	results := make([]Result, len(texts))
	for i, row := range logits {
		results[i] = Result{Labels: m.choose(row, q), Truncated: truncated[i]}
	}
	return results, nil
}

// choose applies the thresholds, sorts by score and cuts at TopK.
func (m *Model) choose(logits []float32, q Query) []Scored {
	out := []Scored{}
	for j, z := range logits {
		score := sigmoid(float64(z))
		threshold := m.thresholds[j]
		if q.Threshold != nil {
			threshold = *q.Threshold
		}
		if score >= threshold {
			out = append(out, Scored{Code: m.labels[j].Code, Name: m.labels[j].Name, Score: score})
		}
	}
	slices.SortStableFunc(out, func(a, b Scored) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	if q.TopK > 0 && len(out) > q.TopK {
		out = out[:q.TopK]
	}
	return out
}

// sigmoid is the logistic function, stable for large |z|.
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}
