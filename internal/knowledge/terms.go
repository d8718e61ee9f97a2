package knowledge

import (
	"strings"
	"sync"

	"github.com/parleyhq/parley/internal/triage"
)

// What is indexed, computed here so SQLite and PostgreSQL index the very
// same words: each word folded as triage folds it (lower case, accents
// removed) followed by its Snowball stems in English, French and
// Spanish, with common function words left out. The title is written
// twice, which is how both engines' rankings weigh it (neither has
// per-column weights that the other shares). A query is reduced the same
// way, so "refunds" meets "refund", and "remboursé" meets
// "remboursement" and "Remboursements".

// stemmers hands out triage.Stemmers, which are not safe to share.
var stemmers = sync.Pool{New: func() any { return triage.NewStemmer() }}

// docTerms returns the indexed terms of a document.
func docTerms(title, body string, tags []string) string {
	st := stemmers.Get().(*triage.Stemmer)
	defer stemmers.Put(st)
	var b strings.Builder
	b.Grow(2*len(title) + 2*len(body))
	t := appendTerms(nil, st, title)
	for range 2 {
		writeTerms(&b, t)
	}
	writeTerms(&b, appendTerms(t[:0], st, body))
	for _, tag := range tags {
		writeTerms(&b, appendTerms(nil, st, tag))
	}
	return b.String()
}

func writeTerms(b *strings.Builder, terms []string) {
	for _, t := range terms {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t)
	}
}

// appendTerms appends each word of s that is worth indexing and its
// stems.
func appendTerms(dst []string, st *triage.Stemmer, s string) []string {
	for _, w := range triage.Words(s) {
		if skipWord(w) {
			continue
		}
		dst = append(dst, w)
		dst = st.Stems(dst, w)
	}
	return dst
}

// queryGroups reduces a query to its distinct words worth searching,
// each as a group of forms (the word and its stems): a document matches
// a word when it holds any of the word's forms.
func queryGroups(text string) [][]string {
	st := stemmers.Get().(*triage.Stemmer)
	defer stemmers.Put(st)
	seen := map[string]bool{}
	var groups [][]string
	for _, w := range triage.Words(text) {
		if skipWord(w) || seen[w] {
			continue
		}
		seen[w] = true
		groups = append(groups, st.Stems([]string{w}, w))
		if len(groups) == maxQueryWords {
			break
		}
	}
	return groups
}

// maxQueryWords bounds the words of a query: a whole customer message
// may be the query, and its first words carry the question.
const maxQueryWords = 32

// flatten lists every form of every group once.
func flatten(groups [][]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, g := range groups {
		for _, f := range g {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out
}

// coverage is the weighted share of the query's words a document holds
// in any form: the part of the score that means the same on both
// engines.
func coverage(words []weighted, terms string) float64 {
	have := make(map[string]bool, len(terms)/6)
	for t := range strings.FieldsSeq(terms) {
		have[t] = true
	}
	var got, all float64
	for _, w := range words {
		all += w.weight
		for _, f := range w.forms {
			if have[f] {
				got += w.weight
				break
			}
		}
	}
	if all == 0 {
		return 0
	}
	return got / all
}

// skipWord reports whether a folded word is left out of indexes and
// queries: single characters, and the function words and pleasantries
// of English, French and Spanish that every message holds. Leaving them
// out keeps the index small and stops "hello, I have a question" from
// matching everything.
func skipWord(w string) bool {
	return len(w) < 2 || stopWords[w]
}

var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
		a an and are as at be been but by can could did do does for from had has have he her hers him his how i if in into is it its
		just me my no not of on or our ours please she so than that the their them then there these they this those to too us
		was we were what when where which who why will with would you your yours am any also about after again all more most
		very here hi hello hey thanks thank regards dear ok okay yes get got im ive dont cant id ill youre well much
		https http www com
		au aux avec ce ces cet cette dans de des du elle elles en est et etre il ils je la le les leur leurs lui ma mais me
		mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre
		vous ai as avez avons ont suis sont etait ete bonjour merci cordialement salut oui non bien tres plus
		al como con de del el ella ellos en es esta este esto estoy fue ha han hay la las le les lo los me mi mis muy nos
		nuestra nuestro para pero por que se si sin su sus te tu tus un una uno unos unas usted ya yo hola gracias saludos
		buenos buenas dias tengo tiene`) {
		m[w] = true
	}
	return m
}()

// guessLang names the language of a text among English, French and
// Spanish by counting their most frequent function words; "" when none
// stands out. Learned answers whose contact has no language get it, so
// a search in one language can prefer answers written in it.
func guessLang(text string) string {
	var n [3]int
	for _, w := range wordsOf(text) {
		for i, l := range langMarkers {
			if l[w] {
				n[i]++
			}
		}
	}
	best, bestN := -1, 1
	for i, c := range n {
		if c > bestN {
			best, bestN = i, c
		} else if c == bestN {
			best = -1
		}
	}
	if best < 0 {
		return ""
	}
	return [...]string{"en", "fr", "es"}[best]
}

var langMarkers = [3]map[string]bool{
	setOf("the and is are you your to of for with this that have it we our can will please"),
	setOf("le la les et est vous votre pour avec nous ce cette une des du je pas sur dans merci"),
	setOf("el los las y es usted su para con nosotros este esta una del por que gracias pero"),
}

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}
