package redact_test

import (
	"testing"

	"github.com/parleyhq/parley/internal/redact"
)

func TestText(t *testing.T) {
	names := []string{"Zoé Martin", "Sarah O'Neil", "José García"}
	for _, c := range []struct{ in, want string }{
		// English
		{"Email me at zoe.martin+shop@example.co.uk please", "Email me at [email] please"},
		{"Call +1 (415) 555-0134 or 415-555-0134", "Call [phone] or [phone]"},
		{"My card 4242 4242 4242 4242 was charged twice", "My card [card] was charged twice"},
		{"card 4242-4242-4242-4241 (typo, not Luhn)", "card 4242-4242-4242-4241 (typo, not Luhn)"},
		{"Order #10234 for $1,249.90 on 2026-03-02 at 10:30", "Order #10234 for $1,249.90 on 2026-03-02 at 10:30"},
		{"order 5531207, tracking 1Z999AA10123456784", "order 5531207, tracking 1Z999AA10123456784"},
		{"Hi Zoé, this is Sarah.", "Hi [name], this is [name]."},
		{"hi zoe martin", "hi [name] [name]"},
		{"We will martingale nothing", "We will martingale nothing"},
		// French
		{"Bonjour, je suis Zoé, mon numéro est le 06 12 34 56 78.", "Bonjour, je suis [name], mon numéro est le [phone]."},
		{"Virement sur FR76 3000 6000 0112 3456 7890 189 reçu", "Virement sur [iban] reçu"},
		{"Commande n° 48213 de 1 234,56 € le 12/03/2026", "Commande n° 48213 de 1 234,56 € le 12/03/2026"},
		{"Écrivez à service.client@boutique.fr", "Écrivez à [email]"},
		// Spanish
		{"Hola, soy José García, mi móvil es 612 345 678.", "Hola, soy [name] [name], mi móvil es [phone]."},
		{"Pedido #99812 por 45,00 EUR, IBAN ES91 2100 0418 4502 0005 1332", "Pedido #99812 por 45,00 EUR, IBAN [iban]"},
		{"Tarjeta 5555555555554444", "Tarjeta [card]"},
	} {
		if got := redact.Text(c.in, names...); got != c.want {
			t.Errorf("Text(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func TestNoNames(t *testing.T) {
	const s = "Nothing to hide: order #77, 3 items."
	if got := redact.Text(s); got != s {
		t.Fatalf("got %q", got)
	}
	if got := redact.Text("Li said hi to li", "Li"); got != "[name] said hi to li" {
		t.Fatalf("two-letter names match only as written: %q", got)
	}
}
