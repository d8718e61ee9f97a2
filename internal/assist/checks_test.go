package assist_test

import (
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/assist"
)

func fired(fs []assist.Finding) map[string]assist.Finding {
	m := map[string]assist.Finding{}
	for _, f := range fs {
		m[f.Check] = f
	}
	return m
}

// TestCheckLanguages runs every check in English, French and Spanish:
// each case says which checks must fire and which must not.
func TestCheckLanguages(t *testing.T) {
	upsetEN := thread(cust("This is ridiculous, third time I'm writing!!! Where is my lamp? Order 10790."))
	upsetFR := thread(cust("C'est inadmissible, troisième message !!! Où est ma lampe ? Commande 20790."))
	upsetES := thread(cust("¡¡¡Es inaceptable, tercer mensaje!!! ¿Dónde está mi lámpara? Pedido 30790."))
	calmEN := thread(cust("Hi, how do I return a lamp? It's unused. Order 10712."))
	calmFR := thread(cust("Bonjour, comment retourner une lampe ? Commande 20712."))
	calmES := thread(cust("Hola, ¿cómo devuelvo una lámpara? Pedido 30712."))
	cases := []struct {
		name      string
		th        *assist.Thread
		reply     string
		want, not []string
	}{
		{"en good", &calmEN, "Hi Anna,\n\nReturning the lamp is free: choose Return next to it under Account > Orders and drop the parcel at a post office. We refund you within 5 working days of receiving it.\n\nMaya", nil, []string{"*"}},
		{"en only question", &calmEN, "Why do you want to return it?", []string{assist.CheckOnlyQuestion, assist.CheckUnanswered}, []string{assist.CheckNextStep}},
		{"en bare promise", &calmEN, "Thanks, I'll check.", []string{assist.CheckBarePromise, assist.CheckNextStep}, nil},
		{"en curt", &calmEN, "Read the FAQ.", []string{assist.CheckCurt}, nil},
		{"en blame", &calmEN, "You should have read the return policy. You can return it within 30 days and I'll email the label today.", []string{assist.CheckBlame}, []string{assist.CheckNextStep}},
		{"en caps", &calmEN, "YOU MUST PRINT THE LABEL FIRST. I'll email it today.", []string{assist.CheckCaps}, nil},
		{"en no ack", &upsetEN, "Your lamp ships today and the tracking number follows by email tonight.", []string{assist.CheckNoAcknowledge}, []string{assist.CheckNextStep, assist.CheckUnanswered}},
		{"en ack", &upsetEN, "I'm so sorry you had to write three times. Your lamp ships today and the tracking number follows by email tonight.", nil, []string{"*"}},
		{"fr good", &calmFR, "Bonjour Anna,\n\nLe retour de la lampe est gratuit : choisissez Retourner dans Mon compte > Commandes. Nous vous remboursons sous 5 jours ouvrés.\n\nLucas", nil, []string{"*"}},
		{"fr only question", &calmFR, "Pourquoi voulez-vous la retourner ?", []string{assist.CheckOnlyQuestion}, nil},
		{"fr bare promise", &calmFR, "Je vais vérifier.", []string{assist.CheckBarePromise, assist.CheckNextStep}, nil},
		{"fr curt", &calmFR, "Comme je l'ai dit, lisez la FAQ.", []string{assist.CheckCurt}, nil},
		{"fr blame", &calmFR, "Vous auriez dû lire les conditions. Je vous envoie l'étiquette de retour de la lampe aujourd'hui.", []string{assist.CheckBlame}, nil},
		{"fr no ack", &upsetFR, "Votre lampe part aujourd'hui, je vous envoie le suivi ce soir.", []string{assist.CheckNoAcknowledge}, []string{assist.CheckNextStep}},
		{"fr ack", &upsetFR, "Je suis vraiment désolé. Votre lampe part aujourd'hui, je vous envoie le suivi ce soir.", nil, []string{"*"}},
		{"es good", &calmES, "Hola Anna:\n\nDevolver la lámpara es gratis: elija Devolver en Mi cuenta > Pedidos. Le reembolsamos en 5 días laborables tras recibirla.\n\nSofía", nil, []string{"*"}},
		{"es only question", &calmES, "¿Por qué quiere devolverla?", []string{assist.CheckOnlyQuestion}, nil},
		{"es bare promise", &calmES, "Lo reviso.", []string{assist.CheckBarePromise, assist.CheckNextStep}, nil},
		{"es curt", &calmES, "No es posible.", []string{assist.CheckCurt}, nil},
		{"es blame", &calmES, "Usted debió leer las condiciones. Hoy le envío la etiqueta para devolver la lámpara.", []string{assist.CheckBlame}, nil},
		{"es caps", &calmES, "DEBE IMPRIMIR LA ETIQUETA PRIMERO. Hoy se la envío.", []string{assist.CheckCaps}, nil},
		{"es no ack", &upsetES, "Su lámpara sale hoy y esta tarde le envío el seguimiento.", []string{assist.CheckNoAcknowledge}, nil},
		{"es ack", &upsetES, "Lo siento mucho. Su lámpara sale hoy y esta tarde le envío el seguimiento.", nil, []string{"*"}},
		{"closing a solved case", nil, "Glad it's sorted! Have a great day.", nil, []string{"*"}},
	}
	for _, c := range cases {
		got := fired(assist.Check(c.reply, c.th))
		for _, w := range c.want {
			f, ok := got[w]
			if !ok {
				t.Errorf("%s: %s did not fire (got %v)", c.name, w, got)
				continue
			}
			if f.Message == "" {
				t.Errorf("%s: %s has no message", c.name, w)
			}
			if strings.HasPrefix(w, "tone.") && f.Suggestion == "" {
				t.Errorf("%s: tone finding without a suggestion", c.name)
			}
		}
		for _, n := range c.not {
			if n == "*" && len(got) > 0 {
				t.Errorf("%s: want no finding, got %v", c.name, got)
			} else if _, ok := got[n]; ok && n != "*" {
				t.Errorf("%s: %s fired", c.name, n)
			}
		}
	}
}

// TestToneSuggestionsAreWarmer: the suggested rewrite of a curt or
// blaming reply no longer gets a tone finding.
func TestToneSuggestionsAreWarmer(t *testing.T) {
	for _, reply := range []string{"As I said, read the FAQ.", "You should have checked the address.", "NOT POSSIBLE. WAIT 7 DAYS.",
		"Comme je l'ai dit, lisez la FAQ.", "Vous auriez dû vérifier l'adresse.", "Como ya le dije, no es posible."} {
		for _, f := range assist.Check(reply, nil) {
			if !strings.HasPrefix(f.Check, "tone.") {
				continue
			}
			for _, g := range assist.Check(f.Suggestion, nil) {
				if strings.HasPrefix(g.Check, "tone.") {
					t.Errorf("%q → %q still gets %s", reply, f.Suggestion, g.Check)
				}
			}
		}
	}
}

func TestCheckEmptyVariable(t *testing.T) {
	th := thread(cust("Where is my order?"))
	for _, c := range []struct{ text, withName, without string }{
		{"Thanks, ! Your order ships today.", "Thanks Anna! Your order ships today.", "Thanks! Your order ships today."},
		{"Hi ,\nYour order ships today.", "Hi Anna,\nYour order ships today.", "Hi,\nYour order ships today."},
		{"Dear ,\nYour order ships today.", "Dear Anna,\nYour order ships today.", "Dear,\nYour order ships today."},
		{"Hi {{contact.name}}, your order ships today.", "Hi Anna, your order ships today.", "Hi, your order ships today."},
		{"Hola , su pedido sale hoy.", "Hola Anna, su pedido sale hoy.", "Hola, su pedido sale hoy."},
	} {
		f, ok := fired(assist.Check(c.text, &th))[assist.CheckEmptyVariable]
		if !ok || f.Suggestion != c.withName {
			t.Errorf("%q: got %+v, want suggestion %q", c.text, f, c.withName)
		}
		f = fired(assist.Check(c.text, nil))[assist.CheckEmptyVariable]
		if f.Suggestion != c.without {
			t.Errorf("%q without a thread: suggestion %q, want %q", c.text, f.Suggestion, c.without)
		}
	}
	if _, ok := fired(assist.Check("Thanks,\nMaya", nil))[assist.CheckEmptyVariable]; ok {
		t.Error("a sign-off is not an empty greeting")
	}
}

func TestCheckEmptyAndNil(t *testing.T) {
	if f := assist.Check("   ", nil); f == nil || len(f) != 0 {
		t.Errorf("blank reply: %v", f)
	}
	// With no conversation, the checks that need one stay quiet.
	got := fired(assist.Check("Your refund was issued today and shows within 5 working days.", nil))
	if len(got) != 0 {
		t.Errorf("nil thread: %v", got)
	}
}

func TestRewrite(t *testing.T) {
	w := assist.Rewrite("As I said, read the FAQ.", assist.RewriteWarmer, "en")
	if !w.Done || w.Engine != "offline" || !strings.HasPrefix(w.Text, "Hi,") || strings.Contains(w.Text, "As I said") || !strings.Contains(w.Text, "sorry") || !strings.HasSuffix(w.Text, "Best regards,") {
		t.Errorf("warmer: %+v", w)
	}
	if w := assist.Rewrite("Comme je l'ai dit, lisez la FAQ.", assist.RewriteWarmer, ""); !strings.HasPrefix(w.Text, "Bonjour,") || !strings.Contains(w.Text, "désolé") {
		t.Errorf("warmer fr: %+v", w)
	}
	if w := assist.Rewrite("No es posible.", assist.RewriteWarmer, "es"); !strings.HasPrefix(w.Text, "Hola:") || !strings.Contains(w.Text, "alcance") {
		t.Errorf("warmer es: %+v", w)
	}
	s := assist.Rewrite("I just wanted to let you know that your refund was really issued today. Your refund was really issued today.", assist.RewriteShorter, "en")
	if s.Text != "Your refund was issued today." {
		t.Errorf("shorter: %q", s.Text)
	}
	f := assist.Rewrite("Hey, I'm sorry, we can't do that. It's our policy. Thanks!", assist.RewriteFormal, "en")
	if f.Text != "Hello, I am sorry, we cannot do that. It is our policy. Thank you." {
		t.Errorf("formal: %q", f.Text)
	}
	g := assist.Rewrite("hello , i checked your order!!! it ships today ,tracking follows.", assist.RewriteGrammar, "en")
	if g.Text != "Hello, I checked your order! It ships today, tracking follows." {
		t.Errorf("grammar: %q", g.Text)
	}
	if tr := assist.Rewrite("Hello", assist.RewriteTranslate, "fr"); tr.Done || tr.Text != "Hello" || !strings.Contains(tr.Note, "model") {
		t.Errorf("translate: %+v", tr)
	}
	if u := assist.Rewrite("Hello", "pirate", "en"); u.Done || !strings.Contains(u.Note, "warmer") {
		t.Errorf("unknown: %+v", u)
	}
	if len(assist.RewriteKinds()) != 5 {
		t.Errorf("kinds: %v", assist.RewriteKinds())
	}
}
