package tokenizer

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// dottedCapitalI is the one character whose lower case is two characters
// ("i" followed by a combining dot above) under the full Unicode mapping that
// the reference tokenizer applies.
const dottedCapitalI = '\u0130'

// normalize returns the normalised form of s: cleaned, with CJK ideographs
// spaced out, accents stripped and lower-cased as configured.
func (t *Tokenizer) normalize(s string) []byte {
	out := make([]byte, 0, len(s)+8)
	ascii := true
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == '\t' || c == '\n' || c == '\r' || c == ' ':
				out = append(out, ' ')
			case c < 0x20 || c == 0x7f:
				// control character (\v and \f included): removed
			case t.cfg.Lowercase && 'A' <= c && c <= 'Z':
				out = append(out, c+('a'-'A'))
			default:
				out = append(out, c)
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError || isControl(r):
			// invalid byte, U+FFFD or control character: removed
		case isWhitespace(r):
			out = append(out, ' ')
		case t.cfg.TokenizeChineseChars && isCJK(r):
			ascii = false // compatibility ideographs decompose
			out = append(out, ' ')
			out = utf8.AppendRune(out, r)
			out = append(out, ' ')
		default:
			ascii = false
			out = utf8.AppendRune(out, r)
		}
	}
	if ascii {
		return out
	}
	if t.stripAccents {
		out = dropNonSpacingMarks(norm.NFD.Append(nil, out...))
	}
	if t.cfg.Lowercase {
		out = lowerFull(out)
	}
	return out
}

// dropNonSpacingMarks removes every character of category Mn from b, in place.
func dropNonSpacingMarks(b []byte) []byte {
	w := 0
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			b[w] = b[i]
			w++
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if !isNonSpacingMark(r) {
			w += copy(b[w:], b[i:i+size])
		}
		i += size
	}
	return b[:w]
}

// lowerFull lower-cases b character by character with the full (context-free)
// Unicode mapping, returning a new slice when a character changes length.
func lowerFull(b []byte) []byte {
	out := make([]byte, 0, len(b)+8)
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		i += size
		if r == dottedCapitalI {
			out = append(out, 'i')
			out = utf8.AppendRune(out, '\u0307')
			continue
		}
		out = utf8.AppendRune(out, unicode.ToLower(r))
	}
	return out
}
