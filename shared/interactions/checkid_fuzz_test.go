package interactions

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzCheckID checks the id rule on arbitrary strings: an id CheckID accepts is
// non-empty valid Unicode text of at most MaxIDBytes bytes, without control or format
// characters, replacement characters or white space at either end; and the answer does
// not depend on anything but the id. Seeds: the conformance ids of
// testdata/contract/interactions.json and testdata/fuzz/FuzzCheckID.
func FuzzCheckID(f *testing.F) {
	for _, c := range readConformance(f).IDs {
		f.Add(c.ID)
	}
	f.Fuzz(func(t *testing.T, id string) {
		msg := CheckID(id)
		if msg != CheckID(strings.Clone(id)) {
			t.Fatalf("CheckID(%q) is not stable", id)
		}
		if msg != "" {
			return
		}
		first, _ := utf8.DecodeRuneInString(id)
		last, _ := utf8.DecodeLastRuneInString(id)
		switch {
		case id == "" || len(id) > MaxIDBytes || !utf8.ValidString(id):
			t.Fatalf("accepted %q: empty, too long or not UTF-8", id)
		case strings.ContainsRune(id, utf8.RuneError):
			t.Fatalf("accepted %q holding U+FFFD (what a lone surrogate decodes to)", id)
		case strings.IndexFunc(id, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) >= 0:
			t.Fatalf("accepted %q holding a control or format character", id)
		case unicode.In(first, unicode.Z) || unicode.In(last, unicode.Z) || unicode.IsSpace(first) || unicode.IsSpace(last):
			t.Fatalf("accepted %q with white space at an end", id)
		}
	})
}
