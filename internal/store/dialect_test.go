package store

import (
	"strings"
	"testing"
	"unicode"
)

// FuzzSearchWords checks that whatever a user types, only letters and
// digits reach either engine's query syntax.
func FuzzSearchWords(f *testing.F) {
	for _, s := range []string{"payment failed", `"a" OR b*`, "NEAR(x y)", "thất bại:*", "a & !b | c", `\"`, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		words, prefix := searchWords(q)
		if len(words) > 16 || (prefix && len(words) == 0) {
			t.Fatalf("searchWords(%q) = %q, %v", q, words, prefix)
		}
		for _, w := range words {
			if w == "" || strings.IndexFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) >= 0 {
				t.Fatalf("searchWords(%q) let through %q", q, w)
			}
		}
		if len(words) > 0 {
			for _, d := range []dialect{sqliteDialect, postgresDialect} {
				if d.ftsQuery(words, prefix) == "" {
					t.Fatalf("%s: empty query for %q", d.name, words)
				}
			}
		}
	})
}
