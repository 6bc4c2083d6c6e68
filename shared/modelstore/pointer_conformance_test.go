package modelstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/modelstore"
)

// pointerCase is one case of testdata/contract/pointer_cases.json, which the training
// side (training/tests/test_pointer.py) runs too.
type pointerCase struct {
	Note      string       `json:"note"`
	Current   *casePointer `json:"current"`
	Candidate casePointer  `json:"candidate"`
	Outcome   string       `json:"outcome"` // promoted | stale | invalid
	After     *casePointer `json:"after"`
}

type casePointer struct {
	Version   string `json:"version"`
	CreatedAt string `json:"created_at"`
	Pinned    bool   `json:"pinned"`
}

func readPointerCases(t *testing.T) []pointerCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "contract", "pointer_cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []pointerCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &doc); err != nil || len(doc.Cases) == 0 {
		t.Fatalf("pointer cases: %v (%d cases)", err, len(doc.Cases))
	}
	return doc.Cases
}

func TestPointerConformance(t *testing.T) {
	ctx := context.Background()
	for impl, newPointer := range pointers() {
		for _, tc := range readPointerCases(t) {
			t.Run(impl+"/"+tc.Note, func(t *testing.T) {
				p := newPointer(t)
				if tc.Current != nil {
					setCurrent(t, p, *tc.Current)
				}
				err := promoteCase(ctx, p, tc.Candidate)
				if got := outcome(err); got != tc.Outcome {
					t.Fatalf("promote %+v: %v (%s), want %s", tc.Candidate, err, got, tc.Outcome)
				}
				cur, err := p.Get(ctx, checkpoint.NCF)
				if tc.After == nil {
					if !errors.Is(err, modelstore.ErrNotFound) {
						t.Fatalf("pointer after = %+v, %v; want none", cur, err)
					}
					return
				}
				want, _ := time.Parse(time.RFC3339Nano, tc.After.CreatedAt)
				if err != nil || cur.Version != tc.After.Version || !cur.CreatedAt.Equal(want) {
					t.Fatalf("pointer after = %+v, %v; want %+v", cur, err, *tc.After)
				}
			})
		}
	}
}

// setCurrent puts the case's current pointer in place: the local file verbatim (so a
// pointer written with an offset is read as such), the DynamoDB item by a promotion.
func setCurrent(t *testing.T, p modelstore.Pointer, c casePointer) {
	t.Helper()
	if lp, ok := p.(*modelstore.LocalPointer); ok {
		data, _ := json.Marshal(map[string]any{"kind": "ncf", "version": c.Version, "created_at": c.CreatedAt, "pinned": c.Pinned})
		dir := filepath.Join(lp.Root, "ncf")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "ACTIVE"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err := promoteCase(context.Background(), p, c); err != nil {
		t.Fatal(err)
	}
	if c.Pinned { // a rollback by hand writes the pin (Replace)
		cur, err := p.Get(context.Background(), checkpoint.NCF)
		if err != nil {
			t.Fatal(err)
		}
		pinned := cur
		pinned.Pinned = true
		if err := p.Replace(context.Background(), pinned, cur); err != nil {
			t.Fatal(err)
		}
	}
}

func promoteCase(ctx context.Context, p modelstore.Pointer, c casePointer) error {
	at, err := time.Parse(time.RFC3339Nano, c.CreatedAt)
	if err != nil {
		return err
	}
	return p.Promote(ctx, active(checkpoint.NCF, c.Version, at))
}

func outcome(err error) string {
	switch {
	case err == nil:
		return "promoted"
	case errors.Is(err, modelstore.ErrStale):
		return "stale"
	default:
		return "invalid"
	}
}
