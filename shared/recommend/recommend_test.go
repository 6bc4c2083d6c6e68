package recommend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"testing"

	"github.com/contentml/mlbundle/shared/interactions"
	"github.com/contentml/mlbundle/shared/metrics"
)

func ids(items []Item) []string {
	out := make([]string, len(items))
	for i, x := range items {
		out[i] = x.ItemID
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestRecommendStrategies(t *testing.T) {
	store := &memStore{
		seen: map[string]map[string]struct{}{
			"u0":    set("i5", "i2"),
			"knn":   set("i0", "gone"),  // one item the model knows, one it does not
			"stale": set("gone", "old"), // nothing the model knows
			"fan":   set("i4"),
		},
		// "fresh" is not in the model's catalogue: it never ranks, whatever its count.
		top: []interactions.ItemCount{{ItemID: "fresh", Count: 80}, {ItemID: "i4", Count: 60}, {ItemID: "i1", Count: 10}},
	}
	cases := []struct {
		name     string
		user     string
		k        int
		exclude  bool
		model    func(*fakeModel)
		want     []string
		strategy string
		cold     bool
		conf     float64
	}{
		{"ncf excludes seen", "u0", 3, true, nil, []string{"i4", "i3", "i1"}, StrategyNCF, false, ncfConfidence(2)},
		{"ncf keeps seen when asked", "u0", 3, false, nil, []string{"i5", "i4", "i3"}, StrategyNCF, false, ncfConfidence(2)},
		{"ncf without history", "u1", 2, true, nil, []string{"i0", "i1"}, StrategyNCF, false, 0.5},
		// knn saw i0 (0 degrees): i1 (30) then i2 (60) are the nearest.
		{"item knn", "knn", 2, true, nil, []string{"i1", "i2"}, StrategyItemKNN, true, knnConfidence(1, 2)},
		{"item knn keeps seen when asked", "knn", 2, false, nil, []string{"i0", "i1"}, StrategyItemKNN, true, knnConfidence(1, 2)},
		// live counts of known items merge with the checkpoint's (per item the larger):
		// i4 60, i3 50, i1 30, i0 20. Confidence is 0.25 x the first item's score.
		{"popular merges live counts", "stale", 3, true, nil, []string{"i4", "i3", "i1"}, StrategyPopular, true, 0.25},
		{"popular for a new user", "nobody", 10, true, nil, []string{"i4", "i3", "i1", "i0"}, StrategyPopular, true, 0.25},
		{"no vectors: popular", "knn", 2, true, func(m *fakeModel) { m.vectors = nil }, []string{"i4", "i3"}, StrategyPopular, true, 0.25},
		{"popular after the top item was seen", "fan", 2, true, func(m *fakeModel) { m.vectors = nil }, []string{"i3", "i1"}, StrategyPopular, true, 0.25 * 50 / 60},
	}
	for _, tc := range cases {
		for _, overlap := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s overlap=%v", tc.name, overlap), func(t *testing.T) {
				m := newFake()
				if tc.model != nil {
					tc.model(m)
				}
				models := &fixedModels{m: m}
				svc := New(models, store, nil, OverlapReads(overlap))
				res, err := svc.Recommend(context.Background(), tc.user, tc.k, tc.exclude)
				if err != nil {
					t.Fatal(err)
				}
				if got := strings.Join(ids(res.Items), ","); got != strings.Join(tc.want, ",") {
					t.Errorf("items = %s, want %s", got, strings.Join(tc.want, ","))
				}
				if res.Strategy != tc.strategy || res.ColdStart != tc.cold {
					t.Errorf("strategy %s cold %v, want %s %v", res.Strategy, res.ColdStart, tc.strategy, tc.cold)
				}
				if !near(res.Confidence, tc.conf) || res.Confidence < 0 || res.Confidence > 1 {
					t.Errorf("confidence = %v, want %v", res.Confidence, tc.conf)
				}
				for r, it := range res.Items {
					if it.Rank != r+1 || (r > 0 && it.Score > res.Items[r-1].Score) {
						t.Errorf("item %d: rank %d score %v after %v", r, it.Rank, it.Score, res.Items[max(r-1, 0)].Score)
					}
				}
				if res.ModelVersion != "v-test" || models.released != 1 {
					t.Errorf("version %q released %d times", res.ModelVersion, models.released)
				}
			})
		}
	}
}

func TestRecommendScores(t *testing.T) {
	svc := New(&fixedModels{m: newFake()}, &memStore{}, nil)
	res, err := svc.Recommend(context.Background(), "u0", 1, true)
	if err != nil {
		t.Fatal(err)
	}
	if want := 1 / (1 + math.Exp(-2.5)); !near(res.Items[0].Score, want) {
		t.Errorf("ncf score = %v, want sigmoid(2.5) = %v", res.Items[0].Score, want)
	}
	res, _ = New(&fixedModels{m: newFake()}, &memStore{seen: map[string]map[string]struct{}{"x": set("i0")}}, nil).
		Recommend(context.Background(), "x", 1, true)
	if !near(res.Items[0].Score, 0.8660254) {
		t.Errorf("item knn score = %v, want cos 30deg", res.Items[0].Score)
	}
}

func TestConfidenceOrdersStrategies(t *testing.T) {
	for _, n := range []int{0, 1, 5, 50, 5000} {
		c := ncfConfidence(n)
		if c < 0.5 || c >= 1 || (n > 0 && c <= ncfConfidence(n-1)) {
			t.Errorf("ncfConfidence(%d) = %v: want in [0.5, 1), growing", n, c)
		}
	}
	for _, tc := range []struct{ known, seen int }{{1, 1}, {3, 10}, {10, 10}, {1000, 1000}} {
		if c := knnConfidence(tc.known, tc.seen); c <= 0 || c >= 0.5 {
			t.Errorf("knnConfidence(%d, %d) = %v: want in (0, 0.5)", tc.known, tc.seen, c)
		}
	}
	if knnConfidence(2, 10) >= knnConfidence(10, 10) {
		t.Error("knn confidence does not grow with the share of known items")
	}
	if popularConfidence(1) != 0.25 || popularConfidence(0) != 0 || popularConfidence(2) != 0.25 {
		t.Error("popular confidence outside [0, 0.25]")
	}
}

func TestColdStartIsLoggedAndCounted(t *testing.T) {
	var logs, emf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&logs, nil)))
	defer slog.SetDefault(old)
	svc := New(&fixedModels{m: newFake()}, &memStore{}, metrics.New(&emf, "recommend"))
	if _, err := svc.Recommend(context.Background(), "u0", 2, true); err != nil {
		t.Fatal(err)
	}
	if logs.Len() != 0 || emf.Len() != 0 {
		t.Fatalf("a known user logged %q and counted %q", logs.String(), emf.String())
	}
	if _, err := svc.Recommend(context.Background(), "newcomer", 2, true); err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(logs.Bytes(), &rec); err != nil {
		t.Fatalf("log record %q: %v", logs.String(), err)
	}
	if rec["event"] != "cold_start" || rec["user_id"] != "newcomer" || rec["strategy"] != StrategyPopular {
		t.Errorf("log record = %v", rec)
	}
	var line map[string]any
	if err := json.Unmarshal(emf.Bytes(), &line); err != nil {
		t.Fatalf("EMF line %q: %v", emf.String(), err)
	}
	if line[metrics.ColdStart] != 1.0 || line["_aws"] == nil || line["strategy"] != StrategyPopular {
		t.Errorf("EMF line = %v", line)
	}
}

func TestRecommendErrors(t *testing.T) {
	ctx := context.Background()
	svc := New(&fixedModels{m: newFake()}, &memStore{}, nil)
	for _, tc := range []struct {
		user string
		k    int
	}{{"", 10}, {"  ", 10}, {"u0", 0}, {"u0", MaxK + 1}, {"bad\x00id", 5}} {
		if _, err := svc.Recommend(ctx, tc.user, tc.k, true); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("Recommend(%q, %d): %v, want ErrInvalidInput", tc.user, tc.k, err)
		}
	}
	_, err := New(&fixedModels{m: newFake()}, &memStore{seenErr: errStore}, nil).Recommend(ctx, "u0", 3, true)
	if !errors.Is(err, errStore) {
		t.Errorf("seen failure: %v, want it passed on", err)
	}
	broken := newFake()
	broken.failAll = errors.New("onnx run failed")
	for _, overlap := range []bool{false, true} {
		svc := New(&fixedModels{m: broken}, &memStore{seenErr: errStore}, nil, OverlapReads(overlap))
		if _, err := svc.Recommend(ctx, "u0", 3, true); !errors.Is(err, broken.failAll) || !errors.Is(err, errStore) {
			t.Errorf("scoring and store failure (overlap %v): %v, want both passed on", overlap, err)
		}
	}
	res, err := New(&fixedModels{m: newFake()}, &memStore{topErr: errStore}, nil).Recommend(ctx, "new", 2, true)
	if err != nil || strings.Join(ids(res.Items), ",") != "i3,i1" {
		t.Errorf("live popularity failure: %v %v, want the checkpoint's list", res, err)
	}
	if _, err := New(&fixedModels{err: noModel}, nil, nil).Recommend(ctx, "u0", 3, true); !errors.Is(err, noModel) {
		t.Errorf("no model: %v", err)
	}
	res, err = New(&fixedModels{m: newFake()}, nil, nil).Recommend(ctx, "u0", 2, true)
	if err != nil || res.Strategy != StrategyNCF || len(res.Items) != 2 {
		t.Errorf("without a store: %+v %v", res, err)
	}
}

func TestScores(t *testing.T) {
	ctx := context.Background()
	svc := New(&fixedModels{m: newFake()}, nil, nil)
	res, err := svc.Scores(ctx, "u1", []string{"i0", "nope", "i5", "i0"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.KnownUser || len(res.Scores) != 2 || res.Scores[0].ItemID != "i0" || res.Scores[1].ItemID != "i5" {
		t.Fatalf("scores = %+v", res)
	}
	if !near(res.Scores[0].Score, 1/(1+math.Exp(-2.5))) || !near(res.Scores[1].Score, 1/(1+math.Exp(2.5))) {
		t.Errorf("scores = %+v, want sigmoid(+-2.5)", res.Scores)
	}
	if strings.Join(res.UnknownItems, ",") != "nope" {
		t.Errorf("unknown items = %v", res.UnknownItems)
	}
	res, err = svc.Scores(ctx, "stranger", []string{"i0", "x"})
	if err != nil || res.KnownUser || len(res.Scores) != 0 || len(res.UnknownItems) != 1 {
		t.Errorf("unknown user: %+v %v", res, err)
	}
	for _, items := range [][]string{nil, {""}, make([]string, MaxScoreItems+1)} {
		if _, err := svc.Scores(ctx, "u1", items); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("Scores(%d ids): %v, want ErrInvalidInput", len(items), err)
		}
	}
}
