package tokenizer

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// tinyVocab is a hand-made vocabulary; ids are the positions.
var tinyVocab = []string{
	"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", // 0-4
	"hello", "world", ",", "!", "un", // 5-9
	"##aff", "##able", "cafe", "naive", "日", // 10-14
	"本", "$", "1", "##0", "##00", // 15-19
	"a", "'", "t", "don", "i", // 20-24
	"##s", "straße", "σ", "ς", "-", // 25-29
}

func tiny(t *testing.T, maxLength int) *Tokenizer {
	t.Helper()
	tok, err := New(tinyVocab, DefaultConfig(maxLength))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestEncode(t *testing.T) {
	tests := []struct {
		name string
		text string
		max  int
		want []int64
		cut  bool
	}{
		{"empty", "", 16, []int64{2, 3}, false},
		{"whitespace only", " \t\n\u3000", 16, []int64{2, 3}, false},
		{"lower case and punctuation", "Hello, WORLD!", 16, []int64{2, 5, 7, 6, 8, 3}, false},
		{"continuation pieces", "unaffable", 16, []int64{2, 9, 10, 11, 3}, false},
		{"uncoverable word is unknown", "unafx", 16, []int64{2, 1, 3}, false},
		{"accents stripped", "Café NAÏVE", 16, []int64{2, 12, 13, 3}, false},
		{"combining accent stripped", "cafe\u0301", 16, []int64{2, 12, 3}, false},
		{"CJK split per character", "日本", 16, []int64{2, 14, 15, 3}, false},
		{"CJK beside letters", "a日a", 16, []int64{2, 20, 14, 20, 3}, false},
		{"ASCII symbols are punctuation", "$100", 16, []int64{2, 16, 17, 19, 3}, false},
		{"longest match first", "1000", 16, []int64{2, 17, 19, 18, 3}, false},
		{"apostrophe splits", "don't", 16, []int64{2, 23, 21, 22, 3}, false},
		{"control characters removed", "hel\x00lo\u200b\ufeff", 16, []int64{2, 5, 3}, false},
		{"vertical tab removed not split", "hel\vlo", 16, []int64{2, 5, 3}, false},
		{"invalid UTF-8 removed", "hel\xfflo", 16, []int64{2, 5, 3}, false},
		{"special tokens in text", "hello[SEP]world [MASK]", 16, []int64{2, 5, 3, 6, 4, 3}, false},
		{"special tokens are case sensitive", "[sep]", 16, []int64{2, 1, 1, 1, 3}, false},
		{"dotted capital I", "İ", 16, []int64{2, 24, 3}, false},
		{"sharp s kept", "STRAßE", 16, []int64{2, 26, 3}, false},
		{"final sigma lower-cased per character", "Σ ς", 16, []int64{2, 27, 28, 3}, false},
		{"truncated", "hello world hello world", 4, []int64{2, 5, 6, 3}, true},
		{"exactly fits", "hello world", 4, []int64{2, 5, 6, 3}, false},
		{"too long word", strings.Repeat("a", 101), 16, []int64{2, 1, 3}, false},
		{"long word limit counts characters", strings.Repeat("é", 100), 16, []int64{2, 1, 3}, false},
		{"dash", "a-a", 16, []int64{2, 20, 29, 20, 3}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tiny(t, tc.max).Encode(tc.text)
			if !slices.Equal(got.IDs, tc.want) || got.Truncated != tc.cut {
				t.Errorf("Encode(%q) = %v truncated=%v, want %v truncated=%v", tc.text, got.IDs, got.Truncated, tc.want, tc.cut)
			}
		})
	}
}

func TestCharacterClasses(t *testing.T) {
	tests := []struct {
		r                    rune
		control, punct, mark bool
	}{
		{'a', false, false, false},
		{'\t', false, false, false},
		{'\v', true, false, false},
		{'\u0085', true, false, false},
		{'\u200b', true, false, false},
		{'\u0378', false, false, false}, // unassigned: kept
		{'$', false, true, false},
		{'`', false, true, false},
		{'\u2014', false, true, false},
		{'\u2e43', false, false, false}, // punctuation since Unicode 9.0: a letter to BERT
		{'\u166d', false, true, false},  // punctuation in Unicode 8.0 only
		{'\u0301', false, false, true},
		{'\u07fd', false, false, false}, // mark since Unicode 11.0
		{'\u1734', false, false, true},  // non-spacing in Unicode 8.0
		{'\U000111c9', false, true, false},
	}
	for _, tc := range tests {
		if got := isControl(tc.r); got != tc.control {
			t.Errorf("isControl(%U) = %v, want %v", tc.r, got, tc.control)
		}
		if got := isPunctuation(tc.r); got != tc.punct {
			t.Errorf("isPunctuation(%U) = %v, want %v", tc.r, got, tc.punct)
		}
		if got := isNonSpacingMark(tc.r); got != tc.mark {
			t.Errorf("isNonSpacingMark(%U) = %v, want %v", tc.r, got, tc.mark)
		}
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name  string
		vocab []string
		cfg   Config
		want  string
	}{
		{"empty vocabulary", nil, DefaultConfig(8), "empty vocabulary"},
		{"missing special", []string{"[PAD]", "[UNK]", "[CLS]"}, DefaultConfig(8), `sep token "[SEP]"`},
		{"max length too small", tinyVocab, DefaultConfig(1), "max length 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.vocab, tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New() error %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestCasedConfig(t *testing.T) {
	tok, err := New([]string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "Café", "cafe"}, Config{MaxLength: 8})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tok.Encode("Café cafe").IDs, []int64{2, 4, 5, 3}; !slices.Equal(got, want) {
		t.Errorf("cased: %v, want %v", got, want)
	}
}

func FuzzEncode(f *testing.F) {
	for _, s := range []string{"", "Hello, world!", "日本語", "a[SEP]b", "\xff\xfe", "é\u0301\u0308", strings.Repeat("ab", 80)} {
		f.Add(s)
	}
	tok, err := New(tinyVocab, DefaultConfig(12))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := tok.Encode(s)
		if len(e.IDs) < 2 || len(e.IDs) > 12 {
			t.Fatalf("%d ids for %q", len(e.IDs), s)
		}
		if e.IDs[0] != 2 || e.IDs[len(e.IDs)-1] != 3 {
			t.Fatalf("ids %v not framed by [CLS] [SEP]", e.IDs)
		}
		for _, id := range e.IDs {
			if id < 0 || id >= int64(tok.VocabSize()) {
				t.Fatalf("id %d outside the vocabulary", id)
			}
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	vocab := os.Getenv("TOKENIZER_VOCAB")
	if vocab == "" {
		vocab = filepath.Join("..", "..", "testdata", "checkpoints", "classifier", "tiny-v1", "vocab.txt")
	}
	tok, err := Load(vocab, DefaultConfig(256))
	if err != nil {
		b.Skipf("no vocabulary (%v): set TOKENIZER_VOCAB", err)
	}
	text := strings.Repeat("Crude oil prices rose sharply on Monday, traders said; naïve Café 日本. ", 4)
	b.SetBytes(int64(len(text)))
	for range b.N {
		tok.Encode(text)
	}
}
