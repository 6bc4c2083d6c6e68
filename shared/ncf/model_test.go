package ncf

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/onnx"
	"github.com/contentml/mlbundle/shared/onnx/onnxtest"
)

// fixture is the small committed checkpoint; NCF_CHECKPOINT_DIR points elsewhere.
const fixture = "../../testdata/checkpoints/ncf/tiny-v1"

// openFixture verifies and loads the fixture checkpoint, or skips without ONNX Runtime
// or without the fixture.
func openFixture(t testing.TB) (*Model, *checkpoint.Dir) {
	t.Helper()
	dir := fixture
	if d := os.Getenv("NCF_CHECKPOINT_DIR"); d != "" {
		dir = d
	}
	if _, err := os.Stat(filepath.Join(dir, checkpoint.ManifestFile)); err != nil {
		t.Fatalf("no ncf checkpoint at %s (make fixtures writes the committed one): %v", dir, err)
	}
	onnxtest.Init(t)
	cd, err := checkpoint.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(context.Background(), cd.Manifest, cd.Path, onnx.Options{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m, cd
}

func TestParity(t *testing.T) {
	m, cd := openFixture(t)
	data, err := cd.ReadFile(checkpoint.ParityFile)
	if err != nil {
		t.Fatal(err)
	}
	p, err := checkpoint.ParseParity(data)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{}
	for _, c := range p.Checks {
		files[c.File] = true
		if c.Tolerance > 1e-4 {
			t.Errorf("%s tolerance %g is looser than 1e-4", c.File, c.Tolerance)
		}
	}
	if !files[checkpoint.ModelFile] || !files[checkpoint.ScoreAllFile] {
		t.Fatalf("parity.json checks %v, want both ONNX files", files)
	}
	if err := checkpoint.RunParity(context.Background(), m, p); err != nil {
		t.Fatalf("parity: %v", err)
	}
	// The check must be able to fail: shift one reference value past the tolerance.
	c := &p.Checks[0]
	for name, out := range c.Outputs {
		out.Data = append([]float64(nil), out.Data...)
		out.Data[0] += 10 * max(c.Tolerance, 1e-6)
		c.Outputs[name] = out
	}
	if err := checkpoint.RunParity(context.Background(), m, p); !errors.Is(err, checkpoint.ErrParity) {
		t.Errorf("parity with a shifted reference = %v, want ErrParity", err)
	}
}

func TestScoreAllMatchesPredict(t *testing.T) {
	m, _ := openFixture(t)
	ctx := context.Background()
	for _, user := range []int64{0, int64(m.NumUsers() - 1)} {
		all, err := m.ScoreAll(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		users := make([]int64, m.NumItems())
		items := make([]int64, m.NumItems())
		for i := range items {
			users[i], items[i] = user, int64(i)
		}
		pair, err := m.Predict(ctx, users, items)
		if err != nil {
			t.Fatal(err)
		}
		for i := range all {
			if d := math.Abs(float64(all[i] - pair[i])); d > 1e-4 {
				t.Fatalf("user %d item %d: ScoreAll %g, Predict %g", user, i, all[i], pair[i])
			}
		}
	}
}

func TestIndexMapsAndErrors(t *testing.T) {
	m, cd := openFixture(t)
	ctx := context.Background()
	if m.Version() != cd.Manifest.Version || m.NumItems() != cd.Manifest.NCF.NumItems {
		t.Errorf("version %s items %d, manifest %s %d", m.Version(), m.NumItems(), cd.Manifest.Version, cd.Manifest.NCF.NumItems)
	}
	last := m.NumItems() - 1
	if i, ok := m.ItemIndex(m.ItemID(last)); !ok || i != last {
		t.Errorf("ItemIndex(ItemID(%d)) = %d, %v", last, i, ok)
	}
	if _, ok := m.UserIndex("no-such-user"); ok {
		t.Error("unknown user has an index")
	}
	if v := m.ItemVector(0); len(v) != m.VectorDim() || m.VectorDim() == 0 {
		t.Errorf("item vector has %d values, dim %d", len(v), m.VectorDim())
	}
	if len(m.Popular()) == 0 {
		t.Error("no popular items")
	}
	if _, err := m.Predict(ctx, []int64{0}, []int64{int64(m.NumItems())}); !errors.Is(err, ErrIndex) {
		t.Errorf("Predict past the last item: %v, want ErrIndex", err)
	}
	if _, err := m.Predict(ctx, []int64{0, 1}, []int64{0}); err == nil {
		t.Error("Predict with unequal lengths: nil error")
	}
	if _, err := m.ScoreAll(ctx, -1); !errors.Is(err, ErrIndex) {
		t.Errorf("ScoreAll(-1): %v, want ErrIndex", err)
	}
}

// TestLoadRejectsWrongIO swaps the two graphs: each then has the other's inputs.
func TestLoadRejectsWrongIO(t *testing.T) {
	_, cd := openFixture(t)
	dir := t.TempDir()
	for name := range cd.Manifest.Files {
		src := name
		switch name {
		case checkpoint.ModelFile:
			src = checkpoint.ScoreAllFile
		case checkpoint.ScoreAllFile:
			src = checkpoint.ModelFile
		}
		data, err := os.ReadFile(filepath.Join(cd.Path, src))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err := Load(context.Background(), cd.Manifest, dir, onnx.Options{IntraOpThreads: 1})
	if err == nil {
		t.Fatal("Load with swapped graphs: nil error")
	}
	t.Log(err)
}
