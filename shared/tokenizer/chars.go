package tokenizer

import "unicode"

// The character classes below follow the Hugging Face BertNormalizer and
// BertPreTokenizer definitions rather than Go's, where the two differ.

// isWhitespace reports whether r counts as whitespace: the Unicode
// White_Space property, which includes tab, newline and carriage return.
func isWhitespace(r rune) bool {
	return unicode.IsSpace(r)
}

// isControl reports whether r is removed by text cleaning: a character of
// category Cc, Cf, Co or Cs, except tab, newline and carriage return (which
// count as whitespace). Unassigned code points are kept, as the reference
// tokenizer keeps them.
func isControl(r rune) bool {
	switch r {
	case '\t', '\n', '\r':
		return false
	}
	if r < 0x80 {
		return r < 0x20 || r == 0x7f
	}
	if inRanges(r, plainLetters) || inRanges(r, extraPunctuation) {
		return false
	}
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs)
}

// isPunctuation reports whether r is split off as a word of its own: every
// ASCII non-alphanumeric printable character (so "$", "+", "^" and "`" too)
// and every Unicode punctuation character (categories Pc, Pd, Ps, Pe, Pi, Pf
// and Po).
func isPunctuation(r rune) bool {
	if (r >= 33 && r <= 47) || (r >= 58 && r <= 64) || (r >= 91 && r <= 96) || (r >= 123 && r <= 126) {
		return true
	}
	if r < 0x80 {
		return false
	}
	if inRanges(r, extraPunctuation) {
		return true
	}
	return unicode.IsPunct(r) && !inRanges(r, plainLetters)
}

// isNonSpacingMark reports whether r is an accent removed by accent
// stripping.
func isNonSpacingMark(r rune) bool {
	if inRanges(r, extraMarks) {
		return true
	}
	return unicode.Is(unicode.Mn, r) && !inRanges(r, plainLetters) && !inRanges(r, extraPunctuation)
}

// isCJK reports whether r is a CJK unified or compatibility ideograph, which
// BERT surrounds with spaces so that each becomes a word. Hangul, Hiragana and
// Katakana are not included, as in BERT.
func isCJK(r rune) bool {
	switch {
	case r >= 0x4E00 && r <= 0x9FFF,
		r >= 0x3400 && r <= 0x4DBF,
		r >= 0x20000 && r <= 0x2A6DF,
		r >= 0x2A700 && r <= 0x2B73F,
		r >= 0x2B740 && r <= 0x2B81F,
		r >= 0x2B920 && r <= 0x2CEAF,
		r >= 0xF900 && r <= 0xFAFF,
		r >= 0x2F800 && r <= 0x2FA1F:
		return true
	}
	return false
}
