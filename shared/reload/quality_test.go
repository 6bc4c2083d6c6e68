package reload_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/checkpoint/checkpointtest"
	"github.com/contentml/mlbundle/shared/reload"
)

func TestCheckQuality(t *testing.T) {
	good := map[string]float64{"validation_ndcg@10": 0.4, "popularity_validation_ndcg@10": 0.2,
		"validation_full_ndcg@10": 0.1, "popularity_validation_full_ndcg@10": 0.05}
	with := func(k string, v float64) map[string]float64 {
		m := map[string]float64{}
		for key, val := range good {
			m[key] = val
		}
		m[k] = v
		return m
	}
	without := func(k string) map[string]float64 {
		m := with(k, 0)
		delete(m, k)
		return m
	}
	tests := []struct {
		name    string
		kind    checkpoint.Kind
		metrics map[string]float64
		want    string // "" = passes
	}{
		{"better on both", checkpoint.NCF, good, ""},
		{"sampled equal to popularity", checkpoint.NCF, with("validation_ndcg@10", 0.2), "validation_ndcg@10 0.2000 is not above"},
		{"full below popularity", checkpoint.NCF, with("validation_full_ndcg@10", 0.01), "validation_full_ndcg@10 0.0100 is not above"},
		{"baseline missing", checkpoint.NCF, without("popularity_validation_full_ndcg@10"), "lack validation_full_ndcg@10 or popularity_"},
		{"model metric missing", checkpoint.NCF, without("validation_ndcg@10"), "lack validation_ndcg@10"},
		{"no metrics at all", checkpoint.NCF, nil, "lack validation_ndcg@10"},
		{"classifier is not gated", checkpoint.Classifier, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := reload.CheckQuality(&checkpoint.Manifest{Kind: tt.kind, Version: "v9", Metrics: tt.metrics})
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("CheckQuality = %v, want nil", err)
			case tt.want != "" && (!errors.Is(err, reload.ErrQuality) || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("CheckQuality = %v, want ErrQuality containing %q", err, tt.want)
			}
		})
	}
}

// The operator's override promotes a version below popularity, with a warning.
func TestQualityGateOverride(t *testing.T) {
	initORT(t)
	r := newRig(t)
	r.h.AllowBelowPopularity = true
	c := checkpointtest.NCF("v1", t0.Add(time.Hour))
	c.Manifest.Metrics["validation_ndcg@10"] = 0.1 // below popularity's 0.2
	res, err := r.h.Process(context.Background(), bucket, r.put(t, c))
	if err != nil || res.Outcome != reload.Promoted {
		t.Fatalf("Process = %+v, %v; want promoted under the override", res, err)
	}
	if !strings.Contains(r.log.String(), "quality gate overridden") {
		t.Errorf("want the override logged, log:\n%s", r.log)
	}
}
