package specialist

import (
	"strings"
	"testing"

	"github.com/a2aproject/a2a-go/v2/a2a"
)

// TestOrderIn: where a message's order id is found, and what the agent
// waits for when there is not exactly one.
func TestOrderIn(t *testing.T) {
	data := func(v any) *a2a.Part { return a2a.NewDataPart(map[string]any{"order_id": v}) }
	text := a2a.NewTextPart
	for _, c := range []struct {
		parts []*a2a.Part
		order string
		state a2a.TaskState
		why   string
	}{
		{[]*a2a.Part{data("A1001")}, "A1001", "", ""},
		{[]*a2a.Part{data("ord_77-x")}, "ord_77-x", "", ""}, // a real shop's own shape, kept as given
		{[]*a2a.Part{data(float64(123456))}, "123456", "", ""},
		{[]*a2a.Part{text("about A1001"), data("A1002")}, "A1002", "", ""}, // data wins
		{[]*a2a.Part{data(""), text("it's b2002.")}, "B2002", "", ""},
		{[]*a2a.Part{text("A1001, again A1001")}, "A1001", "", ""},
		{[]*a2a.Part{text("order XA1001 or A10012")}, "", a2a.TaskStateInputRequired, "names none"},
		{[]*a2a.Part{text("A1001"), text("A1002")}, "", a2a.TaskStateInputRequired, "several (A1001, A1002)"},
		{[]*a2a.Part{data("a/../b")}, "", a2a.TaskStateRejected, "not an order id"},
		{[]*a2a.Part{data(1.5)}, "", a2a.TaskStateRejected, "not an order id"},
		{[]*a2a.Part{data(map[string]any{})}, "", a2a.TaskStateRejected, "not an order id"},
	} {
		order, state, why := orderIn(a2a.NewMessage(a2a.MessageRoleUser, c.parts...))
		if order != c.order || state != c.state || !strings.Contains(why, c.why) {
			t.Errorf("%v: %q %s %q, want %q %s %q", c.parts, order, state, why, c.order, c.state, c.why)
		}
	}
}

// TestOneLine: the shop's text is one bounded line in a sentence.
func TestOneLine(t *testing.T) {
	if got := oneLine("  in\ttransit\r\n\x1b[31m now "); got != "in transit [31m now" {
		t.Errorf("%q", got)
	}
	if got := []rune(oneLine(strings.Repeat("é", 300))); len(got) != 120 || got[119] != '…' {
		t.Errorf("%d runes", len(got))
	}
}
