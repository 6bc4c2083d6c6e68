package tokenizer

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Config holds the tokenizer settings of a checkpoint manifest.
type Config struct {
	// Lowercase lower-cases the text (uncased models).
	Lowercase bool
	// StripAccents removes accents; nil means "same as Lowercase", as in BERT.
	StripAccents *bool
	// TokenizeChineseChars makes every CJK ideograph a word of its own.
	TokenizeChineseChars bool
	// UnkToken, CLSToken, SEPToken and PadToken name the special tokens;
	// empty means the BERT defaults "[UNK]", "[CLS]", "[SEP]" and "[PAD]".
	UnkToken, CLSToken, SEPToken, PadToken string
	// MaskToken names the mask token; empty means "[MASK]" (when in the vocabulary).
	MaskToken string
	// MaxInputCharsPerWord turns longer words into the unknown token; 0 means 100.
	MaxInputCharsPerWord int
	// MaxLength is the longest sequence, [CLS] and [SEP] included; 0 means 512.
	MaxLength int
}

// DefaultConfig returns the settings of the uncased BERT tokenizer with a
// maximum length of maxLength tokens.
func DefaultConfig(maxLength int) Config {
	return Config{Lowercase: true, TokenizeChineseChars: true, MaxLength: maxLength}
}

// Tokenizer turns texts into WordPiece ids. It is safe for concurrent use.
type Tokenizer struct {
	cfg          Config
	stripAccents bool
	vocab        map[string]int32 // word-initial pieces
	cont         map[string]int32 // continuation pieces, without the "##" prefix
	maxPiece     int              // longest piece in bytes
	size         int
	unk, cls     int32
	sep, pad     int32
	specials     []special
}

// special is a token matched literally in the raw text.
type special struct {
	text string
	id   int32
}

// Load reads a vocabulary file (one token a line, the line number is the id)
// and builds a tokenizer.
func Load(vocabPath string, cfg Config) (*Tokenizer, error) {
	data, err := os.ReadFile(vocabPath)
	if err != nil {
		return nil, fmt.Errorf("read vocabulary: %w", err)
	}
	return New(strings.Split(strings.TrimSuffix(string(data), "\n"), "\n"), cfg)
}

// New builds a tokenizer from the vocabulary tokens, in id order.
func New(tokens []string, cfg Config) (*Tokenizer, error) {
	if len(tokens) == 0 {
		return nil, errors.New("tokenizer: empty vocabulary")
	}
	if cfg.MaxLength == 0 {
		cfg.MaxLength = 512
	}
	if cfg.MaxLength < 2 {
		return nil, fmt.Errorf("tokenizer: max length %d leaves no room for [CLS] and [SEP]", cfg.MaxLength)
	}
	if cfg.MaxInputCharsPerWord <= 0 {
		cfg.MaxInputCharsPerWord = 100
	}
	setDefault(&cfg.UnkToken, "[UNK]")
	setDefault(&cfg.CLSToken, "[CLS]")
	setDefault(&cfg.SEPToken, "[SEP]")
	setDefault(&cfg.PadToken, "[PAD]")
	setDefault(&cfg.MaskToken, "[MASK]")
	t := &Tokenizer{
		cfg:          cfg,
		stripAccents: cfg.Lowercase,
		vocab:        make(map[string]int32, len(tokens)),
		cont:         make(map[string]int32, len(tokens)/4),
		size:         len(tokens),
	}
	if cfg.StripAccents != nil {
		t.stripAccents = *cfg.StripAccents
	}
	for i, tok := range tokens {
		tok = strings.TrimRight(tok, "\r")
		id := int32(i)
		if rest, ok := strings.CutPrefix(tok, "##"); ok && rest != "" {
			t.cont[rest] = id
			t.maxPiece = max(t.maxPiece, len(rest))
		}
		t.vocab[tok] = id
		t.maxPiece = max(t.maxPiece, len(tok))
	}
	var missing []error
	lookup := func(name, tok string) int32 {
		id, ok := t.vocab[tok]
		if !ok {
			missing = append(missing, fmt.Errorf("tokenizer: %s token %q not in the vocabulary", name, tok))
		}
		return id
	}
	t.unk = lookup("unknown", cfg.UnkToken)
	t.cls = lookup("cls", cfg.CLSToken)
	t.sep = lookup("sep", cfg.SEPToken)
	t.pad = lookup("pad", cfg.PadToken)
	if err := errors.Join(missing...); err != nil {
		return nil, err
	}
	for _, tok := range []string{cfg.PadToken, cfg.UnkToken, cfg.CLSToken, cfg.SEPToken, cfg.MaskToken} {
		if id, ok := t.vocab[tok]; ok {
			t.specials = append(t.specials, special{text: tok, id: id})
		}
	}
	return t, nil
}

func setDefault(s *string, def string) {
	if *s == "" {
		*s = def
	}
}

// VocabSize returns the number of tokens in the vocabulary.
func (t *Tokenizer) VocabSize() int { return t.size }

// MaxLength returns the longest sequence the tokenizer produces.
func (t *Tokenizer) MaxLength() int { return t.cfg.MaxLength }

// PadID returns the id of the padding token.
func (t *Tokenizer) PadID() int64 { return int64(t.pad) }
