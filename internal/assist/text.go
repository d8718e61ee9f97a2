package assist

import (
	"strings"
	"unicode"
	"unicode/utf8"

	snowball "github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/english"
	"github.com/blevesearch/snowballstem/french"
	"github.com/blevesearch/snowballstem/spanish"
)

// The offline engine reads text through three small tools: fold (lower
// case, accents taken off, so "Réclamation" and "reclamation" meet),
// norm (words separated by single spaces, so phrases are found with one
// substring search), and stems (content words reduced to their Snowball
// stem, so "refunded" meets "refund" when topics are compared).

// foldRune lower-cases r and takes the accent off the Latin letters
// French and Spanish use.
func foldRune(r rune) rune {
	r = unicode.ToLower(r)
	switch r {
	case 'à', 'â', 'á', 'ä', 'ã':
		return 'a'
	case 'é', 'è', 'ê', 'ë':
		return 'e'
	case 'î', 'ï', 'í', 'ì':
		return 'i'
	case 'ô', 'ó', 'ö', 'ò', 'õ':
		return 'o'
	case 'û', 'ù', 'ú', 'ü':
		return 'u'
	case 'ç':
		return 'c'
	case 'ñ':
		return 'n'
	case 'ÿ':
		return 'y'
	}
	return r
}

// words splits text into folded words of letters and digits; apostrophes
// and hyphens separate words ("I'll" → "i", "ll"; "l'ai" → "l", "ai").
func words(text string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	for _, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(foldRune(r))
		} else {
			flush()
		}
	}
	flush()
	return out
}

// norm is text as " w1 w2 w3 ": folded words between single spaces,
// framed by spaces so that a phrase is found whole with
// strings.Contains(norm(text), norm(phrase)).
func norm(text string) string {
	return " " + strings.Join(words(text), " ") + " "
}

// phrases normalises a list of phrases once, when the package loads.
func phrases(list ...string) []string {
	out := make([]string, len(list))
	for i, p := range list {
		out[i] = norm(p)
	}
	return out
}

// hasAny reports whether the normalised text n contains one of the
// normalised phrases, and returns it.
func hasAny(n string, ps []string) (string, bool) {
	for _, p := range ps {
		if strings.Contains(n, p) {
			return strings.TrimSpace(p), true
		}
	}
	return "", false
}

// stemmer reduces words to their stem in one language.
type stemmer struct {
	stem  func(*snowball.Env) bool
	env   *snowball.Env
	cache map[string]string // a thread repeats its words: stem each once
}

func newStemmer(lang string) *stemmer {
	s := &stemmer{stem: english.Stem, env: snowball.NewEnv(""), cache: map[string]string{}}
	switch lang {
	case "fr":
		s.stem = french.Stem
	case "es":
		s.stem = spanish.Stem
	}
	return s
}

func (s *stemmer) of(word string) string {
	if len(word) < 4 {
		return word
	}
	if st, ok := s.cache[word]; ok {
		return st
	}
	s.env.SetCurrent(word)
	s.stem(s.env)
	st := s.env.Current()
	if len(s.cache) < 1<<14 {
		s.cache[word] = st
	}
	return st
}

// stems adds to set the stems of text's content words: no stopwords,
// no words shorter than three letters, no bare numbers shorter than four
// digits. It returns the set.
func (s *stemmer) stems(set map[string]bool, text string) map[string]bool {
	if set == nil {
		set = map[string]bool{}
	}
	for _, w := range words(text) {
		if len(w) < 3 || stopwords[w] || generic[w] {
			continue
		}
		if isDigits(w) && len(w) < 4 {
			continue
		}
		set[s.of(w)] = true
	}
	return set
}

func isDigits(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return w != ""
}

// overlap counts the keys of a that b also holds.
func overlap(a, b map[string]bool) int {
	n := 0
	for k := range a {
		if b[k] {
			n++
		}
	}
	return n
}

// abbreviations end with a full stop that does not end a sentence.
var abbreviations = map[string]bool{
	"no": true, "nr": true, "mr": true, "mrs": true, "ms": true, "dr": true, "st": true,
	"eg": true, "e.g": true, "i.e": true, "etc": true, "vs": true, "approx": true,
	"n": true, "num": true, "sr": true, "sra": true, "mme": true, "m": true, "art": true,
}

// sentences splits text into sentences: at line breaks, and after ., !,
// ? or … when a space and a capital, a digit or an opening ¿ ¡ follows —
// but not after common abbreviations ("order no. 10234"). It is a plain
// scan, fast enough for a 300-message thread.
func sentences(text string) []string {
	var out []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	start := 0
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == '\n':
			add(text[start:i])
			start = i + size
		case r == '.' || r == '!' || r == '?' || r == '…':
			j := i + size
			for j < len(text) && strings.ContainsRune(".!?…)\"'»", rune(text[j])) {
				j++
			}
			if j >= len(text) {
				break
			}
			next, _ := utf8.DecodeRuneInString(text[j:])
			if next != ' ' && next != '\t' {
				break
			}
			k := j
			for k < len(text) && (text[k] == ' ' || text[k] == '\t') {
				k++
			}
			if k < len(text) {
				n, _ := utf8.DecodeRuneInString(text[k:])
				if !(unicode.IsUpper(n) || unicode.IsDigit(n) || n == '¿' || n == '¡' || n == '"' || n == '«') {
					break
				}
			}
			if r == '.' && abbreviations[lastWord(text[start:i])] {
				break
			}
			add(text[start:j])
			start = j
			i = j
			continue
		}
		i += size
	}
	add(text[start:])
	return out
}

// lastWord is the folded last word of s.
func lastWord(s string) string {
	ws := words(s)
	if len(ws) == 0 {
		return ""
	}
	return ws[len(ws)-1]
}

// isQuestion reports whether a sentence asks something: it ends with a
// question mark, or starts like a question in en, fr or es.
func isQuestion(s string) bool {
	t := strings.TrimSpace(s)
	if strings.HasSuffix(t, "?") || strings.HasPrefix(t, "¿") {
		return true
	}
	_, ok := hasAny(norm(firstWords(t, 2)), questionStarts)
	return ok && !strings.HasSuffix(t, ".")
}

func firstWords(s string, n int) string {
	f := strings.Fields(s)
	if len(f) > n {
		f = f[:n]
	}
	return strings.Join(f, " ")
}

var questionStarts = phrases("where is", "when will", "how do", "how can", "can you", "could you", "is it", "do you", "did you",
	"ou est", "quand", "comment", "pouvez vous", "est ce", "donde", "cuando", "como", "pueden", "puede")
