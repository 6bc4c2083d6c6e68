package tokenizer

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// checkpointDirs are the committed classifier checkpoints whose
// tokenizer_cases.jsonl the Hugging Face tokenizer wrote (make fixtures);
// CLASSIFIER_FIXTURES overrides their parent directory.
func checkpointDirs() []string {
	root := os.Getenv("CLASSIFIER_FIXTURES")
	if root == "" {
		root = filepath.Join("..", "..", "testdata", "checkpoints", "classifier")
	}
	return []string{filepath.Join(root, "tiny-v1"), filepath.Join(root, "labels1k-v1")}
}

// tokenizerCase is one line of a cases file.
type tokenizerCase struct {
	Text      string  `json:"text"`
	IDs       []int64 `json:"ids"`
	MaxLength int     `json:"max_length"`
}

// manifestTokenizer is the part of a classifier manifest the tests read.
type manifestTokenizer struct {
	Classifier struct {
		MaxLength int `json:"max_length"`
		Tokenizer struct {
			VocabFile            string `json:"vocab_file"`
			Lowercase            bool   `json:"lowercase"`
			StripAccents         *bool  `json:"strip_accents"`
			TokenizeChineseChars *bool  `json:"tokenize_chinese_chars"`
			MaxInputCharsPerWord int    `json:"max_input_chars_per_word"`
			CasesFile            string `json:"cases_file"`
		} `json:"tokenizer"`
	} `json:"classifier"`
}

func readCases(t *testing.T, path string) []tokenizerCase {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []tokenizerCase
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var c tokenizerCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("%s line %d: %v", path, line, err)
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}

// checkCases encodes every case with a tokenizer of the case's max length
// (or cfg's) and reports each mismatch; it stops after 20 of them.
func checkCases(t *testing.T, vocabPath string, cfg Config, cases []tokenizerCase) {
	t.Helper()
	byLength := map[int]*Tokenizer{}
	failures := 0
	for i, c := range cases {
		ml := cfg.MaxLength
		if c.MaxLength > 0 {
			ml = c.MaxLength
		}
		tok, ok := byLength[ml]
		if !ok {
			lc := cfg
			lc.MaxLength = ml
			var err error
			if tok, err = Load(vocabPath, lc); err != nil {
				t.Fatal(err)
			}
			byLength[ml] = tok
		}
		got := tok.Encode(c.Text).IDs
		if !slices.Equal(got, c.IDs) {
			failures++
			t.Errorf("case %d %q (max %d):\n got %v\nwant %v", i, c.Text, ml, got, c.IDs)
			if failures >= 20 && os.Getenv("TOKENIZER_ALL_FAILURES") == "" {
				t.Fatalf("stopping after %d mismatches of %d cases", failures, len(cases))
			}
		}
	}
}

// TestCheckpointCases checks every case that the training code wrote with the
// Hugging Face tokenizer for the committed checkpoint: ids must be equal.
func TestCheckpointCases(t *testing.T) {
	for _, dir := range checkpointDirs() {
		t.Run(filepath.Base(dir), func(t *testing.T) { checkCheckpoint(t, dir) })
	}
}

func checkCheckpoint(t *testing.T, checkpointDir string) {
	raw, err := os.ReadFile(filepath.Join(checkpointDir, "manifest.json"))
	if os.IsNotExist(err) {
		t.Fatalf("no checkpoint fixture at %s (committed; `make fixtures` regenerates it)", checkpointDir)
	}
	if err != nil {
		t.Fatal(err)
	}
	var m manifestTokenizer
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	ts := m.Classifier.Tokenizer
	cfg := Config{
		Lowercase:            ts.Lowercase,
		StripAccents:         ts.StripAccents,
		TokenizeChineseChars: ts.TokenizeChineseChars == nil || *ts.TokenizeChineseChars,
		MaxInputCharsPerWord: ts.MaxInputCharsPerWord,
		MaxLength:            m.Classifier.MaxLength,
	}
	cases := readCases(t, filepath.Join(checkpointDir, ts.CasesFile))
	if len(cases) < 200 {
		t.Errorf("only %d tokenizer cases, want at least 200", len(cases))
	}
	checkCases(t, filepath.Join(checkpointDir, ts.VocabFile), cfg, cases)
}

// TestExtraCases checks further cases files, e.g. an exhaustive per-character
// file written by the Hugging Face tokenizer: TOKENIZER_CASES lists them
// (separated by commas) and TOKENIZER_VOCAB names the vocabulary.
func TestExtraCases(t *testing.T) {
	files, vocab := os.Getenv("TOKENIZER_CASES"), os.Getenv("TOKENIZER_VOCAB")
	if files == "" || vocab == "" {
		t.Skip("TOKENIZER_CASES and TOKENIZER_VOCAB unset")
	}
	for _, f := range strings.Split(files, ",") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			checkCases(t, vocab, DefaultConfig(512), readCases(t, f))
		})
	}
}
