package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// Encoding is one tokenised text: [CLS], the word pieces, [SEP].
type Encoding struct {
	// IDs are the token ids, at most MaxLength of them.
	IDs []int64
	// Truncated reports that word pieces past MaxLength were dropped.
	Truncated bool
}

// Encode tokenises one text, adding [CLS] and [SEP] and truncating to
// MaxLength tokens.
func (t *Tokenizer) Encode(text string) Encoding {
	limit := t.cfg.MaxLength - 2 // room for [CLS] and [SEP]
	ids := make([]int64, 1, min(limit, len(text)/3+8)+2)
	ids[0] = int64(t.cls)
	for text != "" && len(ids) <= limit+1 {
		pos, sp := t.nextSpecial(text)
		ids = t.encodeSegment(text[:pos], ids, limit+1)
		if sp == nil {
			break
		}
		ids = append(ids, int64(sp.id))
		text = text[pos+len(sp.text):]
	}
	truncated := len(ids) > limit+1
	if truncated {
		ids = ids[:limit+1]
	}
	return Encoding{IDs: append(ids, int64(t.sep)), Truncated: truncated}
}

// nextSpecial finds the leftmost special token written in text (the longest
// one where several start at the same place). It returns len(text) and nil
// when there is none.
func (t *Tokenizer) nextSpecial(text string) (int, *special) {
	if len(t.specials) == 0 {
		return len(text), nil
	}
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], '[')
		if j < 0 {
			break
		}
		i += j
		var best *special
		for k := range t.specials {
			sp := &t.specials[k]
			if strings.HasPrefix(text[i:], sp.text) && (best == nil || len(sp.text) > len(best.text)) {
				best = sp
			}
		}
		if best != nil {
			return i, best
		}
		i++
	}
	return len(text), nil
}

// encodeSegment normalises a stretch of text without special tokens, splits
// it into words and appends their word pieces to ids, stopping once ids holds
// more than stop entries.
func (t *Tokenizer) encodeSegment(seg string, ids []int64, stop int) []int64 {
	if seg == "" {
		return ids
	}
	norm := string(t.normalize(seg))
	start := -1 // start of the current word, -1 when between words
	for i := 0; i < len(norm) && len(ids) <= stop; {
		r, size := rune(norm[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(norm[i:])
		}
		switch {
		case r == ' ' || (r >= utf8.RuneSelf && isWhitespace(r)):
			if start >= 0 {
				ids = t.wordPiece(norm[start:i], ids)
				start = -1
			}
		case isPunctuation(r):
			if start >= 0 {
				ids = t.wordPiece(norm[start:i], ids)
				start = -1
			}
			ids = t.wordPiece(norm[i:i+size], ids)
		default:
			if start < 0 {
				start = i
			}
		}
		i += size
	}
	if start >= 0 && len(ids) <= stop {
		ids = t.wordPiece(norm[start:], ids)
	}
	return ids
}

// wordPiece appends the pieces of one word: the longest vocabulary entry from
// the left, then the longest "##" continuation, and so on. A word that cannot
// be covered, or is longer than MaxInputCharsPerWord, becomes [UNK].
func (t *Tokenizer) wordPiece(word string, ids []int64) []int64 {
	if len(word) > t.cfg.MaxInputCharsPerWord && utf8.RuneCountInString(word) > t.cfg.MaxInputCharsPerWord {
		return append(ids, int64(t.unk))
	}
	first := len(ids)
	for start := 0; start < len(word); {
		pieces := t.vocab
		if start > 0 {
			pieces = t.cont
		}
		end := len(word)
		if end-start > t.maxPiece {
			end = runeStartAtOrBefore(word, start+t.maxPiece, start)
		}
		for end > start {
			if id, ok := pieces[word[start:end]]; ok {
				ids = append(ids, int64(id))
				break
			}
			end = runeStartAtOrBefore(word, end-1, start)
		}
		if end == start {
			return append(ids[:first], int64(t.unk))
		}
		start = end
	}
	return ids
}

// runeStartAtOrBefore returns the largest character boundary of s in
// [lo, i], where i < len(s).
func runeStartAtOrBefore(s string, i, lo int) int {
	for i > lo && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}
