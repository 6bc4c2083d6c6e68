package ncf

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/onnx"
	"github.com/contentml/mlbundle/shared/onnx/onnxtest"
)

// textFixture is the committed checkpoint with the item_text graphs (tiny encoder).
const textFixture = "../../testdata/checkpoints/ncf/text-v1"

// parityTexts are training/mlbundle_training/itemtext/place.py's PARITY_TEXTS, in order:
// parity.json's item_text.onnx check holds their embeddings as PyTorch computed them
// from the Hugging Face tokenizer's ids.
var parityTexts = []string{"Space rocket launch. orbit planet star mission.",
	"Toy Story (1995). Genres: Animation, Children's, Comedy.", "", "Café, naïve résumé: 世界 😀"}

func openText(t *testing.T) (*Model, *checkpoint.Dir) {
	t.Helper()
	onnxtest.Init(t)
	cd, err := checkpoint.OpenDir(textFixture)
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

func TestItemTextVerifies(t *testing.T) {
	onnxtest.Init(t)
	cd, err := checkpoint.OpenDir(textFixture)
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(context.Background(), cd.Manifest, cd.Path, onnx.Options{IntraOpThreads: 1}); err != nil {
		t.Fatalf("verify: %v", err)
	}
}

// TestPlaceTextEndToEnd tokenises the parity texts in Go and runs the graph: the
// embeddings must be what training computed from the Hugging Face tokenizer's ids.
func TestPlaceTextEndToEnd(t *testing.T) {
	m, cd := openText(t)
	data, err := cd.ReadFile(checkpoint.ParityFile)
	if err != nil {
		t.Fatal(err)
	}
	p, err := checkpoint.ParseParity(data)
	if err != nil {
		t.Fatal(err)
	}
	var want []float64
	for _, c := range p.Checks {
		if c.File == "item_text.onnx" {
			want = append(want, c.Outputs["item_embedding"].Data...)
		}
	}
	dim := m.ItemEmbeddingDim()
	if !m.PlacesText() || dim != cd.Manifest.NCF.ItemText.EmbeddingDim || len(want) != len(parityTexts)*dim {
		t.Fatalf("places %v, dim %d, parity holds %d values", m.PlacesText(), dim, len(want))
	}
	got, err := m.PlaceText(context.Background(), parityTexts)
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range got {
		for d, v := range row {
			if math.Abs(float64(v)-want[i*dim+d]) > 1e-4 {
				t.Fatalf("text %d value %d: got %v, want %v", i, d, v, want[i*dim+d])
			}
		}
	}
}

func TestScoreItems(t *testing.T) {
	m, _ := openText(t)
	ctx := context.Background()
	placed, err := m.PlaceText(ctx, []string{"Space rocket orbit planet", "Recipe kitchen bake"})
	if err != nil {
		t.Fatal(err)
	}
	logits, err := m.ScoreItems(ctx, 3, placed)
	if err != nil || len(logits) != 2 {
		t.Fatalf("ScoreItems = %v, %v", logits, err)
	}
	for _, l := range logits {
		if math.IsNaN(float64(l)) || math.IsInf(float64(l), 0) {
			t.Fatalf("logit %v", l)
		}
	}
	tests := []struct {
		name  string
		user  int64
		items [][]float32
		want  string
	}{
		{"user out of range", int64(m.NumUsers()), placed, "index out of range"},
		{"negative user", -1, placed, "index out of range"},
		{"short embedding", 0, [][]float32{placed[0][:3]}, "has 3 values"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := m.ScoreItems(ctx, tc.user, tc.items); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if got, err := m.ScoreItems(ctx, 0, nil); err != nil || len(got) != 0 {
		t.Fatalf("no items: %v, %v", got, err)
	}
}

func TestWithoutItemText(t *testing.T) {
	m, _ := openFixture(t)
	if m.PlacesText() || m.ItemEmbeddingDim() != 0 {
		t.Fatal("tiny-v1 has no item_text section")
	}
	if _, err := m.PlaceText(context.Background(), []string{"x"}); !errors.Is(err, ErrNoItemText) {
		t.Fatalf("PlaceText: %v", err)
	}
	if _, err := m.ScoreItems(context.Background(), 0, [][]float32{{1}}); !errors.Is(err, ErrNoItemText) {
		t.Fatalf("ScoreItems: %v", err)
	}
}

// TestVerifyNeedsItemTextParity: a checkpoint whose parity.json does not check a graph
// of its item_text section is not promoted.
func TestVerifyNeedsItemTextParity(t *testing.T) {
	onnxtest.Init(t)
	dir := t.TempDir()
	entries, err := os.ReadDir(textFixture)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(textFixture, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == checkpoint.ParityFile {
			var p map[string]any
			if err := json.Unmarshal(b, &p); err != nil {
				t.Fatal(err)
			}
			var keep []any
			for _, c := range p["checks"].([]any) {
				if c.(map[string]any)["file"] != "score_items.onnx" {
					keep = append(keep, c)
				}
			}
			p["checks"] = keep
			b, _ = json.Marshal(p)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cd, err := checkpoint.OpenDir(textFixture)
	if err != nil {
		t.Fatal(err)
	}
	err = verify(context.Background(), cd.Manifest, dir, onnx.Options{IntraOpThreads: 1})
	if err == nil || !strings.Contains(err.Error(), "score_items.onnx") {
		t.Fatalf("verify = %v, want a missing score_items.onnx check", err)
	}
}
