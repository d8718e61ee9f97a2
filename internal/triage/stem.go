package triage

import (
	"sync"
	"sync/atomic"

	snowball "github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/english"
	"github.com/blevesearch/snowballstem/french"
	"github.com/blevesearch/snowballstem/german"
	"github.com/blevesearch/snowballstem/portuguese"
	"github.com/blevesearch/snowballstem/spanish"
)

// Stemming: "Mon paiement a échoué" must match the phrase "paiement
// échoué", and "Mi pago falló" the phrase "pago fallido". A message's
// language is not known (customers mix them, and rules list phrases of
// every language together), so each folded word of a phrase is reduced
// to its Snowball stem in every language Parley stems, and a word of the
// message matches it when one of its own stems is the same. Vietnamese
// does not inflect, and scripts without spaces match by character, so
// they need no stemmer.
//
// The blevesearch module is the Snowball project's own algorithms,
// generated for Go, and covers German and Portuguese, which
// github.com/kljensen/snowball does not.

// stemmers are the languages words are stemmed in.
var stemmers = [...]func(*snowball.Env) bool{english.Stem, french.Stem, spanish.Stem, german.Stem, portuguese.Stem}

// minStemLen is the shortest word (in bytes, folded) that is stemmed:
// shorter ones are function words or already stems ("pay", "bị"), and
// stemming them only makes unrelated words collide.
const minStemLen = 4

// stemKey is word (folded) reduced to its stem in language l, with one
// final "e" dropped, so that the same word typed with and without accents
// meets: French stems "refusée" to "refuse" once folded and "refusé" to
// "refus".
func stemKey(env *snowball.Env, l int, word string) string {
	env.SetCurrent(word)
	stemmers[l](env)
	s := env.Current()
	if len(s) >= minStemLen && s[len(s)-1] == 'e' {
		s = s[:len(s)-1]
	}
	return s
}

// prefixLen is how much of a stem a word must start with to be worth
// stemming. Snowball only rewrites endings, so a word starts with the
// first letters of its stem (a handful of English exceptions aside:
// "dying" stems to "die"); words that start like no stem of any phrase
// are left unstemmed, which keeps matching as fast as exact matching for
// most of a message.
const prefixLen = 4

// stemIndex knows which words might share a stem with a phrase word.
type stemIndex struct {
	prefixes map[string]bool // the first prefixLen bytes of every stem, or all of a shorter one
	short    [prefixLen]bool // short[n]: some stem has n < prefixLen bytes
	// tri has a bit for each run of three letters or digits that starts a
	// stem (or extends a shorter one): most words are turned away by one
	// look at it, without hashing.
	tri [alnum * alnum * alnum / 64]uint64
}

const alnum = 36 // a-z, 0-9: what words are made of once folded, for most languages

func alnumIndex(c byte) int {
	switch {
	case 'a' <= c && c <= 'z':
		return int(c - 'a')
	case '0' <= c && c <= '9':
		return 26 + int(c-'0')
	}
	return -1
}

// triIndex is the bit of s's first three bytes, or -1 when they are not
// all in a-z and 0-9.
func triIndex(s string) int {
	a, b, c := alnumIndex(s[0]), alnumIndex(s[1]), alnumIndex(s[2])
	if a < 0 || b < 0 || c < 0 {
		return -1
	}
	return (a*alnum+b)*alnum + c
}

func (x *stemIndex) add(stem string) {
	if x.prefixes == nil {
		x.prefixes = map[string]bool{}
	}
	n := min(len(stem), prefixLen)
	x.prefixes[stem[:n]] = true
	if n < prefixLen {
		x.short[n] = true
	}
	// Mark every three-letter start a word stemming to stem could have.
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	var start []string
	switch {
	case len(stem) >= 3:
		start = []string{stem[:3]}
	case len(stem) == 2:
		for i := range alnum {
			start = append(start, stem+chars[i:i+1])
		}
	default:
		for i := range alnum * alnum {
			start = append(start, stem+chars[i/alnum:i/alnum+1]+chars[i%alnum:i%alnum+1])
		}
	}
	for _, s := range start {
		if i := triIndex(s); i >= 0 {
			x.tri[i/64] |= 1 << (i % 64)
		}
	}
}

// candidate reports whether word (folded) might stem to a phrase word's
// stem.
func (x *stemIndex) candidate(word string) bool {
	if len(word) < minStemLen || x.prefixes == nil {
		return false
	}
	if i := triIndex(word); i >= 0 && x.tri[i/64]&(1<<(i%64)) == 0 {
		return false
	}
	if x.prefixes[word[:prefixLen]] {
		return true
	}
	for n := 1; n < prefixLen; n++ {
		if x.short[n] && x.prefixes[word[:n]] {
			return true
		}
	}
	return false
}

// variants appends to dst the distinct forms of word that phrase words
// are looked up by: the word itself and, when it is long enough, its
// stems.
func variants(dst []string, env *snowball.Env, word string) []string {
	dst = append(dst, word)
	if len(word) < minStemLen {
		return dst
	}
	start := len(dst) - 1
outer:
	for l := range stemmers {
		s := stemKey(env, l, word)
		for _, v := range dst[start:] {
			if v == s {
				continue outer
			}
		}
		dst = append(dst, s)
	}
	return dst
}

// skippable are function words that may stand between the words of a
// phrase in a message without breaking the match: articles, possessives,
// object and reflexive pronouns, common prepositions and the auxiliaries
// of compound tenses ("my payment
// has failed" matches "payment failed", "mi pago ya fue rechazado"
// matches "pago rechazado"). At most maxSkip of them in a row are passed
// over, and only between two words of a phrase, never before its first.
// Negations ("not", "pas", "n", "nicht", "no", "não") are never skipped,
// so "payment has not failed" does not match "payment failed". English
// "is" and "was" are not skipped either: "my order is now late" must not
// read as "order now".
var skippable = setOf(
	// English
	"a", "an", "the", "my", "our", "your", "his", "her", "their", "its", "me", "us", "him", "them",
	"has", "have", "had", "been", "just", "already", "again", "into", "in", "on",
	// French
	"le", "la", "les", "l", "un", "une", "des", "du", "de", "d", "mon", "ma", "mes", "ton", "ta", "tes",
	"son", "sa", "ses", "notre", "nos", "votre", "vos", "leur", "leurs", "m", "se", "s", "lui",
	"ai", "as", "avons", "avez", "ont", "est", "sont", "ete", "etait", "deja", "bien", "encore",
	"sur", "dans", "en", "pour", "par",
	// Spanish
	"el", "los", "las", "lo", "una", "unos", "unas", "mi", "mis", "tu", "tus", "su", "sus",
	"nuestro", "nuestra", "te", "le", "nos", "ha", "he", "han", "hemos", "habia", "sido", "fue", "ya", "del", "por", "para",
	// Portuguese
	"o", "os", "um", "meu", "minha", "meus", "minhas", "seu", "sua", "lhe", "foi", "e", "esta", "estava", "ja", "do", "da", "em", "na", "nas", "pelo", "pela",
	// German
	"der", "die", "das", "den", "dem", "ein", "eine", "einen", "einem", "einer", "mein", "meine", "meinen",
	"meinem", "meiner", "unser", "unsere", "mir", "mich", "ist", "sind", "war", "wurde", "wurden", "worden",
	"hat", "habe", "hatte", "schon", "gerade", "leider", "auch", "sich", "im", "an", "am", "zu", "fur", "bei", "wieder",
)

// maxSkip is how many skippable words in a row may stand between two
// words of a phrase.
const maxSkip = 2

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// formCache remembers the stems of words that were worth stemming, since
// customers use the same few thousand words over and over: stemming a
// word in five languages costs microseconds, a lookup tens of
// nanoseconds. It stops growing at maxCachedWords, so a flood of made-up
// words costs time, never memory.
type formCache struct {
	m sync.Map // folded word → []string, as variants returns
	n atomic.Int64
}

const maxCachedWords = 1 << 16

func (c *formCache) forms(env *snowball.Env, word string) []string {
	if f, ok := c.m.Load(word); ok {
		return f.([]string)
	}
	f := variants(nil, env, word)
	if c.n.Load() < maxCachedWords {
		// The key is cut from the message text: copy it, so the cache does
		// not keep whole messages alive.
		if _, loaded := c.m.LoadOrStore(string(append([]byte(nil), word...)), f); !loaded {
			c.n.Add(1)
		}
	}
	return f
}
