package ivf

import (
	"fmt"
	"math"

	"github.com/contentml/mlbundle/shared/checkpoint"
)

// CheckParity runs each retrieval case of parity.json against the index and requires
// the candidates training's search found: the same number, each rank's score within
// the case's tolerance, and the same items except ones tied (within tolerance) with
// the last place, where float rounding may pick either. Failures wrap
// checkpoint.ErrParity.
func (x *Index) CheckParity(cases []checkpoint.RetrievalCase) error {
	for i, c := range cases {
		got, _, err := x.Search(c.User, Probe{Scan: c.Scan, Candidates: c.Candidates}, nil)
		if err != nil {
			return fmt.Errorf("%w: retrieval[%d]: %w", checkpoint.ErrParity, i, err)
		}
		if err := sameCandidates(got, c); err != nil {
			return fmt.Errorf("%w: retrieval[%d] (user %d): %w", checkpoint.ErrParity, i, c.User, err)
		}
	}
	return nil
}

func sameCandidates(got []Candidate, c checkpoint.RetrievalCase) error {
	if len(got) != len(c.Items) {
		return fmt.Errorf("%d candidates, training found %d", len(got), len(c.Items))
	}
	if len(got) == 0 {
		return nil
	}
	last := c.Scores[len(c.Scores)-1]
	tied := func(s float64) bool { return math.Abs(s-last) <= c.Tolerance }
	scoreOf := make(map[int]float64, len(got))
	for r, g := range got {
		scoreOf[g.Item] = float64(g.Score)
		if d := math.Abs(float64(g.Score) - c.Scores[r]); !(d <= c.Tolerance) {
			return fmt.Errorf("rank %d scores %g, training %g", r+1, g.Score, c.Scores[r])
		}
	}
	// each of training's items holds its score here, or was cut as a tie with the last place
	want := make(map[int]bool, len(c.Items))
	for r, it := range c.Items {
		want[it] = true
		s, ok := scoreOf[it]
		switch {
		case !ok && !tied(c.Scores[r]):
			return fmt.Errorf("training's rank %d item %d is not among the candidates", r+1, it)
		case ok && math.Abs(s-c.Scores[r]) > c.Tolerance:
			return fmt.Errorf("item %d scores %g, training %g at rank %d", it, s, c.Scores[r], r+1)
		}
	}
	for _, g := range got {
		if !want[g.Item] && !tied(float64(g.Score)) {
			return fmt.Errorf("item %d (score %g) is not among training's candidates", g.Item, g.Score)
		}
	}
	return nil
}
