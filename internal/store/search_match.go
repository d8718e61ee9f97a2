package store

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// textMatcher tests a message's text against search words the way the
// SQLite full-text index does (FTS5's unicode61 tokenizer with
// remove_diacritics 0): tokens are the runs of letters, numbers, non-spacing
// marks and private-use characters, compared by simple case folding (so σ,
// ς and Σ are one letter and İ is not i); every word must be a token, and
// with prefix the last word may begin one. TestSearch holds it to the
// index on awkward texts.
//
// One known difference: FTS5's character tables predate characters that
// Unicode assigned later (🙂 among them), and it takes those as part of a
// word; here they separate words, as current Unicode says. So "thanks🙂"
// is found by "thanks" when a search tests one contact's or agent's
// messages here, but not when the index is walked.
type textMatcher struct {
	words  []string // lower-case, as searchWords returns them
	prefix bool
}

func newTextMatcher(words []string, prefix bool) textMatcher {
	return textMatcher{words: words, prefix: prefix}
}

func (m textMatcher) match(text string) bool {
	found := make([]bool, len(m.words))
	left := len(m.words)
	for tok := range strings.FieldsFuncSeq(text, func(r rune) bool { return !isFTSToken(r) }) {
		for i, w := range m.words {
			if found[i] {
				continue
			}
			if strings.EqualFold(tok, w) || m.prefix && i == len(m.words)-1 && hasPrefixFold(tok, w) {
				found[i] = true
				if left--; left == 0 {
					return true
				}
			}
		}
	}
	return false
}

// hasPrefixFold reports whether s begins with prefix under simple case folding.
func hasPrefixFold(s, prefix string) bool {
	for prefix != "" {
		if s == "" {
			return false
		}
		a, n := utf8.DecodeRuneInString(s)
		b, k := utf8.DecodeRuneInString(prefix)
		if !strings.EqualFold(string(a), string(b)) {
			return false
		}
		s, prefix = s[n:], prefix[k:]
	}
	return true
}

func isFTSToken(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Co, r)
}
