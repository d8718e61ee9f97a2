package approval

import (
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

// TestCommitted: the money a reply commits back to the customer, in
// English, French and Spanish; amounts that commit nothing (an order's
// total, a charge on a credit card, an order number) count as 0.
func TestCommitted(t *testing.T) {
	for _, tc := range []struct {
		text     string
		amount   float64
		currency string
	}{
		{"I've issued a refund of $250.00 to your card; it takes 3-5 days.", 250, "USD"},
		{"Your order #12345 of $80 has shipped and arrives Friday.", 0, ""},
		{"Your order of $300 shipped. We will refund the $20 shipping fee.", 20, "USD"},
		{"Your credit card was charged $300 on 24/11.", 0, ""},
		{"As a goodwill gesture we'll credit your account with 15 EUR and refund 120 EUR.", 120, "EUR"},
		{"We will reimburse you USD 1,299.00 today.", 1299, "USD"},
		{"Nous vous remboursons 250,00 € dès aujourd'hui.", 250, "EUR"},
		{"Vous allez avoir 250 € de réduction sur la prochaine commande.", 0, ""},
		{"Nous vous accordons un avoir de 40 € sur votre compte.", 40, "EUR"},
		{"Le remboursement de 1 299,00 € apparaîtra sous 5 jours.", 1299, "EUR"},
		{"Votre commande de 89 € est partie ce matin.", 0, ""},
		{"Le hemos reembolsado 1.299,00 € a su tarjeta.", 1299, "EUR"},
		{"¡Le devolveremos 45 EUR esta semana!", 45, "EUR"},
		{"Su pedido de 60 € fue enviado; le abonaremos 12 € por el retraso.", 12, "EUR"},
		{"Su tarjeta de crédito fue cargada con 99 €.", 0, ""},
		{"We refund orders within 30 days.", 0, ""},
	} {
		amount, currency := Committed(tc.text)
		if amount != tc.amount || currency != tc.currency {
			t.Errorf("Committed(%q) = %v %q, want %v %q", tc.text, amount, currency, tc.amount, tc.currency)
		}
	}
}

// TestCompile: conditions are type-checked against Env when saved; bad
// ones are refused with expr's message.
func TestCompile(t *testing.T) {
	for _, good := range []string{
		`action == "reply" && amount > 100`,
		`amount >= 50 && currency == "EUR" || "vip" in labels`,
		`channel == "whatsapp" and agent_role == "agent" and priority in ["urgent", "high"]`,
		`text contains "refund" && inbox_id == 3 && agent_id != 0`,
	} {
		if _, err := Compile(good); err != nil {
			t.Errorf("Compile(%q): %v", good, err)
		}
	}
	for _, tc := range []struct{ src, want string }{
		{`amount >`, "unexpected token"},
		{`amount > "100"`, "invalid operation"},
		{`refund_amount > 100`, "unknown name refund_amount"},
		{`amount + 1`, "expected bool"},
		{`labels > 3`, "invalid operation"},
		{"", "condition is required"},
		{strings.Repeat("amount > 1 || ", 200) + "true", "longer than"},
	} {
		_, err := Compile(tc.src)
		if parley.ErrorCode(err) != parley.EINVALID || !strings.Contains(parley.ErrorMessage(err), tc.want) {
			t.Errorf("Compile(%.40q) = %v, want invalid with %q", tc.src, err, tc.want)
		}
	}
}

// TestMatchAndExplain: thresholds hold on the right side of the limit
// only, and the reason names the amount and the limit.
func TestMatchAndExplain(t *testing.T) {
	c, err := Compile(`action == "reply" && amount > 100`)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		amount float64
		want   bool
	}{{0, false}, {99.99, false}, {100, false}, {100.01, true}, {250, true}} {
		got, err := c.Match(Env{Action: "reply", Amount: tc.amount, Currency: "EUR", Labels: []string{}})
		if err != nil || got != tc.want {
			t.Errorf("amount %v: match %v, %v; want %v", tc.amount, got, err, tc.want)
		}
	}
	if got, _ := c.Match(Env{Action: "refund", Amount: 500}); got {
		t.Errorf("another action matched a reply policy")
	}
	env := Env{Action: "reply", Amount: 250, Currency: "EUR"}
	if got := c.Explain(env); got != "refund of 250.00 EUR > 100" {
		t.Errorf("Explain = %q", got)
	}
	flipped, _ := Compile(`100 <= amount`)
	if got := flipped.Explain(env); got != "refund of 250.00 EUR >= 100" {
		t.Errorf("Explain flipped = %q", got)
	}
	other, _ := Compile(`"vip" in labels`)
	if got := other.Explain(Env{Labels: []string{"vip"}}); got != `matched "vip" in labels` {
		t.Errorf("Explain without amount = %q", got)
	}
	vip, _ := Compile(`"vip" in labels && channel == "email"`)
	if hit, _ := vip.Match(Env{Labels: []string{"vip"}, Channel: "email"}); !hit {
		t.Errorf("labels and channel did not match")
	}
	if hit, _ := vip.Match(Env{Labels: []string{"new"}, Channel: "email"}); hit {
		t.Errorf("labels matched without vip")
	}
}
