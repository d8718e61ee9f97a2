package triage

import (
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

// Customers conjugate, add articles and auxiliaries, and type with or
// without accents; the default rules must still read them. Several
// natural phrasings per language, none of them a default phrase as
// written.
func TestDefaultsNaturalPhrasing(t *testing.T) {
	m := MustDefaults(t)
	for lang, cases := range map[string]map[string][]string{
		"en": {
			"Payment failed": {"My payment has failed", "the payments keep failing", "my card has been declined again", "Payment FAILS every time"},
			"Charged twice":  {"they charged my card twice", "I have been charged twice", "you double-charged me"},
			"Account hacked": {"someone has logged into my account", "my account got hacked", "Somebody hacked my account"},
			"Fraud":          {"I think I've been scammed", "these charges are fraudulent", "this looks like a scam"},
			"Price question": {"what are your prices?", "how much does the blue one cost"},
		},
		"fr": {
			"Payment failed": {"Mon paiement a échoué", "mon paiement a echoue", "Le paiement a encore échoué", "ma carte a été refusée", "Ma carte bancaire a été refusée", "mes paiements ont échoué"},
			"Charged twice":  {"On m'a débité deux fois", "j'ai été prélevée deux fois", "vous m'avez débitée deux fois"},
			"Account hacked": {"Quelqu'un s'est connecté à mon compte", "quelqu'un s'est connecté sur mon compte", "Mon compte a été piraté", "on a piraté mon compte", "mes comptes ont été piratés"},
			"Fraud":          {"c'est une arnaque", "des paiements non autorisés sur ma carte"},
			"Price question": {"combien coûtent les chaussures ?", "quels sont vos tarifs"},
		},
		"es": {
			"Payment failed": {"Mi pago falló", "mi pago fallo", "el pago ha fallado", "Mi pago fue rechazado", "mi tarjeta de crédito fue rechazada", "los pagos fallaron"},
			"Charged twice":  {"Me cobraron dos veces", "me han cobrado dos veces", "me cobró dos veces"},
			"Account hacked": {"Alguien entró a mi cuenta", "alguien accedió a mi cuenta", "mi cuenta fue hackeada", "me hackearon la cuenta"},
			"Price question": {"¿cuánto cuestan?", "¿cuáles son los precios?"},
		},
		"de": {
			"Payment failed": {"Meine Zahlung ist fehlgeschlagen", "Die Zahlung wurde leider abgelehnt", "meine Karte wurde schon wieder abgelehnt"},
			"Account hacked": {"Mein Konto wurde gehackt", "Jemand hat sich in mein Konto eingeloggt"},
		},
		"pt": {
			"Payment failed": {"O meu pagamento falhou", "Meu pagamento foi recusado", "meu cartão foi recusado de novo"},
			"Charged twice":  {"Fui cobrado duas vezes", "fui cobrada duas vezes"},
			"Account hacked": {"Alguém entrou na minha conta", "minha conta foi invadida"},
		},
	} {
		for rule, texts := range cases {
			for _, text := range texts {
				if _, names, ok := m.Match(text); !ok || !contains(names, rule) {
					t.Errorf("%s: Match(%q) = %v; want %q", lang, text, names, rule)
				}
			}
		}
	}
}

// What stemming and skipping must not do: let a negation through, join
// words that only look alike, or read routine messages as emergencies.
func TestDefaultsNaturalNegatives(t *testing.T) {
	m := MustDefaults(t)
	for _, text := range []string{
		// a negation between the words stops the phrase
		"my payment has not failed", "mon paiement n'a pas échoué", "mi pago no falló", "Die Zahlung ist nicht fehlgeschlagen",
		"o pagamento não falhou",
		// words that share letters but not a stem
		"The scampi was great", "our hackathon team", "a prized possession", "the account manager called",
		// routine messages
		"my order is now two weeks late", "I'd like the order cancelled", "I want my order refunded",
		"I'll hold the order for now", "Payment received, thanks", "paiement reçu, merci", "pago recibido, gracias",
		"Zahlung erhalten, danke", "pagamento recebido, obrigado", "I'm reading about the payment process",
		"j'ai reçu mon colis", "¿dónde está mi pedido?", "Wo ist mein Paket?", "cadê meu pedido?",
		"Quelqu'un peut m'aider ?", "Alguien me puede ayudar", "I logged into my account to check the tracking",
	} {
		if p, names, ok := m.Match(text); ok {
			t.Errorf("Match(%q) = %s %v, want no match", text, p, names)
		}
	}
}

// Admin-written phrases are matched the same way: word forms and function
// words in between, but every word of the phrase, in order.
func TestAdminPhrasesStemmed(t *testing.T) {
	m := Rules{
		{Name: "VIP", Priority: parley.PriorityHigh, Phrases: []string{"gold member"}, Enabled: true},
		{Name: "Refund now", Priority: parley.PriorityUrgent, Phrases: []string{"refund now"}, Enabled: true},
		{Name: "Mine", Priority: parley.PriorityHigh, Phrases: []string{"my subscription"}, Enabled: true},
		{Name: "Cancel", Priority: parley.PriorityHigh, Phrases: []string{"annuler abonnement"}, Enabled: true},
		{Name: "Article", Priority: parley.PriorityHigh, Phrases: []string{"résilier l'abonnement"}, Enabled: true},
	}.Compile()
	for text, want := range map[string]string{
		"I'm a Gold Member":                      "VIP",
		"we are gold members":                    "VIP",
		"gold membership":                        "", // another word, another stem
		"refund now please":                      "Refund now",
		"refund it now":                          "", // "it" is not passed over
		"refund later, not now":                  "",
		"my subscription renewed":                "Mine",
		"the subscription renewed":               "", // every word of the phrase is needed
		"je veux annuler mon abonnement":         "Cancel",
		"comment annuler l'abonnement":           "Cancel",
		"impossible d'annuler cet abonnement ?":  "", // "cet" is not a function word Parley skips
		"je veux résilier l'abonnement":          "Article",
		"je veux résilier mon abonnement":        "",       // a word of the phrase, even "l'", is needed
		"je ne veux pas annuler mes abonnements": "Cancel", // negation before the phrase is not understood
		"annuler, puis reprendre l'abonnement":   "",
	} {
		_, names, ok := m.Match(text)
		if want == "" && ok || want != "" && !contains(names, want) {
			t.Errorf("Match(%q) = %v, %v; want %q", text, names, ok, want)
		}
	}
}

// Negations must never be passed over, or "not failed" would read as
// "failed".
func TestSkippableHoldsNoNegation(t *testing.T) {
	for _, w := range []string{"not", "no", "never", "nothing", "don", "didn", "isn", "wasn", "t", "n", "ne", "pas", "jamais", "rien",
		"nunca", "nada", "ni", "nicht", "kein", "keine", "nie", "nao", "nem", "khong", "chua", "now", "is", "was", "to", "it", "for"} {
		if skippable[w] {
			t.Errorf("%q is skippable", w)
		}
	}
}

func TestWholeWordsStillWhole(t *testing.T) {
	m := Rules{{Name: "Fraud", Priority: parley.PriorityUrgent, Phrases: []string{"fraud"}, Enabled: true}}.Compile()
	for text, want := range map[string]bool{"FRAUDS!": true, "defraudation": false, "Frauke": false} {
		if _, _, ok := m.Match(text); ok != want {
			t.Errorf("Match(%q) = %v, want %v", text, ok, want)
		}
	}
}
