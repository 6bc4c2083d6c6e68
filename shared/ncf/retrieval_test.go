package ncf

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/ivf"
	"github.com/contentml/mlbundle/shared/onnx"
	"github.com/contentml/mlbundle/shared/onnx/onnxtest"
)

// indexFixture is the committed checkpoint with a retrieval index (tiny-v1's model).
const indexFixture = "../../testdata/checkpoints/ncf/tiny-index-v1"

// copyFixture copies the index fixture into a temporary directory and applies edit to
// its manifest and parity documents (decoded as generic JSON) before they are written.
func copyFixture(t *testing.T, edit func(man, parity map[string]any)) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(indexFixture)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(indexFixture, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if edit == nil {
		return dir
	}
	docs := map[string]map[string]any{}
	for _, name := range []string{checkpoint.ManifestFile, checkpoint.ParityFile} {
		data, _ := os.ReadFile(filepath.Join(dir, name))
		var doc map[string]any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		docs[name] = doc
	}
	edit(docs[checkpoint.ManifestFile], docs[checkpoint.ParityFile])
	for name, doc := range docs {
		data, _ := json.Marshal(doc)
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// verifyDir runs the kind's Verify on the checkpoint in dir, without the hash check
// (edited documents no longer match the manifest's sizes).
func verifyDir(t *testing.T, dir string) error {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, checkpoint.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	man, err := checkpoint.Parse(data)
	if err != nil {
		return err
	}
	return Kind(onnx.Options{IntraOpThreads: 1}).Verify(context.Background(), man, dir)
}

func TestRetrievalIndexFixture(t *testing.T) {
	onnxtest.Init(t)
	cd, err := checkpoint.OpenDir(indexFixture)
	if err != nil {
		t.Fatal(err)
	}
	if err := Kind(onnx.Options{IntraOpThreads: 1}).Verify(context.Background(), cd.Manifest, cd.Path); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	m, err := Load(context.Background(), cd.Manifest, cd.Path, onnx.Options{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !m.HasIndex() {
		t.Fatal("HasIndex = false for a checkpoint with a retrieval_index artifact")
	}
	// Every item through the index and the model equals scoring every item.
	ctx := context.Background()
	for _, u := range []int{0, 57, m.NumUsers() - 1} {
		odd := func(i int) bool { return i%2 == 1 }
		items, exact, err := m.Retrieve(u, ivf.Probe{Scan: m.NumItems(), Candidates: m.NumItems()}, odd)
		if err != nil || exact {
			t.Fatalf("Retrieve: %v, exact %v (neumf is not a dot product)", err, exact)
		}
		if len(items) != (m.NumItems()+1)/2 || slices.ContainsFunc(items, odd) {
			t.Fatalf("user %d: %d candidates, want the %d even items", u, len(items), (m.NumItems()+1)/2)
		}
		all, err := m.ScoreAll(ctx, int64(u))
		if err != nil {
			t.Fatal(err)
		}
		users := make([]int64, len(items))
		its := make([]int64, len(items))
		for i, it := range items {
			users[i], its[i] = int64(u), int64(it)
		}
		got, err := m.Predict(ctx, users, its)
		if err != nil {
			t.Fatal(err)
		}
		for i, it := range items {
			if d := got[i] - all[it]; d > 1e-4 || d < -1e-4 {
				t.Fatalf("user %d item %d: re-ranked logit %g, score_all %g", u, it, got[i], all[it])
			}
		}
	}
	if _, _, err := m.Retrieve(m.NumUsers(), ivf.Probe{Scan: 1, Candidates: 1}, nil); !errors.Is(err, ErrIndex) {
		t.Errorf("Retrieve past the users = %v, want ErrIndex", err)
	}
}

func TestRetrievalIndexRejected(t *testing.T) {
	onnxtest.Init(t)
	artifact := func(man map[string]any) map[string]any {
		return man["ncf"].(map[string]any)["artifacts"].(map[string]any)[checkpoint.RetrievalIndex].(map[string]any)
	}
	tests := []struct {
		name string
		edit func(man, parity map[string]any)
		want error
	}{
		{"unknown format version", func(man, _ map[string]any) { artifact(man)["format_version"] = 2 }, checkpoint.ErrUnloadable},
		{"wrong dim", func(man, _ map[string]any) { artifact(man)["dim"] = 8 }, checkpoint.ErrUnloadable},
		{"no retrieval parity", func(_, p map[string]any) { delete(p, "retrieval") }, checkpoint.ErrParity},
		{"other candidates", func(_, p map[string]any) {
			c := p["retrieval"].([]any)[0].(map[string]any)
			items := c["items"].([]any)
			items[0], items[len(items)-1] = items[len(items)-1], items[0]
		}, checkpoint.ErrParity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := verifyDir(t, copyFixture(t, tt.edit)); !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("unknown artifact is ignored", func(t *testing.T) {
		dir := copyFixture(t, func(man, _ map[string]any) {
			man["ncf"].(map[string]any)["artifacts"].(map[string]any)["text_map"] = map[string]any{
				"file": "items.json", "format": "other", "format_version": 7}
		})
		if err := verifyDir(t, dir); err != nil {
			t.Errorf("Verify with an unknown artifact: %v", err)
		}
	})
}
