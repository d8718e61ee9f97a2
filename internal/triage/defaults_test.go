package triage

import (
	"reflect"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

// MustDefaults returns the default rules compiled, failing tb if they do not
// validate.
func MustDefaults(tb testing.TB) *Matcher {
	tb.Helper()
	d := Defaults()
	if err := d.Validate(); err != nil {
		tb.Fatalf("Defaults().Validate() = %v", err)
	}
	return d.Compile()
}

func TestDefaultsMatch(t *testing.T) {
	m := MustDefaults(t)
	for rule, texts := range map[string][]string{
		"Payment failed": {
			"Hi, my payment failed at checkout",
			"My card was declined but I have money on it",
			"Shop ơi, thanh toán thất bại rồi",
			"thanh toan khong thanh cong", // typed without accents
			"THẺ BỊ TỪ CHỐI",
			"Ma carte a été refusée",
			"Échec du paiement, que faire ?",
			"Mi tarjeta fue rechazada",
			"el pago falló otra vez",
			"Die Zahlung ist fehlgeschlagen",
			"Meine Karte wurde abgelehnt.",
			"Meu cartão foi recusado",
		},
		"Charged twice": {
			"You charged me twice for the same order",
			"I was double-charged!!",
			"I was CHARGED TWICE",
			"Em bị trừ tiền 2 lần shop ơi",
			"đã bị trừ tiền hai lần",
			"bi tru tien hai lan",
			"J'ai été débité deux fois",
			"Me cobraron dos veces",
			"Der Betrag wurde zweimal abgebucht",
			"Fui cobrado duas vezes",
		},
		"Fraud": {
			"This is FRAUD.",
			"someone used my stolen card",
			"I did not authorize this charge",
			"Shop lừa đảo à?",
			"C'est une arnaque",
			"Esto es una estafa",
			"Das ist Betrug!",
			"Isso é golpe?",
		},
		"Account hacked": {
			"My account was hacked",
			"someone logged into my account last night",
			"Tài khoản của tôi bị hack rồi",
			"Mon compte a été piraté",
			"Me hackearon la cuenta",
			"Mein Konto wurde gehackt",
			"Minha conta foi invadida",
		},
		"Security issue": {
			"I want to report a security breach",
			"Got a phishing email pretending to be you",
			"Có phải shop bị lộ thông tin khách hàng không?",
			"Il y a une faille de sécurité sur votre site",
			"Creo que hubo una fuga de datos",
			"Ich habe eine Sicherheitslücke gefunden",
			"Houve um vazamento de dados?",
		},
		"Price question": {
			"What's the price?",
			"I love your price list",
			"How much is the blue one?",
			"Áo này giá bao nhiêu vậy shop?",
			"bao nhieu tien vay",
			"Quel est le prix ?",
			"¿Cuánto cuesta el envío?",
			"Was kostet das?",
			"Qual o valor?",
		},
		"Stock question": {
			"Is the L size in stock?",
			"Mẫu này còn hàng không ạ?",
			"C'est en stock ?",
			"¿Hay stock en talla M?",
			"Ist das auf Lager?",
			"Tem estoque?",
		},
		"Wants to order": {
			"I'd like to order 3 of these",
			"Where can I buy it?",
			"Mình muốn mua 2 cái",
			"chốt đơn nhé shop",
			"Je voudrais commander",
			"Quiero comprar dos",
			"Ich möchte bestellen",
			"Quero fazer um pedido",
		},
		"Large order": {
			"My cart comes to $250",
			"Total: 1.299,00 €",
			"£300 in the basket",
			"that's 250 EUR with shipping",
			"I have USD 200 to spend",
		},
		"Large order (VND)": {
			"Tổng đơn 5.500.000đ",
			"6,000,000 VND",
			"tầm 5 triệu đồng",
			"đơn 8tr đ",
		},
	} {
		for _, text := range texts {
			_, names, ok := m.Match(text)
			if !ok || !contains(names, rule) {
				t.Errorf("Match(%q) = %v, %v; want %q among the names", text, names, ok, rule)
			}
		}
	}
}

func TestDefaultsIgnore(t *testing.T) {
	m := MustDefaults(t)
	for _, text := range []string{
		"We are hosting a hackathon next week",
		"Thanks, got it!",
		"order #12345 hasn't arrived yet",
		"Call me at +84 90 123 4567",
		"It was delivered on 2026-11-24",
		"Frauke sent the parcel", // "frau…" is not "fraud"
		"Please send it to 250 Main Street",
		"The security guard signed for my package", // "security" alone is chatter
		"thanks for the quick payment confirmation",
		"Tôi muốn hỏi về việc tham gia chương trình", // "giá" is not a phrase: "tham gia"
		"Gia đình tôi rất thích sản phẩm",
		"My order 4567890 for 2 shirts",
		"The box weighs 250 kg",
		"I paid $199.99 for it",          // under 200
		"Tổng đơn 4.999.000đ",            // under 5,000,000
		"Cost me 30,000 JPY",             // not a default currency
		"the payment has not failed yet", // words apart do not match "payment failed"
	} {
		if p, names, ok := m.Match(text); ok {
			t.Errorf("Match(%q) = %s %v, want no match", text, p, names)
		}
	}
}

// Negation is not understood; see the package comment.
func TestDefaultsNegation(t *testing.T) {
	m := MustDefaults(t)
	if p, _, _ := m.Match("no fraud here, just a question"); p != parley.PriorityUrgent {
		t.Errorf(`"no fraud here" = %q; documented to stay urgent`, p)
	}
}

// Every default phrase must match a message that contains it, whatever
// its case and punctuation, and only its own rule's phrases must be
// identical after folding.
func TestDefaultsPhrases(t *testing.T) {
	rules := Defaults()
	m := rules.Compile()
	total := 0
	for _, r := range rules {
		seen := map[string]bool{}
		total += len(r.Phrases)
		if len(r.Phrases) > 60 {
			t.Errorf("%s: %d phrases; keep defaults to tens", r.Name, len(r.Phrases))
		}
		for _, ph := range r.Phrases {
			n := normalize(ph)
			if seen[n] {
				t.Errorf("%s: phrase %q is listed twice (as %q)", r.Name, ph, n)
			}
			seen[n] = true
			text := "Hello, " + strings.ToUpper(ph) + "!"
			if _, names, ok := m.Match(text); !ok || !contains(names, r.Name) && !urgentOver(m, text, r) {
				t.Errorf("%s: %q does not match its own phrase (got %v)", r.Name, text, names)
			}
		}
	}
	t.Logf("%d default phrases", total)
}

// urgentOver reports whether text matched an urgent rule that hides r.
func urgentOver(m *Matcher, text string, r Rule) bool {
	p, _, _ := m.Match(text)
	return r.Priority == parley.PriorityHigh && p == parley.PriorityUrgent
}

func TestDefaultsFreshCopy(t *testing.T) {
	a := Defaults()
	a[0].Phrases[0] = "changed"
	a[0].Name = "changed"
	if b := Defaults(); reflect.DeepEqual(a, b) {
		t.Error("Defaults() shares state between calls")
	}
}
