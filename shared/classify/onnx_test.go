package classify

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/onnx/onnxtest"
)

// fixturesDir holds the committed classifier checkpoints (tiny-v1 and
// labels1k-v1, written by `make fixtures`); CLASSIFIER_FIXTURES overrides it.
func fixturesDir() string {
	if d := os.Getenv("CLASSIFIER_FIXTURES"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "testdata", "checkpoints", "classifier")
}

// initORT initialises ONNX Runtime from ONNXRUNTIME_LIB or skips the test.
func initORT(t testing.TB) {
	t.Helper()
	onnxtest.Init(t)
}

// openFixture verifies and opens a fixture version; the fixtures are committed,
// so a missing one fails the test rather than hiding it behind a skip.
func openFixture(t testing.TB, version string) *checkpoint.Dir {
	t.Helper()
	path := filepath.Join(fixturesDir(), version)
	if _, err := os.Stat(filepath.Join(path, checkpoint.ManifestFile)); err != nil {
		t.Fatalf("no fixture checkpoint at %s (committed; `make fixtures` regenerates it)", path)
	}
	dir, err := checkpoint.OpenDir(path)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func loadFixture(t testing.TB, version string, opts Options) (*Model, *checkpoint.Dir) {
	t.Helper()
	initORT(t)
	dir := openFixture(t, version)
	opts.IntraOpThreads = 1
	m, err := Load(context.Background(), dir.Manifest, dir.Path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m, dir
}

func readParity(t testing.TB, dir *checkpoint.Dir) *checkpoint.Parity {
	t.Helper()
	data, err := dir.ReadFile(checkpoint.ParityFile)
	if err != nil {
		t.Fatal(err)
	}
	p, err := checkpoint.ParseParity(data)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// sessionRunner runs the parity checks of the model's own ONNX file.
type sessionRunner struct{ m *Model }

func (r sessionRunner) Run(_ context.Context, file string, inputs []checkpoint.Tensor, outputs []string) ([]checkpoint.Tensor, error) {
	if file != r.m.File() {
		return nil, fmt.Errorf("model runs %s, not %s", r.m.File(), file)
	}
	return checkpoint.RunAs(r.m.sess.Run, inputs, outputs)
}

// TestParity runs tokenizer and model end to end on parity.json's texts
// (fp32, against the PyTorch logits) and the int8 graph on its own check
// (against ONNX Runtime in Python).
func TestParity(t *testing.T) {
	for _, version := range []string{"tiny-v1", "labels1k-v1"} {
		t.Run(version+"/fp32", func(t *testing.T) {
			m, dir := loadFixture(t, version, Options{FP32: true})
			p := readParity(t, dir)
			if len(p.Texts) == 0 {
				t.Fatal("parity.json has no texts")
			}
			if err := checkpoint.RunTextParity(context.Background(), m, p); err != nil {
				t.Error(err)
			}
		})
		t.Run(version+"/int8", func(t *testing.T) {
			m, dir := loadFixture(t, version, Options{})
			if dir.Manifest.Classifier.Int8File == "" {
				t.Skip("no int8 model offered")
			}
			if m.File() != dir.Manifest.Classifier.Int8File {
				t.Fatalf("serving %s, want the int8 file %s", m.File(), dir.Manifest.Classifier.Int8File)
			}
			p := readParity(t, dir)
			var own checkpoint.Parity
			for _, c := range p.Checks {
				if c.File == m.File() {
					own.Checks = append(own.Checks, c)
				}
			}
			if len(own.Checks) == 0 {
				t.Fatalf("parity.json has no check for %s", m.File())
			}
			if err := checkpoint.RunParity(context.Background(), sessionRunner{m}, &own); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestThousandLabels classifies with the 1,000-label checkpoint: every label
// can be returned, ranked.
func TestThousandLabels(t *testing.T) {
	m, dir := loadFixture(t, "labels1k-v1", Options{})
	if n := len(m.Labels()); n < 1000 {
		t.Fatalf("%d labels, want >= 1000", n)
	}
	res, err := m.Classify(context.Background(), []string{"report about the market", "kalomine"}, Query{Threshold: ptr(0.0), TopK: len(m.Labels())})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if len(r.Labels) != len(m.Labels()) {
			t.Fatalf("text %d: %d labels, want all %d", i, len(r.Labels), len(m.Labels()))
		}
		if !slices.IsSortedFunc(r.Labels, func(a, b Scored) int { return -cmpFloat(a.Score, b.Score) }) {
			t.Errorf("text %d: labels not sorted by score", i)
		}
	}
	if dir.Manifest.Classifier.Labels[999].Code != m.Labels()[999].Code {
		t.Error("label order differs from the manifest")
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestLoadRejectsWrongGraph loads a graph whose inputs are not the
// classifier's, and a manifest whose labels do not match the logits.
func TestLoadRejectsWrongGraph(t *testing.T) {
	initORT(t)
	dir := openFixture(t, "tiny-v1")
	wrong := t.TempDir()
	for _, f := range []string{"vocab.txt"} {
		data, err := dir.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(wrong, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pair, err := os.ReadFile(filepath.Join("..", "onnx", "testdata", "pair.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(wrong, "model.onnx"), pair, 0o644); err != nil {
		t.Fatal(err)
	}
	m := *dir.Manifest
	c := *m.Classifier
	c.Int8File = ""
	m.Classifier = &c
	if _, err := Load(context.Background(), &m, wrong, Options{}); err == nil || !strings.Contains(err.Error(), "input_ids") {
		t.Errorf("wrong graph: error %v, want one naming input_ids", err)
	}
	c.Labels = c.Labels[:len(c.Labels)-1]
	c.Thresholds = c.Thresholds[:len(c.Thresholds)-1]
	if _, err := Load(context.Background(), &m, dir.Path, Options{FP32: true}); err == nil || !strings.Contains(err.Error(), "logits") {
		t.Errorf("label count mismatch: error %v, want one naming the logits", err)
	}
}
