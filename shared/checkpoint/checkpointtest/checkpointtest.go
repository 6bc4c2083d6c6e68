// Package checkpointtest builds small, valid checkpoints for tests: an ncf one and
// a classifier one whose ONNX files are the hand-checkable models of
// shared/onnx/testdata (made by make_models.py there), with a manifest and a
// parity.json that match them. Tests tamper with the result to exercise every
// rejection path.
package checkpointtest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/contentml/mlbundle/shared/checkpoint"
)

// Checkpoint is one version in memory: the manifest and every file but
// manifest.json.
type Checkpoint struct {
	Manifest *checkpoint.Manifest
	Files    map[string][]byte
	Parity   *checkpoint.Parity
}

// ModelDir is the directory holding the test ONNX models.
func ModelDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "onnx", "testdata")
}

func model(name string) []byte {
	data, err := os.ReadFile(filepath.Join(ModelDir(), name))
	if err != nil {
		panic(fmt.Sprintf("checkpointtest: %v", err)) // test fixture missing: a broken checkout
	}
	return data
}

func dyn(name string) checkpoint.Dim { return checkpoint.Dim{Size: -1, Name: name} }

func spec(name, dtype string, dims ...checkpoint.Dim) checkpoint.TensorSpec {
	return checkpoint.TensorSpec{Name: name, DType: dtype, Shape: dims}
}

func ints(shape []int64, v ...int64) checkpoint.ParityTensor {
	return checkpoint.ParityTensor{DType: "int64", Shape: shape, Ints: v}
}

func floats(shape []int64, v ...float64) checkpoint.ParityTensor {
	return checkpoint.ParityTensor{DType: "float32", Shape: shape, Data: v}
}

func base(kind checkpoint.Kind, version string, created time.Time) *checkpoint.Manifest {
	return &checkpoint.Manifest{
		SchemaVersion: checkpoint.SchemaVersion, Kind: kind, Version: version,
		CreatedAt: created.UTC(), GitRevision: "test", Files: map[string]checkpoint.File{},
		Metrics:         map[string]float64{"score": 0.5},
		Hyperparameters: map[string]any{"epochs": 1},
		Data:            map[string]any{"source": "checkpointtest"},
	}
}

// NCF returns an ncf checkpoint over pair.onnx (logit = 0.5*user + item) and
// score_all.onnx (logits = user + [0 1 2 3]): 3 users, 4 items.
func NCF(version string, created time.Time) *Checkpoint {
	m := base(checkpoint.NCF, version, created)
	// validation metrics above the popularity baseline's: the reload quality gate passes
	m.Metrics = map[string]float64{"validation_ndcg@10": 0.4, "popularity_validation_ndcg@10": 0.2,
		"validation_full_ndcg@10": 0.1, "popularity_validation_full_ndcg@10": 0.05}
	batch := dyn("batch")
	m.ONNX = map[string]checkpoint.ModelIO{
		checkpoint.ModelFile: {
			Inputs:  []checkpoint.TensorSpec{spec("user", "int64", batch), spec("item", "int64", batch)},
			Outputs: []checkpoint.TensorSpec{spec("logit", "float32", batch)},
		},
		checkpoint.ScoreAllFile: {
			Inputs:  []checkpoint.TensorSpec{spec("user", "int64", checkpoint.Dim{Size: 1})},
			Outputs: []checkpoint.TensorSpec{spec("logits", "float32", checkpoint.Dim{Size: 4})},
		},
	}
	m.NCF = &checkpoint.NCFSection{Variant: "neumf", NumUsers: 3, NumItems: 4,
		UserIDsFile: "users.json", ItemIDsFile: "items.json", PopularFile: "popular.json"}
	p := &checkpoint.Parity{Checks: []checkpoint.ParityCheck{
		{File: checkpoint.ModelFile, Tolerance: 1e-4, Reference: "pytorch",
			Inputs:  map[string]checkpoint.ParityTensor{"user": ints([]int64{3}, 0, 1, 2), "item": ints([]int64{3}, 3, 1, 0)},
			Outputs: map[string]checkpoint.ParityTensor{"logit": floats([]int64{3}, 3, 1.5, 1)}},
		{File: checkpoint.ScoreAllFile, Tolerance: 1e-4, Reference: "pytorch",
			Inputs:  map[string]checkpoint.ParityTensor{"user": ints([]int64{1}, 2)},
			Outputs: map[string]checkpoint.ParityTensor{"logits": floats([]int64{4}, 2, 3, 4, 5)}},
	}}
	c := &Checkpoint{Manifest: m, Parity: p, Files: map[string][]byte{
		checkpoint.ModelFile:    model("pair.onnx"),
		checkpoint.ScoreAllFile: model("score_all.onnx"),
		"users.json":            []byte(`["u1","u2","u3"]`),
		"items.json":            []byte(`["i1","i2","i3","i4"]`),
		"popular.json":          []byte(`[{"item_id":"i2","count":3},{"item_id":"i1","count":1}]`),
	}}
	return c.Seal()
}

// Classifier returns a classifier checkpoint over text.onnx (3 labels; logits =
// sum(ids*mask) * [1 -1 0.5] + sum(token_type_ids)).
func Classifier(version string, created time.Time) *Checkpoint {
	m := base(checkpoint.Classifier, version, created)
	b, s := dyn("batch"), dyn("sequence")
	m.ONNX = map[string]checkpoint.ModelIO{checkpoint.ModelFile: {
		Inputs: []checkpoint.TensorSpec{spec("input_ids", "int64", b, s), spec("attention_mask", "int64", b, s),
			spec("token_type_ids", "int64", b, s)},
		Outputs: []checkpoint.TensorSpec{spec("logits", "float32", b, checkpoint.Dim{Size: 3})},
	}}
	m.Classifier = &checkpoint.ClassifierSection{
		Labels:    []checkpoint.Label{{Code: "earn", Name: "Earnings"}, {Code: "acq", Name: "Acquisitions"}, {Code: "crude", Name: "Crude oil"}},
		NumLabels: 3, Thresholds: []float64{0.5, 0.5, 0.4}, MaxLength: 16,
		Tokenizer: checkpoint.Tokenizer{Type: "wordpiece", VocabFile: "vocab.txt", Lowercase: true,
			UnkToken: "[UNK]", ClsToken: "[CLS]", SepToken: "[SEP]", PadToken: "[PAD]", MaxInputCharsPerWord: 100},
	}
	shape := []int64{2, 3}
	p := &checkpoint.Parity{Checks: []checkpoint.ParityCheck{{
		File: checkpoint.ModelFile, Tolerance: 1e-4, Reference: "pytorch",
		Inputs: map[string]checkpoint.ParityTensor{
			"input_ids":      ints(shape, 1, 2, 3, 4, 5, 0),
			"attention_mask": ints(shape, 1, 1, 1, 1, 1, 0),
			"token_type_ids": ints(shape, 0, 0, 0, 0, 0, 0),
		},
		Outputs: map[string]checkpoint.ParityTensor{"logits": floats([]int64{2, 3}, 6, -6, 3, 9, -9, 4.5)},
	}},
		// "Oil prices" -> [CLS] oil prices [SEP] = ids 2 4 5 3, sum 14
		Texts: []checkpoint.TextCase{{Text: "Oil prices", Logits: []float64{14, -14, 7}, Tolerance: 1e-4}},
	}
	c := &Checkpoint{Manifest: m, Parity: p, Files: map[string][]byte{
		checkpoint.ModelFile: model("text.onnx"),
		"vocab.txt":          []byte("[PAD]\n[UNK]\n[CLS]\n[SEP]\noil\nprices\n"),
	}}
	return c.Seal()
}

// Seal writes parity.json from Parity and records every file's size and sha256
// in the manifest. Tamper with Files after Seal to break the hashes.
func (c *Checkpoint) Seal() *Checkpoint {
	if c.Parity != nil {
		data, err := json.Marshal(c.Parity)
		if err != nil {
			panic(err)
		}
		c.Files[checkpoint.ParityFile] = data
	}
	c.Manifest.Files = map[string]checkpoint.File{}
	for name, data := range c.Files {
		sum := sha256.Sum256(data)
		c.Manifest.Files[name] = checkpoint.File{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}
	}
	return c
}

// ManifestJSON encodes the manifest.
func (c *Checkpoint) ManifestJSON() []byte {
	data, err := json.MarshalIndent(c.Manifest, "", "  ")
	if err != nil {
		panic(err)
	}
	return data
}

// Objects returns every file keyed "<kind>/<version>/<name>", manifest.json
// included, as a store holds them.
func (c *Checkpoint) Objects() map[string][]byte {
	prefix := string(c.Manifest.Kind) + "/" + c.Manifest.Version + "/"
	out := map[string][]byte{prefix + checkpoint.ManifestFile: c.ManifestJSON()}
	for name, data := range c.Files {
		out[prefix+name] = data
	}
	return out
}

// WriteTo writes the version under root/<kind>/<version>, manifest.json last.
func (c *Checkpoint) WriteTo(root string) error {
	dir := filepath.Join(root, string(c.Manifest.Kind), c.Manifest.Version)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, data := range c.Files {
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(name)), data, 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, checkpoint.ManifestFile), c.ManifestJSON(), 0o644)
}
