package assist

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/parleyhq/parley/internal/fill"
)

// Check coaches a reply before it is sent: the one-shot rule (every
// question answered, a next step with who and when, no bare "I'll check",
// not only a question back), warmth (curt or blaming phrasing, shouting,
// no acknowledgement of an upset customer) and empty template variables.
// t is the conversation the reply answers, or nil; the checks that need
// the customer's messages are skipped without one. An empty (non-nil)
// list means the reply is fine.
func Check(text string, t *Thread) []Finding {
	out := []Finding{}
	body := strings.TrimSpace(text)
	if body == "" {
		return out
	}
	lang := DetectLang(body)
	if lang == "" && t != nil {
		lang = langOf(*t)
	}
	if lang == "" {
		lang = "en"
	}
	n := norm(body)
	sents := sentences(body)
	content := contentSentences(sents)

	// The customer's messages since the last agent reply.
	var pending []Turn
	if t != nil {
		for i := len(t.Turns) - 1; i >= 0; i-- {
			tu := t.Turns[i]
			if tu.Author == Agent {
				break
			}
			if tu.Author == Customer {
				pending = append([]Turn{tu}, pending...)
			}
		}
	}

	_, hasWho := hasAny(n, nextWho)
	_, hasWhen := hasAny(n, nextWhen)
	hasNext := hasWho && hasWhen
	_, closing := hasAny(n, closingCase)

	onlyQuestion := len(content) > 0
	for _, s := range content {
		if !isQuestion(s) {
			onlyQuestion = false
		}
	}
	if onlyQuestion {
		out = append(out, Finding{Check: CheckOnlyQuestion,
			Message: msg(lang, "The reply only asks a question back: answer what you can in the same message, so the customer does not wait a round trip.",
				"La réponse ne fait que poser une question : répondez à ce que vous pouvez dans le même message, pour éviter un aller-retour.",
				"La respuesta solo hace una pregunta: responda lo que pueda en el mismo mensaje para evitar idas y vueltas.")})
	}
	if p, ok := hasAny(n, checkPromises); ok && !hasWhen {
		out = append(out, Finding{Check: CheckBarePromise,
			Message: msg(lang, fmt.Sprintf("%q with nothing else: say what you will check, and when you will come back.", p),
				fmt.Sprintf("« %s » sans rien d'autre : dites ce que vous vérifiez et quand vous revenez vers le client.", p),
				fmt.Sprintf("«%s» sin nada más: diga qué va a revisar y cuándo volverá a escribir.", p))})
	}
	if !hasNext && !closing && !onlyQuestion || (!hasNext && onlyQuestion && len(content) > 1) {
		out = append(out, Finding{Check: CheckNextStep,
			Message: msg(lang, "No next step: say who does what next, and when (\"I'll email you the tracking number today\").",
				"Pas de prochaine étape : dites qui fait quoi, et quand (« je vous envoie le numéro de suivi aujourd'hui »).",
				"Sin siguiente paso: diga quién hace qué y cuándo («hoy le envío el número de seguimiento»).")})
	}
	if unanswered := unansweredQuestions(pending, body, lang, hasNext); len(unanswered) > 0 {
		out = append(out, Finding{Check: CheckUnanswered,
			Message: msg(lang, "Not answered yet: ", "Pas encore de réponse à : ", "Sin responder todavía: ") + strings.Join(unanswered, " / ")})
	}

	upset := false
	for _, tu := range pending {
		if isUpset(tu.Text) {
			upset = true
		}
	}
	_, acknowledged := hasAny(n, ackPhrases)
	warmer := func() string { return Rewrite(body, RewriteWarmer, lang).Text }
	if p, ok := hasAny(n, curtPhrases); ok || tooShortFor(body, pending, upset) || curtOpening(content) {
		m := msg(lang, "This reads as curt when read hours later; soften it and say what you can do.",
			"Cela paraît sec quand on le lit des heures plus tard : adoucissez et dites ce que vous pouvez faire.",
			"Suena cortante leído horas después: suavícelo y diga qué puede hacer.")
		if ok {
			m = fmt.Sprintf("%q — ", p) + m
		}
		out = append(out, Finding{Check: CheckCurt, Message: m, Suggestion: warmer()})
	}
	if p, ok := hasAny(n, blamePhrases); ok {
		out = append(out, Finding{Check: CheckBlame,
			Message: msg(lang, fmt.Sprintf("%q blames the customer: say what happens now instead.", p),
				fmt.Sprintf("« %s » reproche au client : dites plutôt ce qui se passe maintenant.", p),
				fmt.Sprintf("«%s» culpa al cliente: diga mejor qué pasa ahora.", p)),
			Suggestion: warmer()})
	}
	if shouting(body) {
		out = append(out, Finding{Check: CheckCaps,
			Message:    msg(lang, "Capitals read as shouting.", "Les majuscules donnent l'impression de crier.", "Las mayúsculas parecen gritos."),
			Suggestion: warmer()})
	}
	if upset && !acknowledged {
		out = append(out, Finding{Check: CheckNoAcknowledge,
			Message: msg(lang, "The customer is upset and the reply does not acknowledge it: start by recognising how they feel.",
				"Le client est contrarié et la réponse ne le reconnaît pas : commencez par le reconnaître.",
				"El cliente está molesto y la respuesta no lo reconoce: empiece por reconocerlo."),
			Suggestion: warmer()})
	}
	if f, ok := emptyVariable(body, t); ok {
		out = append(out, f)
	}
	return out
}

func msg(lang, en, fr, es string) string {
	switch lang {
	case "fr":
		return fr
	case "es":
		return es
	}
	return en
}

// contentSentences are the sentences that say something: not a greeting
// line, a sign-off or a bare name.
func contentSentences(sents []string) []string {
	var out []string
	for i, s := range sents {
		ws := words(s)
		if len(ws) == 0 {
			continue
		}
		if _, ok := hasAny(norm(s), greetingsAndClosings); ok && len(ws) <= 4 {
			continue
		}
		// A last line of one or two words is a signature.
		if i == len(sents)-1 && len(sents) > 1 && len(ws) <= 2 && !strings.ContainsAny(s, "?") {
			continue
		}
		out = append(out, s)
	}
	return out
}

var greetingsAndClosings = phrases("hi", "hello", "hey", "dear", "good morning", "best", "regards", "kind regards", "thanks", "cheers",
	"bonjour", "bonsoir", "cordialement", "bien cordialement", "bonne journee", "hola", "un saludo", "saludos", "buenos dias", "atentamente")

// unansweredQuestions are the customer's questions, since the last
// reply, that the reply's statements (not its own questions: asking back
// answers nothing) never touch. A question with topic words is answered
// when the reply mentions one of them (stems, or one stem the start of
// the other: "safe" and "safety"); a "when" question also by a time; a
// yes/no question by a yes or no; and a question with no topic of its
// own ("What now?", "Is that still possible?") by a reply that shares
// two topic words with the message that asked it.
func unansweredQuestions(pending []Turn, reply, lang string, hasNext bool) []string {
	if len(pending) == 0 {
		return nil
	}
	st := newStemmer(lang)
	var statements strings.Builder
	for _, s := range sentences(reply) {
		if !isQuestion(s) {
			statements.WriteString(s + "\n")
		}
	}
	rs := st.stems(nil, statements.String())
	rn := norm(statements.String())
	_, hasTime := hasAny(rn, nextWhen)
	hasTime = hasTime || durationRe.MatchString(statements.String())
	var out []string
	for _, tu := range pending {
		var turnStems map[string]bool
		for _, s := range sentences(tu.Text) {
			if !isQuestion(s) || len(words(s)) <= 1 {
				continue // "Hello??" calls for an answer, not for one about it
			}
			qs := st.stems(nil, s)
			if len(qs) == 0 {
				if turnStems == nil {
					turnStems = st.stems(nil, tu.Text)
				}
				need := 2 // a short message needs one shared topic word, a longer one two
				if len(turnStems) < 6 {
					need = 1
				}
				if fuzzyOverlap(turnStems, rs) >= need {
					continue
				}
			} else if fuzzyOverlap(qs, rs) > 0 {
				continue
			}
			if answersYesNo(s, rn) {
				continue
			}
			// "What can you do?" asks for an action, not for words it
			// shares: a reply saying who does what, and when, answers it.
			if _, open := hasAny(norm(s), actionQuestions); open && hasNext {
				continue
			}
			if _, when := hasAny(norm(s), whenQuestions); when && hasTime {
				continue
			}
			out = append(out, s)
		}
	}
	return out
}

var actionQuestions = phrases("what can you do", "what are my options", "what now", "what happens now", "what happens next",
	"what should i do", "what do i do", "can you help", "any news", "any update", "what's next", "what is next",
	"que pouvez vous faire", "que faire", "que dois je faire", "quelles sont mes options", "des nouvelles", "pouvez vous m aider",
	"que pueden hacer", "que puede hacer", "que hago", "que debo hacer", "alguna novedad", "pueden ayudarme", "puede ayudarme")

var whenQuestions = phrases("when", "how long", "quand", "combien de temps", "cuando", "cuanto tiempo")

// fuzzyOverlap counts the stems of a that b holds, or that start a stem
// of b (or that a stem of b starts), at four letters or more.
func fuzzyOverlap(a, b map[string]bool) int {
	n := 0
	for k := range a {
		if b[k] {
			n++
			continue
		}
		if len(k) < 4 {
			continue
		}
		for r := range b {
			if len(r) >= 4 && (strings.HasPrefix(r, k) || strings.HasPrefix(k, r)) {
				n++
				break
			}
		}
	}
	return n
}

// answersYesNo: "Is it covered?" is answered by "Yes, …".
func answersYesNo(q, replyNorm string) bool {
	if _, ok := hasAny(norm(firstWords(q, 1)), phrases("is", "are", "can", "do", "does", "did", "est", "sont", "es", "se")); !ok {
		return false
	}
	_, ok := hasAny(replyNorm, phrases("yes", "no", "oui", "non", "si"))
	return ok
}

// isUpset reads anger or frustration in a customer's message: angry
// words, repeated exclamation marks, or shouting.
func isUpset(text string) bool {
	if _, ok := hasAny(norm(text), upsetWords); ok {
		return true
	}
	if strings.Contains(text, "!!") || strings.Contains(text, "??") || strings.Contains(text, "¡¡") {
		return true
	}
	return shouting(text)
}

// tooShortFor: a reply of a few words, promising nothing, to an upset
// or long message. (A few words that promise something are a bare
// promise, flagged as such.)
func tooShortFor(reply string, pending []Turn, upset bool) bool {
	if len(pending) == 0 || len(words(reply)) > 4 {
		return false
	}
	if _, ok := hasAny(norm(reply), promiseMarkers); ok {
		return false
	}
	long := 0
	for _, tu := range pending {
		long += len(tu.Text)
	}
	return upset || long > 250
}

// curtOpening: a sentence that starts with a bare order ("Wait 7 days.")
// or a reply that is a flat "No." reads as curt whatever the context.
func curtOpening(content []string) bool {
	if len(content) == 1 {
		if _, ok := hasAny(norm(content[0]), phrases("no", "non", "nope", "nein")); ok && len(words(content[0])) == 1 {
			return true
		}
	}
	for _, s := range content {
		if _, ok := hasAny(norm(firstWords(s, 1)), phrases("wait", "attendez", "espere")); ok {
			return true
		}
	}
	return false
}

// acronyms are capitalised words that are not shouting.
var acronyms = setOfFields("FAQ USB PDF ID UPS DHL SKU EUR USD GBP CAD API OK URL VAT EU US UK TV PIN SMS IBAN")

// shouting reports whether text has three or more words of capitals (not
// acronyms) making up a good part of its words.
func shouting(text string) bool {
	caps, total := 0, 0
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		letters, upper := 0, 0
		for _, r := range f {
			if unicode.IsLetter(r) {
				letters++
				if unicode.IsUpper(r) {
					upper++
				}
			}
		}
		if letters == 0 {
			continue
		}
		total++
		if letters >= 2 && upper == letters && !acronyms[f] {
			caps++
		}
	}
	return caps >= 3 && caps*10 >= total*4
}

// emptyGreeting finds a greeting or thanks whose name went missing:
// "Hi ,", "Thanks, !", "Dear ,".
var emptyGreeting = regexp.MustCompile(`(?im)\b(hi|hello|hey|dear|thanks|thank you|bonjour|merci|cher|ch[èe]re|hola|gracias|estimad[oa])(\s+,|\s*,\s*[!.?;:])`)

// emptyVariable flags a {{variable}} left in the text or a greeting with
// a gap, and suggests the text with a fallback filled in.
func emptyVariable(text string, t *Thread) (Finding, bool) {
	left := fill.Missing(text)
	gap := emptyGreeting.MatchString(text)
	if len(left) == 0 && !gap {
		return Finding{}, false
	}
	vars := fill.Vars{}
	for _, name := range left {
		vars[name] = ""
	}
	if t != nil {
		vars["contact.name"] = fill.FirstName(t.ContactName)
		vars["contact.first_name"] = fill.FirstName(t.ContactName)
		vars["agent.name"] = t.AgentName
	}
	fixed := fill.Fill(text, vars)
	name := ""
	if t != nil {
		name = fill.FirstName(t.ContactName)
	}
	fixed = emptyGreeting.ReplaceAllStringFunc(fixed, func(m string) string {
		sub := emptyGreeting.FindStringSubmatch(m)
		end := strings.TrimLeft(sub[2], " \t,")
		if name != "" {
			return sub[1] + " " + name + orComma(end)
		}
		if end == "" {
			end = ","
		}
		return sub[1] + end
	})
	m := "A greeting or variable is empty: the customer would read a gap."
	if len(left) > 0 {
		m = "Template variables left unfilled: {{" + strings.Join(left, "}}, {{") + "}}."
	}
	return Finding{Check: CheckEmptyVariable, Message: m, Suggestion: fixed}, true
}

func orComma(end string) string {
	if end == "" {
		return ","
	}
	return end
}
