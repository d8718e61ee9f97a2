package assist

import (
	"sort"
	"strings"
)

// Summarize says in a few lines what the customer wants, the key facts,
// what was already tried or promised and by whom, the open questions and
// the next step. It reads every turn it is given (every channel, linked
// conversations), in order; notes and Parley's own messages count as
// neither side.
func Summarize(t Thread) Summary {
	lang := langOf(t)
	l := labelsFor(lang)
	s := Summary{Engine: "offline", Lang: lang, Facts: []Fact{}, Done: []Step{}, OpenQuestions: []string{}}
	seen := map[string]bool{}
	st := newStemmer(lang)
	var requests, problems []string // explicit requests; problems stated ("my X arrived broken")
	lastAgent := -1
	for i, tu := range t.Turns {
		if tu.Author == Agent {
			lastAgent = i
		}
	}
	type question struct {
		text string
		turn int
	}
	var questions []question
	for i, tu := range t.Turns {
		if tu.Author != Customer && tu.Author != Agent {
			continue
		}
		s.Facts = facts(tu, seen, s.Facts)
		for _, sent := range sentences(tu.Text) {
			n := norm(sent)
			switch tu.Author {
			case Customer:
				if isQuestion(sent) {
					questions = append(questions, question{sent, i})
				}
				_, asksAction := hasAny(n, actionQuestions)
				switch _, req := hasAny(n, requestMarkers); {
				case asksAction:
					// "What can you do?" asks for a proposal: the need
					// is the problem stated around it, not the question.
				case req || isQuestion(sent):
					requests = append(requests, sent)
				case wantScore(n, sent) >= 2:
					problems = append(problems, sent)
				}
				if _, ok := hasAny(n, triedMarkers); ok {
					s.Done = append(s.Done, Step{Who: "customer", What: sent, TurnID: tu.ID})
				}
			case Agent:
				who := tu.Name
				if who == "" {
					who = "agent"
				}
				if _, ok := hasAny(n, promiseMarkers); ok {
					s.Done = append(s.Done, Step{Who: who, What: sent, Promise: true, TurnID: tu.ID})
				} else if _, ok := hasAny(n, doneMarkers); ok {
					s.Done = append(s.Done, Step{Who: who, What: sent, TurnID: tu.ID})
				}
			}
		}
	}
	// A promise is kept once a later agent turn says it was done; a
	// promise followed by more agent turns is no longer the open one, but
	// the latest promise stays open until the case moves on.
	// A promise followed by an agent's "done" was kept.
	lastPromise := -1
	for i, st := range s.Done {
		if st.Promise {
			lastPromise = i
		} else if st.Who != "customer" && lastPromise >= 0 {
			lastPromise = -1
		}
	}
	for i := range s.Done {
		if s.Done[i].Promise && i != lastPromise {
			s.Done[i].Promise = false
		}
	}

	// Wants: the first request, and the latest when it says something
	// new; a problem stated stands for a request when none was made.
	if len(requests) == 0 && len(problems) > 0 {
		requests = problems[:1]
	}
	switch len(requests) {
	case 0:
		// No request as such: the customer sentence that says most.
		most := 0
		for _, tu := range t.Turns {
			if tu.Author != Customer {
				continue
			}
			for _, sent := range sentences(tu.Text) {
				if n := len(st.stems(nil, sent)); n > most {
					most, s.Wants = n, sent
				}
			}
		}
	case 1:
		s.Wants = requests[0]
	default:
		s.Wants = requests[0]
		if last := requests[len(requests)-1]; last != requests[0] {
			s.Wants += " … " + last
		}
	}

	// Open questions: those after the last agent turn, and earlier ones
	// that no later agent turn touched.
	agentStems := map[int]map[string]bool{} // computed once per agent turn
	open := map[string]bool{}
	for _, q := range questions {
		answered := false
		if q.turn < lastAgent {
			qs := st.stems(nil, q.text)
			// A question with no topic of its own ("Can you help?") is
			// answered by the agent's next turn, whatever it says.
			_, asksAction := hasAny(norm(q.text), actionQuestions)
			answered = len(qs) == 0 || asksAction
			for i := q.turn + 1; i < len(t.Turns) && !answered; i++ {
				if t.Turns[i].Author != Agent {
					continue
				}
				if agentStems[i] == nil {
					agentStems[i] = st.stems(nil, t.Turns[i].Text)
				}
				answered = overlap(qs, agentStems[i]) > 0
			}
		}
		if !answered && !open[q.text] {
			open[q.text] = true
			s.OpenQuestions = append(s.OpenQuestions, q.text)
		}
	}
	if len(s.OpenQuestions) > 5 {
		s.OpenQuestions = s.OpenQuestions[len(s.OpenQuestions)-5:]
	}

	// Next step: keep an open promise, else answer, else wait.
	lastCustomer := len(t.Turns) > 0 && t.Turns[len(t.Turns)-1].Author == Customer
	switch {
	case lastPromise >= 0 && lastCustomer:
		s.NextStep = l.keepPromise + ": " + s.Done[lastPromise].What
	case len(s.OpenQuestions) > 0:
		q := s.OpenQuestions[len(s.OpenQuestions)-1]
		if _, ok := hasAny(norm(q), actionQuestions); ok && s.Wants != "" {
			q += " (" + s.Wants + ")"
		}
		s.NextStep = l.answer + ": " + q
	case lastCustomer:
		s.NextStep = l.reply
	default:
		s.NextStep = l.wait
	}
	s.Text = summaryText(s, l)
	return s
}

// summaryText writes the summary as a few plain lines in its language.
func summaryText(s Summary, l labels) string {
	var b strings.Builder
	line := func(label, v string) {
		if v != "" {
			b.WriteString(label + ": " + v + "\n")
		}
	}
	line(l.wants, s.Wants)
	if len(s.Facts) > 0 {
		byKind := map[string][]string{}
		var kinds []string
		for _, f := range s.Facts {
			if byKind[f.Kind] == nil {
				kinds = append(kinds, f.Kind)
			}
			byKind[f.Kind] = append(byKind[f.Kind], f.Value)
		}
		// A few lines whatever the thread's length: the first two values
		// of a kind and the latest two.
		for k, vs := range byKind {
			if len(vs) > 4 {
				byKind[k] = []string{vs[0], vs[1], "…", vs[len(vs)-2], vs[len(vs)-1]}
			}
		}
		sort.SliceStable(kinds, func(i, j int) bool { return kindRank[kinds[i]] < kindRank[kinds[j]] })
		var parts []string
		for _, k := range kinds {
			parts = append(parts, l.kinds[k]+" "+strings.Join(byKind[k], ", "))
		}
		line(l.facts, strings.Join(parts, "; "))
	}
	var done []string
	for _, st := range s.Done {
		mark := ""
		if st.Promise {
			mark = l.promised + " "
		}
		done = append(done, mark+st.Who+": "+st.What)
	}
	if len(done) > 4 {
		done = done[len(done)-4:]
	}
	line(l.done, strings.Join(done, " / "))
	line(l.open, strings.Join(s.OpenQuestions, " / "))
	line(l.next, s.NextStep)
	return strings.TrimRight(b.String(), "\n")
}

var kindRank = map[string]int{"order": 0, "product": 1, "amount": 2, "tracking": 3, "date": 4, "email": 5, "phone": 6}

// Query is what to search the knowledge base for: the customer's request
// and the products they name, plus their most repeated content words.
func Query(t Thread, s Summary) string {
	var parts []string
	parts = append(parts, s.Wants)
	// The problem as first stated ("my blender arrived broken") names the
	// topic better than a request ("can you send another one?").
problem:
	for _, tu := range t.Turns {
		if tu.Author != Customer {
			continue
		}
		for _, sent := range sentences(tu.Text) {
			if wantScore(norm(sent), sent) >= 2 && !strings.Contains(s.Wants, sent) {
				parts = append(parts, sent)
				break problem
			}
		}
	}
	for _, f := range s.Facts {
		if f.Kind == "product" {
			parts = append(parts, f.Value)
		}
	}
	count := map[string]int{}
	var order []string
	for _, tu := range t.Turns {
		if tu.Author != Customer {
			continue
		}
		for _, w := range words(tu.Text) {
			if len(w) < 4 || stopwords[w] || generic[w] || isDigits(w) {
				continue
			}
			if count[w] == 0 {
				order = append(order, w)
			}
			count[w]++
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return count[order[i]] > count[order[j]] })
	if len(order) > 8 {
		order = order[:8]
	}
	parts = append(parts, order...)
	q := strings.Join(parts, " ")
	// Order numbers and amounts only add noise to a text search.
	var out []string
	for _, w := range strings.Fields(q) {
		if strings.ContainsAny(w, "0123456789#") {
			continue
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}

// What marks a customer's request, an attempt already made, an agent's
// action done and a promise still to keep.
var (
	requestMarkers = phrases(
		"i want", "i need", "i d like", "i would like", "can you", "could you", "please", "refund", "replace", "send me",
		"where is", "when will", "how do i", "how can i", "cancel", "change", "return", "exchange", "help",
		"je voudrais", "j aimerais", "je veux", "pouvez vous", "pourriez vous", "merci de", "besoin", "rembours", "renvoyer", "annuler",
		"quiero", "quisiera", "necesito", "pueden", "podrian", "puede", "por favor", "devolver", "reembols", "cancelar", "reenviar",
	)
	triedMarkers = phrases(
		"i already", "i ve already", "i have already", "i tried", "i ve tried", "i have tried", "already tried", "i checked", "checked with",
		"j ai deja", "j ai essaye", "j ai verifie", "deja essaye",
		"ya intente", "ya probe", "ya pregunte", "he intentado", "he probado", "ya he",
	)
	doneMarkers = phrases(
		"i ve", "i have", "we ve", "we have", "i sent", "we sent", "i refunded", "i cancelled", "i changed",
		"has been", "have been", "done", "is fixed",
		"j ai", "nous avons", "j ouvre", "je vous ai", "a ete", "ont ete", "c est fait",
		"he ", "hemos", "abro", "le envie", "ha sido", "han sido", "listo",
	)
	promiseMarkers = phrases(
		"i ll", "i will", "we ll", "we will", "i m going to", "let me", "i ll get back", "will get back",
		"je vais", "nous allons", "je vous recontacte", "je reviens vers vous", "je vous tiens",
		"voy a", "vamos a", "le escribo", "le escribire", "le aviso", "le contactare", "le enviare",
	)
)

// wantScore rates how much a customer sentence says what they want: a
// request or a question, a problem (broken, lost, charged twice, stopped
// working). Two or more is a request.
func wantScore(n, sent string) int {
	score := 0
	if _, ok := hasAny(n, requestMarkers); ok {
		score += 2
	}
	if isQuestion(sent) {
		score += 2
	}
	for _, ps := range [][]string{damageWords, lostWords, refundWords, faultWords} {
		if _, ok := hasAny(n, ps); ok {
			score += 2
			break
		}
	}
	return score
}
