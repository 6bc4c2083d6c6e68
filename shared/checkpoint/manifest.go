package checkpoint

import (
	"encoding/json"
	"fmt"
	"time"
)

// SchemaVersion is the manifest schema this package reads.
const SchemaVersion = 1

// Names of the files every version holds.
const (
	ManifestFile = "manifest.json"
	ModelFile    = "model.onnx"
	ParityFile   = "parity.json"
	// ScoreAllFile is the ncf graph that scores every item for one user.
	ScoreAllFile = "score_all.onnx"
)

// Kind is a model family: a top-level directory of the model store.
type Kind string

// The kinds of checkpoint.
const (
	NCF        Kind = "ncf"
	Classifier Kind = "classifier"
)

// Kinds lists every kind, in a fixed order.
var Kinds = []Kind{NCF, Classifier}

// Manifest is manifest.json: what a version holds and how to use it.
type Manifest struct {
	SchemaVersion   int                `json:"schema_version"`
	Kind            Kind               `json:"kind"`
	Version         string             `json:"version"`
	CreatedAt       time.Time          `json:"created_at"`
	GitRevision     string             `json:"git_revision"`
	Files           map[string]File    `json:"files"`
	ONNX            map[string]ModelIO `json:"onnx"`
	Hyperparameters map[string]any     `json:"hyperparameters,omitempty"`
	Data            map[string]any     `json:"data,omitempty"`
	// Metrics are free-form evaluation numbers (hr@10, micro_f1, ...), for display.
	Metrics    map[string]float64 `json:"metrics,omitempty"`
	NCF        *NCFSection        `json:"ncf,omitempty"`
	Classifier *ClassifierSection `json:"classifier,omitempty"`
}

// File is the size in bytes and lower-case hex sha256 of one file of a version.
type File struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// ModelIO lists the inputs and outputs of one ONNX file.
type ModelIO struct {
	Inputs  []TensorSpec `json:"inputs"`
	Outputs []TensorSpec `json:"outputs"`
}

// TensorSpec describes one ONNX input or output.
type TensorSpec struct {
	Name  string `json:"name"`
	DType string `json:"dtype"`
	Shape []Dim  `json:"shape"`
}

// Dim is one dimension of a TensorSpec: a fixed Size, or a dynamic axis with a
// Name ("batch", "sequence") and Size -1. In JSON it is a number or a string.
type Dim struct {
	Size int64
	Name string
}

// Sizes returns the shape as numbers, -1 for a dynamic axis.
func (t TensorSpec) Sizes() []int64 {
	s := make([]int64, len(t.Shape))
	for i, d := range t.Shape {
		s[i] = d.Size
	}
	return s
}

// UnmarshalJSON reads a number (fixed size) or a string (dynamic axis).
func (d *Dim) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err == nil {
		if name == "" {
			return fmt.Errorf("empty dynamic axis name")
		}
		*d = Dim{Size: -1, Name: name}
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil || n < 0 {
		return fmt.Errorf("shape entry %s is neither a size >= 0 nor an axis name", b)
	}
	*d = Dim{Size: n}
	return nil
}

// MarshalJSON writes the axis name of a dynamic dimension, else its size.
func (d Dim) MarshalJSON() ([]byte, error) {
	if d.Size < 0 {
		return json.Marshal(d.Name)
	}
	return json.Marshal(d.Size)
}

// NCFSection is the ncf part of a manifest.
type NCFSection struct {
	Variant         string `json:"variant"` // mlp | gmf | neumf
	NumUsers        int    `json:"num_users"`
	NumItems        int    `json:"num_items"`
	UserIDsFile     string `json:"user_ids_file"`
	ItemIDsFile     string `json:"item_ids_file"`
	PopularFile     string `json:"popular_file"`
	ItemVectorsFile string `json:"item_vectors_file,omitempty"`
	ItemVectorDim   int    `json:"item_vector_dim,omitempty"`
	// ItemCategoriesFile, when set, is a JSON array of one category per item, in the
	// order of ItemIDsFile ("" for an item without one).
	ItemCategoriesFile string `json:"item_categories_file,omitempty"`
	// PytorchFile is the PyTorch state dict kept for resuming training; serving
	// and reload never fetch it (TrainingFiles).
	PytorchFile string `json:"pytorch_file,omitempty"`
	// ItemText, when set, names the graphs that place a new item by its text.
	ItemText *ItemTextSection `json:"item_text,omitempty"`
	// Artifacts are optional files by name (RetrievalIndex, ...); a reader uses the
	// names it knows and ignores the others.
	Artifacts map[string]Artifact `json:"artifacts,omitempty"`
}

// ItemTextSection describes the graphs of an ncf checkpoint that place items by text
// (docs/checkpoint.md, "item_text"): File maps tokens to an item embedding of
// EmbeddingDim values, ScoreFile scores item embeddings for one user.
type ItemTextSection struct {
	File         string    `json:"file"`
	ScoreFile    string    `json:"score_file"`
	Encoder      string    `json:"encoder"`
	EmbeddingDim int       `json:"embedding_dim"`
	MaxLength    int       `json:"max_length"`
	Tokenizer    Tokenizer `json:"tokenizer"`
}

// RetrievalIndex names the ncf artifact holding the candidate-retrieval index
// (shared/ivf reads it).
const RetrievalIndex = "retrieval_index"

// Artifact is one optional file of a checkpoint: its name in files, the format it is
// written in and the version of that format, the length of its vectors (where it
// has vectors) and free-form build settings.
type Artifact struct {
	File          string         `json:"file"`
	Format        string         `json:"format"`
	FormatVersion int            `json:"format_version"`
	Dim           int            `json:"dim,omitempty"`
	Params        map[string]any `json:"params,omitempty"`
}

// ClassifierSection is the classifier part of a manifest.
type ClassifierSection struct {
	// NumLabels is the width of the logits; it must equal len(Labels).
	NumLabels  int       `json:"num_labels"`
	Labels     []Label   `json:"labels"`
	Thresholds []float64 `json:"thresholds"`
	MaxLength  int       `json:"max_length"`
	Int8File   string    `json:"int8_file,omitempty"`
	Tokenizer  Tokenizer `json:"tokenizer"`
	// PytorchFile and EvaluationFile are for training and reports; serving and
	// reload never fetch them (TrainingFiles).
	PytorchFile    string `json:"pytorch_file,omitempty"`
	EvaluationFile string `json:"evaluation_file,omitempty"`
}

// Label is one taxonomy code of the classifier, in logit order.
type Label struct {
	Code   string  `json:"code"`
	Name   string  `json:"name"`
	Parent *string `json:"parent"`
}

// Tokenizer holds the WordPiece settings of a classifier or of an ncf item_text section.
type Tokenizer struct {
	Type         string `json:"type"`
	VocabFile    string `json:"vocab_file"`
	Lowercase    bool   `json:"lowercase"`
	StripAccents *bool  `json:"strip_accents"` // nil: follows Lowercase
	// TokenizeChineseChars splits CJK ideographs into single tokens (default true).
	TokenizeChineseChars *bool  `json:"tokenize_chinese_chars"`
	UnkToken             string `json:"unk_token"`
	ClsToken             string `json:"cls_token"`
	SepToken             string `json:"sep_token"`
	PadToken             string `json:"pad_token"`
	MaxInputCharsPerWord int    `json:"max_input_chars_per_word"`
	CasesFile            string `json:"cases_file,omitempty"`
}

// TrainingFiles lists the files of the version that only training and reports
// read (pytorch_file, evaluation_file): serving and reload never fetch them.
func (m *Manifest) TrainingFiles() []string {
	var names []string
	add := func(n string) {
		if n != "" {
			names = append(names, n)
		}
	}
	if m.NCF != nil {
		add(m.NCF.PytorchFile)
	}
	if m.Classifier != nil {
		add(m.Classifier.PytorchFile)
		add(m.Classifier.EvaluationFile)
	}
	return names
}

// Active names the version that serves for a kind (the active pointer). The fields
// after CreatedAt record the promotion that wrote it; pointers written before they
// existed lack them.
type Active struct {
	Kind      Kind      `json:"kind"`
	Version   string    `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	// PromotedAt is when the pointer was written; PromotedBy who or what wrote it
	// ("reload", or "cli:<user>@<host>" for mlbundle promote) and Reason why.
	PromotedAt time.Time `json:"promoted_at,omitzero"`
	PromotedBy string    `json:"promoted_by,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	// Pinned is set by a rollback by hand: automatic promotions leave the pointer alone
	// until an operator promotes a version by hand.
	Pinned bool `json:"pinned,omitempty"`
	// Previous is the version this one replaced (nil: none, or not recorded).
	Previous *Previous `json:"previous,omitempty"`
}

// Previous names the version an active pointer replaced.
type Previous struct {
	Version   string    `json:"version"`
	CreatedAt time.Time `json:"created_at"`
}

// Active returns the pointer that would make m the serving version.
func (m *Manifest) Active() Active {
	return Active{Kind: m.Kind, Version: m.Version, CreatedAt: m.CreatedAt}
}
