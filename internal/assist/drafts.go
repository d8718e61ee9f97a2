package assist

import (
	"sort"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/internal/fill"
)

// Relevance thresholds: a source is used only when retrieval scored it
// at least MinSourceScore (retrievers score in [0, 1]; below this it is
// noise) and it shares a content stem of the query in its title, or at
// least MinOverlap (3) in its text. Below that the
// engine says nothing relevant was found rather than dress an unrelated
// article up as an answer.
const (
	MinSourceScore = 0.05
	MinOverlap     = 3
)

// MakeDrafts proposes three replies different in kind, each citing the
// sources it used: "answer" (greeting, acknowledgement, the answer from
// the best source, next step, closing), "ask" (the same plus the one
// missing piece, asked once) and "action" (a refund, replacement, resend
// or hand-over for a human to approve; an amount only from Vars'
// order.total). With no relevant source it returns no answer, NoAnswer
// saying so, and only an honest holding reply that hands the question
// over.
func MakeDrafts(in DraftInput) Drafts {
	t := in.Thread
	lang := in.Summary.Lang
	if lang == "" {
		lang = langOf(t)
	}
	l := labelsFor(lang)
	st := newStemmer(lang)
	q := st.stems(nil, Query(t, in.Summary))
	vars := draftVars(in, l)
	upset := false
	var customer strings.Builder
	for _, tu := range t.Turns {
		if tu.Author == Customer {
			customer.WriteString(tu.Text + "\n")
		}
	}
	for _, tu := range pendingTurns(t) {
		if isUpset(tu.Text) {
			upset = true
		}
	}
	ack := l.thanks + about(in.Summary, vars, lang, false) + "."
	if upset {
		ack = l.sorry + about(in.Summary, vars, lang, true) + "."
	}
	greeting := fill.Fill(l.hi, vars)
	closing := l.closing + "\n" + fill.Fill("{{agent.name}}", vars)

	best, ok := bestSource(in.Sources, q, st)
	out := Drafts{Engine: "offline", Drafts: []Draft{}, Sources: []Source{}}
	if !ok {
		out.NoAnswer = l.nothing
		body := ack + " " + l.holding
		text := finish(greeting, body, "", closing, t, lang)
		out.Drafts = append(out.Drafts, Draft{Kind: "action", Label: l.escalated, Text: text, Sources: []Ref{},
			Action: &Action{Kind: "escalate", Reason: in.Summary.Wants}})
		return out
	}
	ref := []Ref{{Kind: best.Kind, ID: best.ID}}
	out.Sources = append(out.Sources, best)
	answer := fill.Fill(answerFrom(best.Text, q, st, 3), vars)

	out.Drafts = append(out.Drafts, Draft{Kind: "answer", Label: labelAnswer[lang], Sources: ref,
		Text: finish(greeting, ack+" "+answer, l.followUp, closing, t, lang)})

	ask := l.askConfirm
	n := norm(customer.String())
	_, broken := hasAny(n, damageWords)
	_, photo := hasAny(n, phrases("photo", "picture", "video", "foto", "video", "image"))
	switch {
	case vars["order.number"] == "":
		ask = l.askOrder
	case broken && !photo:
		ask = l.askPhoto
	}
	out.Drafts = append(out.Drafts, Draft{Kind: "ask", Label: labelAsk[lang], Sources: ref,
		Text: finish(greeting, ack+" "+answer+" "+ask, l.followUp, closing, t, lang)})

	act := proposedAction(n, vars)
	proposal := actionText(act, vars, l, lang)
	out.Drafts = append(out.Drafts, Draft{Kind: "action", Label: labelAction[lang], Sources: ref, Action: act,
		Text: finish(greeting, ack+" "+proposal+" "+fill.Fill(answerFrom(best.Text, q, st, 1), vars), "", closing, t, lang)})
	return out
}

var (
	labelAnswer = map[string]string{"en": "Full answer", "fr": "Réponse complète", "es": "Respuesta completa"}
	labelAsk    = map[string]string{"en": "Answer and ask once", "fr": "Réponse et une question", "es": "Respuesta y una pregunta"}
	labelAction = map[string]string{"en": "Propose an action", "fr": "Proposer une action", "es": "Proponer una acción"}
	damageWords = phrases("broken", "damaged", "cracked", "smashed", "dented", "arrived broken", "casse", "cassee", "fendu", "abime", "endommage",
		"roto", "rota", "rajado", "danado", "golpeado")
	lostWords = phrases("not arrived", "hasn t arrived", "hasn t moved", "lost", "missing", "never received", "nothing here", "isn t here", "says delivered",
		"pas arrive", "jamais recu", "perdu", "n a pas bouge", "no ha llegado", "no lo he recibido", "perdido", "sin moverse")
	faultWords = phrases("stopped working", "doesn t work", "does not work", "won t", "not working", "faulty", "flickers", "stopped charging", "doesn t heat",
		"ne fonctionne plus", "ne marche plus", "ne chauffe plus", "en panne", "ne s appaire plus",
		"no funciona", "dejo de funcionar", "ya no calienta", "ya no se conectan", "averia")
	refundWords = phrases("refund", "money back", "charged twice", "double charge", "cancel", "rembours", "debite deux fois", "annuler",
		"reembols", "devolverme el dinero", "cobraron dos veces", "cancelar")
)

// draftVars are the values a draft is filled with, with fallbacks: the
// contact's first name (empty: the greeting drops it), the agent's name
// (else the team), the order number (else the first one the customer
// gave).
func draftVars(in DraftInput, l labels) fill.Vars {
	v := fill.Vars{}
	for k, val := range in.Vars {
		v[k] = strings.TrimSpace(val)
	}
	if v["contact.name"] == "" {
		v["contact.name"] = fill.FirstName(in.Thread.ContactName)
	} else {
		v["contact.name"] = fill.FirstName(v["contact.name"])
	}
	if v["agent.name"] == "" {
		v["agent.name"] = in.Thread.AgentName
	}
	if v["agent.name"] == "" {
		v["agent.name"] = l.team
	}
	if v["order.number"] == "" {
		for _, f := range in.Summary.Facts {
			if f.Kind == "order" {
				v["order.number"] = f.Value
				break
			}
		}
	}
	for _, k := range []string{"order.total", "order.currency"} {
		if _, ok := v[k]; !ok {
			v[k] = ""
		}
	}
	return v
}

// bestSource is the most relevant source above the thresholds.
func bestSource(sources []Source, q map[string]bool, st *stemmer) (Source, bool) {
	bestScore := -1.0
	var best Source
	for _, s := range sources {
		if s.Score < MinSourceScore {
			continue
		}
		title := st.stems(nil, s.Title)
		all := st.stems(st.stems(nil, s.Title), s.Text)
		ov, tov := fuzzyOverlap(q, all), fuzzyOverlap(q, title)
		if tov == 0 && ov < MinOverlap {
			continue
		}
		score := float64(ov) + 2*float64(tov) + s.Score
		if score > bestScore {
			bestScore, best = score, s
		}
	}
	return best, bestScore >= 0
}

// answerFrom picks the n steps or sentences of a source that share most
// with the query, in the source's order, as one paragraph.
func answerFrom(text string, q map[string]bool, st *stemmer, n int) string {
	type unit struct {
		text  string
		score int
		pos   int
	}
	var units []unit
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimLeft(line, "-*• ")
		if i := strings.Index(line, ". "); i > 0 && i <= 3 && isDigits(line[:i]) {
			line = line[i+2:] // a numbered step
		}
		// A learned past reply has its own greeting and sign-off: only its
		// content is reused.
		for _, s := range contentSentences(sentences(line)) {
			if _, ok := hasAny(norm(s), closingWords); ok && len(words(s)) <= 4 {
				continue
			}
			units = append(units, unit{s, overlap(q, st.stems(nil, s)), len(units)})
		}
	}
	sort.SliceStable(units, func(i, j int) bool { return units[i].score > units[j].score })
	if len(units) > 0 && units[0].score == 0 {
		// Nothing matches word for word, but the source as a whole was
		// relevant (its title): its first steps are the answer.
		sort.Slice(units, func(i, j int) bool { return units[i].pos < units[j].pos })
	}
	if len(units) > n {
		units = units[:n]
	}
	// Of matching units, only those sharing a word with the request.
	for len(units) > 1 && units[0].score > 0 && units[len(units)-1].score == 0 {
		units = units[:len(units)-1]
	}
	sort.Slice(units, func(i, j int) bool { return units[i].pos < units[j].pos })
	var parts []string
	for _, u := range units {
		s := strings.TrimSpace(u.text)
		if !strings.ContainsAny(s[len(s)-1:], ".!?:") {
			s += "."
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// proposedAction is what the customer's situation calls for: a
// replacement for a broken item, a resend for a lost parcel, a refund
// when they ask for their money; the amount only from order data.
func proposedAction(customerNorm string, vars fill.Vars) *Action {
	a := &Action{Kind: "escalate"}
	_, broken := hasAny(customerNorm, damageWords)
	_, lost := hasAny(customerNorm, lostWords)
	_, refund := hasAny(customerNorm, refundWords)
	_, fault := hasAny(customerNorm, faultWords)
	switch {
	case refund:
		a.Kind = "refund"
	case broken:
		a.Kind = "replacement"
	case fault:
		a.Kind = "replacement" // under warranty; a person decides repair or replace
	case lost:
		a.Kind = "resend"
	}
	if a.Kind == "refund" {
		if v, err := strconv.ParseFloat(strings.ReplaceAll(vars["order.total"], ",", "."), 64); err == nil && v > 0 {
			a.Amount = v
			a.Currency = strings.ToUpper(vars["order.currency"])
		}
	}
	a.Reason = a.Kind
	return a
}

// actionText says what was prepared, for whom to approve.
func actionText(a *Action, vars fill.Vars, l labels, lang string) string {
	var what string
	switch a.Kind {
	case "refund":
		what = l.refund
		if a.Amount > 0 {
			what += " " + map[string]string{"en": "of", "fr": "de", "es": "de"}[lang] + " " +
				strings.TrimSpace(strconv.FormatFloat(a.Amount, 'f', 2, 64)+" "+a.Currency)
		}
	case "replacement":
		what = l.replacement
	case "resend":
		what = l.resend
	default:
		return l.holding
	}
	if o := vars["order.number"]; o != "" {
		what += " " + map[string]string{"en": "for order", "fr": "pour la commande", "es": "para el pedido"}[lang] + " " + o
	}
	sep := ": " // French puts a space before a colon
	if lang == "fr" {
		sep = " : "
	}
	return l.proposal + " " + what + sep + l.approve
}

// pendingTurns are the customer's turns since the last agent reply.
func pendingTurns(t Thread) []Turn {
	var out []Turn
	for i := len(t.Turns) - 1; i >= 0 && t.Turns[i].Author != Agent; i-- {
		if t.Turns[i].Author == Customer {
			out = append([]Turn{t.Turns[i]}, out...)
		}
	}
	return out
}

// finish assembles a draft and, when a customer question would still be
// unanswered, names it first, so the reply says plainly what it answers.
func finish(greeting, body, next, closing string, t Thread, lang string) string {
	text := greeting + "\n\n" + strings.TrimSpace(body)
	if next != "" {
		text += "\n\n" + next
	}
	text += "\n\n" + closing
	// A question the draft does not touch is restated (as a statement,
	// so the draft does not read as asking it back) before the body.
	if qs := unansweredQuestions(pendingTurns(t), text, lang, next != ""); len(qs) > 0 {
		for i, q := range qs {
			qs[i] = restate(q, t, lang)
		}
		lead := map[string]string{"en": "You asked: ", "fr": "Vous demandiez : ", "es": "Nos preguntaba: "}[lang]
		quote := lead + "“" + strings.Join(qs, " / ") + "”."
		// After the acknowledgement, before the answer.
		ack, rest, _ := strings.Cut(strings.TrimSpace(body), ". ")
		text = greeting + "\n\n" + strings.TrimSpace(ack+". "+quote+" "+rest)
		if next != "" {
			text += "\n\n" + next
		}
		text += "\n\n" + closing
	}
	return text
}

// about names what the message is about for the acknowledgement: the
// product and the order, when known ("about your toaster (order
// 10021)").
func about(s Summary, vars fill.Vars, lang string, sorry bool) string {
	product := ""
	for _, f := range s.Facts {
		if f.Kind == "product" {
			product = f.Value
			break
		}
	}
	order := vars["order.number"]
	var b string
	switch {
	case product != "":
		b = map[string]string{"en": " about your ", "fr": " concernant votre ", "es": " sobre su "}[lang] + product
		if sorry {
			b = map[string]string{"en": " with your ", "fr": " concernant votre ", "es": " con su "}[lang] + product
		}
		if order != "" {
			b += " (" + labelsFor(lang).kinds["order"] + " " + order + ")"
		}
	case order != "":
		b = map[string]string{"en": " about order ", "fr": " concernant la commande ", "es": " sobre el pedido "}[lang] + order
		if sorry {
			b = map[string]string{"en": " with order ", "fr": " concernant la commande ", "es": " con el pedido "}[lang] + order
		}
	}
	return b
}

// restate is a customer question as a statement to quote; a question
// with no topic of its own ("What now?") is quoted by the first sentence
// of the message that asked it, which carries the topic.
func restate(q string, t Thread, lang string) string {
	st := newStemmer(lang)
	if len(st.stems(nil, q)) == 0 {
		for _, tu := range pendingTurns(t) {
			if strings.Contains(tu.Text, q) {
				if ss := sentences(tu.Text); len(ss) > 0 && ss[0] != q {
					q = ss[0]
				}
				break
			}
		}
	}
	return strings.TrimRight(strings.TrimLeft(q, "¿¡ "), "?!. ")
}
