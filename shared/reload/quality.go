package reload

import (
	"errors"
	"fmt"

	"github.com/contentml/mlbundle/shared/checkpoint"
)

// ErrQuality marks an ncf version whose validation metrics in the manifest do not
// beat its own popularity baseline (or are missing), so it cannot show that it
// recommends better than the fallback it would replace.
var ErrQuality = errors.New("quality gate")

// QualityMetrics are the manifest metrics the gate compares: each must be present
// as "<name>" (the model on the validation part of its split) and as
// "popularity_<name>" (the popularity baseline on the same part), and the model must
// be strictly better on every one (sampled and full-ranking NDCG@10; training writes
// both, training/README.md "NCF training").
var QualityMetrics = []string{"validation_ndcg@10", "validation_full_ndcg@10"}

// CheckQuality returns nil when m is not an ncf manifest or its model beats its
// popularity baseline on every QualityMetrics entry, else an error wrapping
// ErrQuality that names the first metric that fails and both values.
func CheckQuality(m *checkpoint.Manifest) error {
	if m.Kind != checkpoint.NCF {
		return nil
	}
	for _, name := range QualityMetrics {
		model, ok := m.Metrics[name]
		pop, okPop := m.Metrics["popularity_"+name]
		switch {
		case !ok || !okPop:
			return fmt.Errorf("%w: %s/%s: manifest metrics lack %s or popularity_%s, so the version cannot show it beats popularity",
				ErrQuality, m.Kind, m.Version, name, name)
		case !(model > pop):
			return fmt.Errorf("%w: %s/%s: %s %.4f is not above the popularity baseline's %.4f",
				ErrQuality, m.Kind, m.Version, name, model, pop)
		}
	}
	return nil
}
