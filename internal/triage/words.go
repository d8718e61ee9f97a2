package triage

import (
	"strings"

	snowball "github.com/blevesearch/snowballstem"
)

// Words and Stemmer expose triage's folding and stemming to other
// packages (the knowledge base's full-text index), so a word is reduced
// the same way wherever Parley matches text: "Remboursés" and
// "remboursement" meet in triage rules and in knowledge search alike.

// Words returns the folded words of s: case-folded, Latin diacritics
// removed, split on everything that is not a letter or digit (see fold).
func Words(s string) []string {
	return strings.Fields(normalize(s))
}

// Stemmer reduces folded words to their Snowball stems in English,
// French and Spanish. It keeps a stemming buffer, so it is not safe for
// concurrent use: make one per goroutine.
type Stemmer struct{ env *snowball.Env }

// NewStemmer returns a Stemmer.
func NewStemmer() *Stemmer { return &Stemmer{env: snowball.NewEnv("")} }

// searchLangs are the stemmers (indexes into stemmers) used for search:
// English, French and Spanish, the languages Parley's knowledge base is
// written in. German and Portuguese stems would mostly add collisions.
var searchLangs = [...]int{0, 1, 2}

// Stems appends to dst the distinct stems of word (folded) that differ
// from word itself; a word shorter than triage's minimum stem length has
// none.
func (st *Stemmer) Stems(dst []string, word string) []string {
	if len(word) < minStemLen {
		return dst
	}
	start := len(dst)
outer:
	for _, l := range searchLangs {
		s := stemKey(st.env, l, word)
		if s == word {
			continue
		}
		for _, v := range dst[start:] {
			if v == s {
				continue outer
			}
		}
		dst = append(dst, s)
	}
	return dst
}
