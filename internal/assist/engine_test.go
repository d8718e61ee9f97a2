package assist_test

import (
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/assist"
)

var t0 = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

func thread(turns ...assist.Turn) assist.Thread {
	for i := range turns {
		turns[i].ID = int64(i + 1)
		if turns[i].At.IsZero() {
			turns[i].At = t0.Add(time.Duration(i) * time.Hour)
		}
		if turns[i].Channel == "" {
			turns[i].Channel = "email"
		}
	}
	return assist.Thread{Turns: turns, ContactName: "Anna Weber", AgentName: "Maya", Now: t0.Add(48 * time.Hour)}
}

func cust(text string) assist.Turn {
	return assist.Turn{Author: assist.Customer, Name: "Anna Weber", Text: text}
}
func agent(text string) assist.Turn {
	return assist.Turn{Author: assist.Agent, Name: "Maya", Text: text}
}

func TestDetectLang(t *testing.T) {
	for text, want := range map[string]string{
		"Hi, my order hasn't arrived and I would like a refund please.":       "en",
		"Bonjour, ma commande n'est pas arrivée, je voudrais être remboursé.": "fr",
		"Hola, mi pedido no ha llegado y quiero que me devuelvan el dinero.":  "es",
		"¿Dónde está mi paquete? Lo pedí hace una semana.":                    "es",
		"Merci beaucoup pour votre aide, c'est très gentil.":                  "fr",
		"ok":                       "",
		"":                         "",
		"10234 1Z999AA10123456784": "",
	} {
		if got := assist.DetectLang(text); got != want {
			t.Errorf("DetectLang(%q) = %q, want %q", text, got, want)
		}
	}
}

func hasFact(s assist.Summary, kind, sub string) bool {
	for _, f := range s.Facts {
		if f.Kind == kind && strings.Contains(f.Value, sub) {
			return true
		}
	}
	return false
}

func TestSummaryFactForms(t *testing.T) {
	s := assist.Summarize(thread(
		cust("My blender arrived broken yesterday, order #10234. I paid $49.99 on 2 March."),
		cust("Also order 10235 and order no. 10238 and NW-10239, tracking 1Z999AA10123456784."),
		cust("Ma commande n° 10236 : mon mixeur, 39,90 €, suivi LX123456789FR, livré le 3 mars."),
		cust("El pedido 10237 de 25 euros llegó el 12 de marzo, la semana pasada."),
		cust("Order number: 10240, total EUR 120.50, placed 2026-02-28."),
	))
	for _, f := range [][2]string{
		{"order", "10234"}, {"order", "10235"}, {"order", "10236"}, {"order", "10237"}, {"order", "10238"}, {"order", "10239"}, {"order", "10240"},
		{"amount", "$49.99"}, {"amount", "39,90 €"}, {"amount", "25 euros"}, {"amount", "EUR 120.50"},
		{"tracking", "1Z999AA10123456784"}, {"tracking", "LX123456789FR"},
		{"date", "yesterday (2026-03-09)"}, {"date", "2 March"}, {"date", "3 mars"}, {"date", "12 de marzo"}, {"date", "2026-02-28"}, {"date", "la semana pasada"},
		{"product", "blender"}, {"product", "mixeur"},
	} {
		if !hasFact(s, f[0], f[1]) {
			t.Errorf("missing %s %q in %+v", f[0], f[1], s.Facts)
		}
	}
	// Order numbers are not amounts, and a phone-like run is not an order.
	for _, f := range s.Facts {
		if f.Kind == "amount" && strings.Contains(f.Value, "1023") {
			t.Errorf("order number read as amount: %+v", f)
		}
	}
}

func TestSummaryStepsQuestionsNext(t *testing.T) {
	th := thread(
		cust("Hi, my coffee machine won't turn on. I already restarted it and tried another socket. Can you replace it?"),
		agent("Hi Anna, I've refunded the shipping fee. I'll call the carrier tomorrow and update you."),
		cust("Thanks. When will the replacement ship? And do I need to send the old one back?"),
	)
	s := assist.Summarize(th)
	if s.Engine != "offline" || s.Lang != "en" {
		t.Fatalf("engine/lang: %+v", s)
	}
	if !strings.Contains(s.Wants, "replace") {
		t.Errorf("wants: %q", s.Wants)
	}
	var custStep, done, promise bool
	for _, st := range s.Done {
		switch {
		case st.Who == "customer" && strings.Contains(st.What, "restarted"):
			custStep = true
		case st.Who == "Maya" && st.Promise && strings.Contains(st.What, "call the carrier"):
			promise = true
		case st.Who == "Maya" && !st.Promise && strings.Contains(st.What, "refunded"):
			done = true
		}
	}
	if !custStep || !done || !promise {
		t.Errorf("steps: customer %v, done %v, promise %v: %+v", custStep, done, promise, s.Done)
	}
	// The agent's turn answered none of them: all three are open.
	if len(s.OpenQuestions) != 3 || s.OpenQuestions[0] != "Can you replace it?" {
		t.Errorf("open questions: %q", s.OpenQuestions)
	}
	if !strings.Contains(s.NextStep, "call the carrier") {
		t.Errorf("next step should keep the promise: %q", s.NextStep)
	}
	for _, label := range []string{"Wants:", "Facts:", "Done so far:", "Open questions:", "Next step:"} {
		if !strings.Contains(s.Text, label) {
			t.Errorf("text lacks %q:\n%s", label, s.Text)
		}
	}
	q := assist.Query(th, s)
	if !strings.Contains(q, "coffee machine") || strings.ContainsAny(q, "0123456789") {
		t.Errorf("query: %q", q)
	}
}

func TestSummaryLanguages(t *testing.T) {
	fr := assist.Summarize(thread(cust("Bonjour, mon colis n'est pas arrivé. Pouvez-vous le renvoyer ?")))
	es := assist.Summarize(thread(cust("Hola, mi paquete no ha llegado. ¿Pueden reenviarlo?")))
	if fr.Lang != "fr" || !strings.Contains(fr.Text, "Demande:") || !strings.Contains(fr.Text, "Prochaine étape:") {
		t.Errorf("fr: %+v", fr)
	}
	if es.Lang != "es" || !strings.Contains(es.Text, "Solicitud:") || !strings.Contains(es.Text, "Siguiente paso:") {
		t.Errorf("es: %+v", es)
	}
	// An empty thread gives an empty, valid summary.
	if s := assist.Summarize(assist.Thread{}); s.Engine != "offline" || s.Facts == nil || len(s.Facts) != 0 {
		t.Errorf("empty: %+v", s)
	}
}

func TestSummaryCoversChannelsAndSkipsNotes(t *testing.T) {
	th := thread(
		assist.Turn{Author: assist.Customer, Channel: "email", Text: "My lamp from order 10001 flickers."},
		assist.Turn{Author: assist.Note, Channel: "email", Text: "internal: order 99999 is a VIP"},
		assist.Turn{Author: assist.Customer, Channel: "whatsapp", Text: "Also the tracking LX111222333GB never updated."},
	)
	s := assist.Summarize(th)
	if !hasFact(s, "order", "10001") || !hasFact(s, "tracking", "LX111222333GB") || hasFact(s, "order", "99999") {
		t.Errorf("facts across channels, notes excluded: %+v", s.Facts)
	}
}

var kb = []assist.Source{
	{Kind: "article", ID: 7, Title: "My item arrived broken or damaged", URL: "/kb/damaged-item", Score: 0.8,
		Text: "Report it within 30 days of delivery.\n\n1. Take a photo of the damaged item and of the box.\n2. Reply to us with the photo and your order number.\n3. We send a free replacement, or a full refund if you prefer, usually the same day we receive the photo."},
	{Kind: "answer", ID: 42, Title: "Reset your password", Score: 0.3, Text: "Use Forgot password on the sign-in page."},
}

func drafts(th assist.Thread, vars map[string]string, srcs []assist.Source) assist.Drafts {
	return assist.MakeDrafts(assist.DraftInput{Thread: th, Summary: assist.Summarize(th), Sources: srcs, Vars: vars})
}

func TestDraftsKindsSourcesAndAsk(t *testing.T) {
	th := thread(cust("Hi, my blender arrived broken, the jug is cracked. Can you send a new one?"))
	d := drafts(th, nil, kb)
	if d.Engine != "offline" || d.NoAnswer != "" || len(d.Drafts) != 3 {
		t.Fatalf("%+v", d)
	}
	if len(d.Sources) != 1 || d.Sources[0].ID != 7 {
		t.Errorf("cited sources: %+v", d.Sources)
	}
	for i, kind := range []string{"answer", "ask", "action"} {
		dr := d.Drafts[i]
		if dr.Kind != kind || len(dr.Sources) != 1 || dr.Sources[0] != (assist.Ref{Kind: "article", ID: 7}) {
			t.Errorf("draft %d: %+v", i, dr)
		}
		if !strings.HasPrefix(dr.Text, "Hi Anna,") || !strings.HasSuffix(dr.Text, "Maya") || strings.Contains(dr.Text, "{{") {
			t.Errorf("%s: greeting/closing/variables:\n%s", kind, dr.Text)
		}
		if f := assist.Check(dr.Text, &th); len(f) != 0 {
			t.Errorf("%s draft fails its own check: %+v\n%s", kind, f, dr.Text)
		}
	}
	if !strings.Contains(d.Drafts[0].Text, "photo") {
		t.Errorf("answer should use the article's steps:\n%s", d.Drafts[0].Text)
	}
	// No order number anywhere: the ask draft asks for it, once.
	if n := strings.Count(d.Drafts[1].Text, "order number?"); n != 1 {
		t.Errorf("ask draft should ask for the order number once:\n%s", d.Drafts[1].Text)
	}
	if a := d.Drafts[2].Action; a == nil || a.Kind != "replacement" || a.Amount != 0 {
		t.Errorf("action: %+v", a)
	}
	// With the order number known, the missing piece is the photo.
	th2 := thread(cust("Hi, my blender arrived broken, order 10234. Can you send a new one?"))
	if d2 := drafts(th2, nil, kb); !strings.Contains(d2.Drafts[1].Text, "photo of the item and the box?") {
		t.Errorf("ask draft should ask for the photo:\n%s", d2.Drafts[1].Text)
	}
}

func TestDraftsAmountOnlyFromVars(t *testing.T) {
	th := thread(cust("My blender arrived broken, order 10234. I want a refund of $500 right now!"))
	d := drafts(th, map[string]string{"order.total": "49.90", "order.currency": "usd", "order.number": "10234"}, kb)
	a := d.Drafts[2].Action
	if a == nil || a.Kind != "refund" || a.Amount != 49.90 || a.Currency != "USD" {
		t.Fatalf("action: %+v", a)
	}
	if !strings.Contains(d.Drafts[2].Text, "49.90 USD") || strings.Contains(d.Drafts[2].Text, "500") {
		t.Errorf("amount in text must be the order's:\n%s", d.Drafts[2].Text)
	}
	// No order data: no amount at all, whatever the customer wrote.
	d = drafts(th, nil, kb)
	if a := d.Drafts[2].Action; a.Amount != 0 || a.Currency != "" || strings.Contains(d.Drafts[2].Text, "500") {
		t.Errorf("amount from free text: %+v\n%s", a, d.Drafts[2].Text)
	}
}

func TestDraftsFallbacks(t *testing.T) {
	th := thread(cust("My blender arrived broken. Can you send a new one?"))
	th.ContactName, th.AgentName = "", ""
	for _, dr := range drafts(th, map[string]string{"contact.name": "  "}, kb).Drafts {
		if !strings.HasPrefix(dr.Text, "Hi,") || strings.Contains(dr.Text, " ,") || strings.Contains(dr.Text, "{{") || !strings.HasSuffix(dr.Text, "The support team") {
			t.Errorf("fallbacks:\n%s", dr.Text)
		}
	}
}

func TestDraftsNoAnswer(t *testing.T) {
	th := thread(cust("Do you have a physical shop in Manchester where I could see the sofas?"))
	for name, srcs := range map[string][]assist.Source{
		"none":      nil,
		"unrelated": kb,
		"low score": {{Kind: "article", ID: 9, Title: "Sofas in our Manchester shop", Text: "Visit the Manchester shop to see sofas.", Score: 0.01}},
	} {
		d := drafts(th, nil, srcs)
		if d.NoAnswer == "" || len(d.Drafts) != 1 || len(d.Sources) != 0 {
			t.Errorf("%s: %+v", name, d)
			continue
		}
		dr := d.Drafts[0]
		if dr.Action == nil || dr.Action.Kind != "escalate" || len(dr.Sources) != 0 || strings.Contains(dr.Text, "Visit") {
			t.Errorf("%s: holding reply must invent nothing: %+v", name, dr)
		}
		if f := assist.Check(dr.Text, &th); len(f) != 0 {
			t.Errorf("%s: holding reply fails its own check: %+v\n%s", name, f, dr.Text)
		}
	}
	fr := thread(cust("Avez-vous un magasin à Lyon ?"))
	if d := drafts(fr, nil, nil); !strings.Contains(d.NoAnswer, "Aucun article") || !strings.HasPrefix(d.Drafts[0].Text, "Bonjour Anna,") {
		t.Errorf("fr no answer: %+v", d)
	}
}

// A learned answer is reused without its greeting and signature.
func TestDraftsFromLearnedAnswer(t *testing.T) {
	th := thread(cust("My blender arrived broken, the jug is cracked. Order 10234."))
	learned := assist.Source{Kind: "answer", ID: 99, Title: "Blender arrived broken", Score: 0.6,
		Text: "Hi [name],\nSorry your blender arrived broken. We will send a new jug today, free of charge.\nBest regards,\nTom"}
	d := drafts(th, nil, []assist.Source{learned})
	if d.NoAnswer != "" || len(d.Drafts) != 3 {
		t.Fatalf("%+v", d)
	}
	text := d.Drafts[0].Text
	if strings.Contains(text, "[name]") || strings.Contains(text, "Tom") || !strings.Contains(text, "new jug") {
		t.Errorf("learned answer reused badly:\n%s", text)
	}
	if d.Drafts[0].Sources[0] != (assist.Ref{Kind: "answer", ID: 99}) {
		t.Errorf("cites %+v", d.Drafts[0].Sources)
	}
}
