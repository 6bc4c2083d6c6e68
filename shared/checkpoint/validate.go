package checkpoint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// ErrInvalid marks a manifest (or parity file) that breaks the contract.
var ErrInvalid = errors.New("invalid checkpoint")

var (
	versionRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	sha256RE  = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// ValidVersion reports whether v may name a version (and so a directory).
func ValidVersion(v string) bool { return versionRE.MatchString(v) }

// ValidKind reports whether k is a known kind.
func ValidKind(k Kind) bool { return k == NCF || k == Classifier }

// CheckFileName rejects anything but a plain base name: empty names, ".", "..",
// path separators, a leading dot-dot, NUL and other control characters.
func CheckFileName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("file name %q is not a plain file name", name)
	case strings.ContainsAny(name, `/\`):
		return fmt.Errorf("file name %q contains a path separator (path traversal)", name)
	case strings.HasPrefix(name, ".."):
		return fmt.Errorf("file name %q starts with .. (path traversal)", name)
	case len(name) > 255:
		return fmt.Errorf("file name %.40q... is longer than 255 bytes", name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("file name %q contains a control character", name)
		}
	}
	return nil
}

// Parse decodes manifest.json strictly (unknown top-level fields are allowed for
// forward compatibility, wrong types are not) and validates it. Every error wraps
// ErrInvalid and lists all problems found.
func Parse(data []byte) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: manifest.json: %v", ErrInvalid, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: manifest.json: trailing data after the JSON object", ErrInvalid)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Validate checks m against the contract; the error wraps ErrInvalid.
func (m *Manifest) Validate() error {
	var p problems
	if m.SchemaVersion != SchemaVersion {
		p.add("schema_version is %d, this reader knows %d", m.SchemaVersion, SchemaVersion)
	}
	if !ValidKind(m.Kind) {
		p.add("kind %q is not one of %v", m.Kind, Kinds)
	}
	if !ValidVersion(m.Version) {
		p.add("version %q does not match %s", m.Version, versionRE)
	}
	if m.CreatedAt.IsZero() {
		p.add("created_at is missing")
	}
	m.validateFiles(&p)
	m.validateONNX(&p)
	switch {
	case m.Kind == NCF && m.NCF == nil:
		p.add("kind ncf without an ncf section")
	case m.Kind == Classifier && m.Classifier == nil:
		p.add("kind classifier without a classifier section")
	case m.Kind == NCF && m.Classifier != nil, m.Kind == Classifier && m.NCF != nil:
		p.add("kind %s with a section of the other kind", m.Kind)
	}
	if m.NCF != nil {
		m.validateNCF(&p)
	}
	if m.Classifier != nil {
		m.validateClassifier(&p)
	}
	return p.err(fmt.Sprintf("manifest %s/%s", m.Kind, m.Version))
}

func (m *Manifest) validateFiles(p *problems) {
	if len(m.Files) == 0 {
		p.add("files is empty")
	}
	for _, name := range slices.Sorted(maps.Keys(m.Files)) {
		f := m.Files[name]
		if err := CheckFileName(name); err != nil {
			p.add("files: %v", err)
			continue
		}
		if name == ManifestFile {
			p.add("files lists %s itself", ManifestFile)
		}
		if !sha256RE.MatchString(f.SHA256) {
			p.add("files[%q].sha256 %q is not 64 lower-case hex digits", name, f.SHA256)
		}
		if f.Size < 0 {
			p.add("files[%q].size %d is negative", name, f.Size)
		}
	}
	for _, name := range []string{ModelFile, ParityFile} {
		if _, ok := m.Files[name]; !ok && len(m.Files) > 0 {
			p.add("files lacks %s", name)
		}
	}
}

func (m *Manifest) validateONNX(p *problems) {
	if _, ok := m.ONNX[ModelFile]; !ok {
		p.add("onnx lacks %s", ModelFile)
	}
	for _, file := range slices.Sorted(maps.Keys(m.ONNX)) {
		io := m.ONNX[file]
		if _, ok := m.Files[file]; !ok {
			p.add("onnx[%q] is not in files", file)
		}
		if len(io.Inputs) == 0 || len(io.Outputs) == 0 {
			p.add("onnx[%q] needs inputs and outputs", file)
		}
		for _, t := range append(append([]TensorSpec{}, io.Inputs...), io.Outputs...) {
			if t.Name == "" {
				p.add("onnx[%q]: a tensor without a name", file)
			}
			if t.DType != "int64" && t.DType != "float32" {
				p.add("onnx[%q] tensor %q: dtype %q is not int64 or float32", file, t.Name, t.DType)
			}
		}
	}
}

// needFile checks that a file named by a section exists in files.
func (m *Manifest) needFile(p *problems, field, name string) {
	if err := CheckFileName(name); err != nil {
		p.add("%s: %v", field, err)
		return
	}
	if _, ok := m.Files[name]; !ok {
		p.add("%s %q is not in files", field, name)
	}
}

func (m *Manifest) validateNCF(p *problems) {
	n := m.NCF
	switch n.Variant {
	case "mlp", "gmf", "neumf":
	default:
		p.add("ncf.variant %q is not mlp, gmf or neumf", n.Variant)
	}
	if n.NumUsers <= 0 {
		p.add("ncf.num_users is %d, want > 0", n.NumUsers)
	}
	if n.NumItems <= 0 {
		p.add("ncf.num_items is %d, want > 0", n.NumItems)
	}
	m.needFile(p, "ncf.user_ids_file", n.UserIDsFile)
	m.needFile(p, "ncf.item_ids_file", n.ItemIDsFile)
	m.needFile(p, "ncf.popular_file", n.PopularFile)
	if n.PytorchFile != "" {
		m.needFile(p, "ncf.pytorch_file", n.PytorchFile)
	}
	if n.ItemCategoriesFile != "" {
		m.needFile(p, "ncf.item_categories_file", n.ItemCategoriesFile)
	}
	if n.ItemVectorsFile != "" {
		m.needFile(p, "ncf.item_vectors_file", n.ItemVectorsFile)
		if n.ItemVectorDim <= 0 {
			p.add("ncf.item_vector_dim is %d with an item_vectors_file, want > 0", n.ItemVectorDim)
		}
	}
	if t := n.ItemText; t != nil {
		m.needFile(p, "ncf.item_text.file", t.File)
		m.needFile(p, "ncf.item_text.score_file", t.ScoreFile)
		for _, f := range []string{t.File, t.ScoreFile} {
			if _, ok := m.ONNX[f]; !ok {
				p.add("ncf.item_text: onnx lacks %q", f)
			}
		}
		if t.EmbeddingDim <= 0 {
			p.add("ncf.item_text.embedding_dim is %d, want > 0", t.EmbeddingDim)
		}
		if t.MaxLength < 2 || t.MaxLength > 512 {
			p.add("ncf.item_text.max_length is %d, want 2..512", t.MaxLength)
		}
		m.validateTokenizer(p, "ncf.item_text.tokenizer", t.Tokenizer)
	}
	for _, name := range slices.Sorted(maps.Keys(n.Artifacts)) {
		a := n.Artifacts[name]
		m.needFile(p, "ncf.artifacts."+name+".file", a.File)
		if a.Format == "" || a.FormatVersion < 1 {
			p.add("ncf.artifacts.%s: format %q version %d, want a name and a version >= 1", name, a.Format, a.FormatVersion)
		}
	}
}

// validateTokenizer checks the tokenizer settings of a section named field.
func (m *Manifest) validateTokenizer(p *problems, field string, t Tokenizer) {
	if t.Type != "wordpiece" {
		p.add("%s.type %q is not wordpiece", field, t.Type)
	}
	m.needFile(p, field+".vocab_file", t.VocabFile)
	if t.CasesFile != "" {
		m.needFile(p, field+".cases_file", t.CasesFile)
	}
}

func (m *Manifest) validateClassifier(p *problems) {
	c := m.Classifier
	if len(c.Labels) == 0 {
		p.add("classifier.labels is empty")
	}
	if len(c.Thresholds) != len(c.Labels) {
		p.add("classifier has %d labels but %d thresholds", len(c.Labels), len(c.Thresholds))
	}
	if c.NumLabels != len(c.Labels) {
		p.add("classifier.num_labels is %d but labels has %d entries", c.NumLabels, len(c.Labels))
	}
	seen := make(map[string]bool, len(c.Labels))
	for i, l := range c.Labels {
		if l.Code == "" {
			p.add("classifier.labels[%d].code is empty", i)
		} else if seen[l.Code] {
			p.add("classifier.labels[%d].code %q is repeated", i, l.Code)
		}
		seen[l.Code] = true
	}
	for i, t := range c.Thresholds {
		if !(t >= 0 && t <= 1) {
			p.add("classifier.thresholds[%d] is %v, want 0..1", i, t)
		}
	}
	if c.MaxLength < 2 {
		p.add("classifier.max_length is %d, want >= 2 ([CLS] and [SEP])", c.MaxLength)
	}
	if c.Int8File != "" {
		m.needFile(p, "classifier.int8_file", c.Int8File)
	}
	m.validateTokenizer(p, "classifier.tokenizer", c.Tokenizer)
	if c.PytorchFile != "" {
		m.needFile(p, "classifier.pytorch_file", c.PytorchFile)
	}
	if c.EvaluationFile != "" {
		m.needFile(p, "classifier.evaluation_file", c.EvaluationFile)
	}
}

// problems collects validation failures so that one error reports them all.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func (p problems) err(subject string) error {
	if len(p) == 0 {
		return nil
	}
	const limit = 20
	shown := p
	if len(shown) > limit {
		shown = append(shown[:limit:limit], fmt.Sprintf("and %d more", len(p)-limit))
	}
	return fmt.Errorf("%w: %s: %s", ErrInvalid, subject, strings.Join(shown, "; "))
}
