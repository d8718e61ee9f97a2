package assist

import (
	"github.com/parleyhq/parley/internal/fill"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// RewriteKinds lists the rewrite kinds, those rules do and those that
// need a model alike.
func RewriteKinds() []string {
	return []string{RewriteWarmer, RewriteShorter, RewriteFormal, RewriteGrammar, RewriteTranslate}
}

// Rewrite rewrites text by rules: warmer (acknowledgement, greeting and
// closing added, curt and blaming phrases softened, capitals lowered),
// shorter (filler removed, repeated sentences dropped), formal
// (contractions expanded, casual greetings made formal) and grammar
// (capitals, "i", spacing, repeated punctuation). Translation needs a
// model: Done is false and Note says so, as for an unknown kind. lang is
// the text's language ("" to detect it).
func Rewrite(text, kind, lang string) Rewritten {
	r := Rewritten{Engine: "offline", Kind: kind, Text: text}
	if lang == "" {
		if lang = DetectLang(text); lang == "" {
			lang = "en"
		}
	}
	switch kind {
	case RewriteWarmer:
		r.Text = warmer(text, lang)
	case RewriteShorter:
		r.Text = grammar(shorter(text, lang), lang)
	case RewriteFormal:
		r.Text = formal(text, lang)
	case RewriteGrammar:
		r.Text = grammar(text, lang)
	case RewriteTranslate:
		r.Note = "Translation needs a connected language model; the offline engine does not translate."
		return r
	default:
		r.Note = "Unknown rewrite kind " + quote(kind) + "; known kinds: " + strings.Join(RewriteKinds(), ", ") + "."
		return r
	}
	r.Done = true
	if r.Text == text {
		r.Note = "The rules found nothing to change."
	}
	return r
}

func quote(s string) string { return `"` + s + `"` }

// replacement is a phrase (matched case-insensitively, on word
// boundaries) and what it becomes.
type replacement struct {
	re *regexp.Regexp
	to string
}

func replacements(pairs ...string) []replacement {
	var out []replacement
	for i := 0; i+1 < len(pairs); i += 2 {
		from := strings.TrimSpace(pairs[i])
		out = append(out, replacement{regexp.MustCompile(`(?i)(^|[^\pL])` + regexp.QuoteMeta(from) + `($|[^\pL])`), pairs[i+1]})
	}
	return out
}

func apply(text string, rs []replacement) string {
	for _, r := range rs {
		text = r.re.ReplaceAllStringFunc(text, func(m string) string {
			sub := r.re.FindStringSubmatch(m)
			to := r.to
			// Keep the case of the first letter replaced: "as I said" in
			// mid-sentence stays lower case, "As I said" upper.
			if found, _ := utf8.DecodeRuneInString(m[len(sub[1]):]); unicode.IsLower(found) && to != "" {
				first, size := utf8.DecodeRuneInString(to)
				if !strings.HasPrefix(to, "I ") && !strings.HasPrefix(to, "I'") {
					to = string(unicode.ToLower(first)) + to[size:]
				}
			}
			return sub[1] + to + sub[2]
		})
	}
	return text
}

var softer = map[string][]replacement{
	"en": replacements(
		"As I said,", "To recap,", "As I said", "To recap,", "As I told you,", "To recap,", "as mentioned,", "to recap,",
		"Read the FAQ.", "Our help centre explains this step by step, and I'm happy to walk you through it.",
		"Read the FAQ", "our help centre explains this step by step", "Not possible.", "I'm afraid that isn't something we can do.",
		"Not possible", "I'm afraid that isn't possible", "Please be patient.", "Thank you for your patience.",
		"Please wait.", "Thank you for bearing with us.", "You should have", "Next time, it helps to have",
		"you should have", "next time, it helps to have", "You failed to", "It looks like we didn't get", "your fault", "a mix-up",
		"Calm down", "I understand", "Ask your bank.", "Your bank can tell you the exact reason.",
	),
	"fr": replacements(
		"Comme je l'ai dit,", "Pour récapituler,", "Lisez la FAQ.", "Notre centre d'aide l'explique pas à pas, et je peux vous guider.",
		"Pas possible.", "Je crains que nous ne puissions pas le faire.", "Vous auriez dû", "La prochaine fois, il vaut mieux",
		"Voyez avec votre banque.", "Votre banque pourra vous donner la raison exacte.", "Attendez", "Merci de patienter",
	),
	"es": replacements(
		"Como ya le dije,", "Para resumir,", "Como ya dije,", "Para resumir,", "Lea las preguntas frecuentes.", "Nuestro centro de ayuda lo explica paso a paso, y puedo guiarle.",
		"No es posible.", "Lamentablemente, eso no está a nuestro alcance.", "Usted debió", "La próxima vez, conviene",
		"Hable con su banco.", "Su banco le podrá indicar el motivo exacto.",
	),
}

// warmer adds what a warm reply has and softens what a curt one has.
func warmer(text, lang string) string {
	l := labelsFor(lang)
	body := strings.TrimSpace(text)
	if shouting(body) {
		body = sentenceCase(body)
	}
	body = apply(body, softer[lang])
	body = bareOrder.ReplaceAllStringFunc(body, func(m string) string {
		sub := bareOrder.FindStringSubmatch(m)
		return sub[1] + map[string]string{"en": "Please allow", "fr": "Merci de patienter", "es": "Le rogamos esperar"}[lang]
	})
	n := norm(body)
	var b strings.Builder
	first := firstWords(body, 1)
	_, greeted := hasAny(norm(first), greetingsAndClosings)
	if !greeted {
		b.WriteString(fill.Fill(l.hi, fill.Vars{"contact.name": ""}))
		b.WriteString("\n\n")
	}
	if _, ok := hasAny(n, ackPhrases); !ok {
		b.WriteString(warmAck[lang] + " ")
	}
	b.WriteString(body)
	if _, ok := hasAny(n, closingWords); !ok {
		b.WriteString("\n\n" + l.closing)
	}
	return grammar(b.String(), lang)
}

// bareOrder is a sentence opened with a bare "Wait".
var bareOrder = regexp.MustCompile(`(?i)(^|[.!?]\s+)(wait|attendez|espere)\b`)

var warmAck = map[string]string{
	"en": "Thank you for your patience, and I'm sorry for the trouble.",
	"fr": "Merci pour votre patience, et désolé pour ce désagrément.",
	"es": "Gracias por su paciencia, y siento las molestias.",
}

var closingWords = phrases("regards", "best", "cheers", "cordialement", "bonne journee", "saludo", "saludos", "atentamente", "thanks again")

// sentenceCase lowers a shouted text, keeping acronyms and sentence
// starts in capitals.
func sentenceCase(s string) string {
	fields := strings.Fields(s)
	for i, f := range fields {
		core := strings.TrimFunc(f, func(r rune) bool { return !unicode.IsLetter(r) })
		if acronyms[core] {
			continue
		}
		fields[i] = strings.ToLower(f)
	}
	return capitalise(strings.Join(fields, " "))
}

var fillers = map[string][]replacement{
	"en": replacements("I just wanted to let you know that ", "", "I wanted to let you know that ", "", "Please note that ", "",
		"just ", "", "really ", "", "basically ", "", "actually ", "", "at this point in time", "now", "in order to", "to", "kind of ", "", "a little bit", "a little"),
	"fr": replacements("Je voulais vous informer que ", "", "en fait ", "", "vraiment ", "", "juste ", "", "afin de", "pour"),
	"es": replacements("Quería informarle de que ", "", "realmente ", "", "básicamente ", "", "en realidad ", "", "con el fin de", "para"),
}

// shorter removes filler and repeated sentences.
func shorter(text, lang string) string {
	t := apply(text, fillers[lang])
	var out []string
	seen := map[string]bool{}
	for _, line := range strings.Split(t, "\n") {
		var keep []string
		for _, s := range sentences(line) {
			k := norm(s)
			if seen[k] {
				continue
			}
			seen[k] = true
			keep = append(keep, s)
		}
		out = append(out, strings.Join(keep, " "))
	}
	return strings.Join(out, "\n")
}

var formalWords = map[string][]replacement{
	"en": replacements("can't", "cannot", "won't", "will not", "don't", "do not", "doesn't", "does not", "didn't", "did not",
		"isn't", "is not", "aren't", "are not", "wasn't", "was not", "I'm", "I am", "I'll", "I will", "I've", "I have", "I'd", "I would",
		"you're", "you are", "you'll", "you will", "you've", "you have", "we're", "we are", "we'll", "we will", "we've", "we have",
		"it's", "it is", "that's", "that is", "there's", "there is", "let's", "let us", "Hey", "Hello", "Hi there", "Hello", "Hi", "Hello",
		"Thanks!", "Thank you.", "Thanks", "Thank you", "Cheers", "Kind regards", "ASAP", "as soon as possible", "yeah", "yes", "gonna", "going to", "wanna", "want to"),
	"fr": replacements("Salut", "Bonjour", "Coucou", "Bonjour", "Merci !", "Je vous remercie.", "Bisous", "Bien cordialement", "A+", "Bien cordialement", "ok", "d'accord"),
	"es": replacements("Hola", "Buenos días", "Gracias!", "Muchas gracias.", "Besos", "Atentamente", "Saludos", "Atentamente", "vale", "de acuerdo", "ok", "de acuerdo"),
}

// formal expands contractions and makes casual words formal.
func formal(text, lang string) string {
	return grammar(apply(text, formalWords[lang]), lang)
}

var (
	repeatedPunct  = regexp.MustCompile(`([!?.,])[!?.,]*([!?])?`)
	spaceBefore    = regexp.MustCompile(`[ \t]+([,.!?;:])`)
	noSpaceAfter   = regexp.MustCompile(`([,;!?])(\pL)`)
	manySpaces     = regexp.MustCompile(`[ \t]{2,}`)
	loneI          = regexp.MustCompile(`(^|[^\pL'])i($|[ ',.!?;:])`)
	sentenceStarts = regexp.MustCompile(`(^|[.!?]\s+|\n\s*)(\pL)`)
)

// grammar fixes what rules can fix: repeated punctuation, spaces around
// punctuation (French keeps its space before ! ? ; :), "i" alone, and
// capitals at sentence starts.
func grammar(text, lang string) string {
	t := strings.TrimSpace(text)
	t = repeatedPunct.ReplaceAllStringFunc(t, func(m string) string {
		if strings.HasPrefix(m, "...") || strings.HasPrefix(m, "..") {
			return "…"
		}
		return m[:1]
	})
	if lang == "fr" {
		t = regexp.MustCompile(`[ \t]+([,.])`).ReplaceAllString(t, "$1")
	} else {
		t = spaceBefore.ReplaceAllString(t, "$1")
	}
	t = noSpaceAfter.ReplaceAllString(t, "$1 $2")
	t = manySpaces.ReplaceAllString(t, " ")
	if lang == "en" {
		t = loneI.ReplaceAllString(t, "${1}I$2")
	}
	return capitalise(t)
}

func capitalise(t string) string {
	return sentenceStarts.ReplaceAllStringFunc(t, func(m string) string {
		r, size := utf8.DecodeLastRuneInString(m)
		return m[:len(m)-size] + string(unicode.ToUpper(r))
	})
}
