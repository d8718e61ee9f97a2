package fill

import (
	"reflect"
	"testing"
)

func TestFill(t *testing.T) {
	vars := Vars{"contact.first_name": "", "contact.name": "Ana Pham", "agent.name": "Andy", "blank": "  "}
	for _, c := range []struct{ in, want string }{
		{"Thanks for your patience, {{contact.first_name}}!", "Thanks for your patience!"},
		{"Thanks for your patience, {{ contact.first_name }}.", "Thanks for your patience."},
		{"Hi {{contact.first_name}}, welcome back", "Hi, welcome back"},
		{"Hi {{contact.first_name}}!", "Hi!"},
		{"{{contact.first_name}}, your order shipped.", "your order shipped."},
		{"Line one\n{{contact.first_name}}, hello", "Line one\nhello"},
		{"Dear {{contact.name}}, I'm {{agent.name}}.", "Dear Ana Pham, I'm Andy."},
		{"Hello {{blank}} and welcome", "Hello and welcome"},
		{"Hi {{contact.first_name}}{{contact.first_name}}!", "Hi!"},
		{"Kept: {{order.id}}", "Kept: {{order.id}}"},
		{"No variables at all", "No variables at all"},
		{"Braces {{ not a var }} stay", "Braces {{ not a var }} stay"},
	} {
		if got := Fill(c.in, vars); got != c.want {
			t.Errorf("Fill(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestMissing(t *testing.T) {
	got := Missing("Hi {{contact.name}}, {{order.id}} and {{ contact.name }} {x}")
	if want := []string{"contact.name", "order.id"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Missing = %v, want %v", got, want)
	}
	if got := Missing("{{1}} is a provider template's, not ours"); got != nil {
		t.Errorf("Missing = %v", got)
	}
}
