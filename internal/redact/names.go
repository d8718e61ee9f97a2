package redact

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// maskNames replaces each word of s that is a part of one of names with
// Name. Parts of one letter are ignored (initials would mask every "A"),
// and two-letter parts ("Li", "Bo") only match when capitalised as
// given, since in lower case they are mostly ordinary words.
func maskNames(s string, names []string) string {
	parts := map[string]bool{} // folded parts of 3+ letters
	exact := map[string]bool{} // two-letter parts, as written
	for _, n := range names {
		for _, p := range strings.FieldsFunc(n, notNameRune) {
			switch n := len([]rune(p)); {
			case n >= 3:
				parts[foldName(p)] = true
			case n == 2:
				exact[p] = true
			}
		}
	}
	if len(parts) == 0 && len(exact) == 0 {
		return s
	}
	var b strings.Builder
	i := 0
	for i < len(s) {
		j := strings.IndexFunc(s[i:], isNameRune)
		if j < 0 {
			break
		}
		b.WriteString(s[i : i+j])
		i += j
		k := strings.IndexFunc(s[i:], notNameRune)
		if k < 0 {
			k = len(s) - i
		}
		w := s[i : i+k]
		if exact[w] || parts[foldName(w)] {
			b.WriteString(Name)
		} else {
			b.WriteString(w)
		}
		i += k
	}
	b.WriteString(s[i:])
	return b.String()
}

func isNameRune(r rune) bool  { return unicode.IsLetter(r) || unicode.Is(unicode.Mn, r) }
func notNameRune(r rune) bool { return !isNameRune(r) }

// foldName lower-cases a name and strips its accents, so "Zoé", "ZOE"
// and "zoe" are one name.
func foldName(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}
