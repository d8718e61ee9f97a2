package inbox_test

import (
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// TestNoDanglingVariables: a text with a variable the customer has no
// value for never reaches them with a gap, whoever fills it; an agent's
// reply with a variable left in braces is refused and nothing is sent;
// a canned response with an unknown variable cannot be saved.
func TestNoDanglingVariables(t *testing.T) {
	f := setup(t, "sqlite")
	nameless := parley.Contact{Email: "x@example.com"}
	agent := parley.Agent{Name: "Andy Agent"}
	if got := inbox.FillCanned("Thanks for your patience, {{contact.first_name}}!", nameless, agent); got != "Thanks for your patience!" {
		t.Errorf("canned for a contact with no name: %q", got)
	}
	if got := inbox.FillCanned("Hi {{contact.first_name}}, I'm {{agent.name}}.", parley.Contact{Name: "Ana Pham"}, agent); got != "Hi Ana, I'm Andy Agent." {
		t.Errorf("canned with values: %q", got)
	}

	// The acknowledgement, with the contact's first name, for a contact
	// whose channel gave none, while an agent is online (with nobody
	// online the away text is used instead: see promise.go).
	a, _, err := f.svc.CreateAgent(bg, inbox.System, parley.Agent{Email: "a@example.com", Name: "Andy Agent", Role: parley.RoleAgent}, "agent password")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetAvailability(bg, inbox.System, a.ID, parley.Online, "test"); err != nil {
		t.Fatal(err)
	}
	f.inbox.Routing.Ack.Enabled = true
	f.inbox.Routing.Ack.Text = "Thanks for your patience, {{contact.first_name}}! We'll reply {{reply_by}}."
	if _, err := f.svc.UpdateInbox(bg, inbox.System, f.inbox, nil); err != nil {
		t.Fatal(err)
	}
	r, err := f.svc.Receive(bg, f.inbox.ID, inbox.Incoming{
		Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "nameless"}, Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	conv := r.ConversationID
	text, _ := f.ackFor(t, conv)
	if !strings.HasPrefix(text, "Thanks for your patience! We'll reply ") || strings.Contains(text, "{{") || strings.Contains(text, ", !") {
		t.Errorf("acknowledgement = %q", text)
	}

	// An agent's reply with a variable still in braces is refused.
	before := len(mustHistory(t, f, conv))
	_, err = f.svc.Reply(bg, inbox.Actor{AgentID: &a.ID, Role: parley.RoleAgent}, conv, inbox.Outgoing{Text: "Thanks, {{contact.first_name}}!"})
	if parley.ErrorCode(err) != parley.EINVALID || !strings.Contains(parley.ErrorMessage(err), "{{contact.first_name}}") {
		t.Errorf("reply with a variable: %v", err)
	}
	if after := len(mustHistory(t, f, conv)); after != before {
		t.Errorf("the refused reply was stored: %d messages, had %d", after, before)
	}

	// A canned response with a typo in a variable is refused when saved.
	_, err = f.svc.SaveCanned(bg, inbox.System, store.CannedResponse{Shortcut: "thx", Title: "Thanks", Body: "Thanks {{contact.firstname}}"})
	if parley.ErrorCode(err) != parley.EINVALID || !strings.Contains(parley.ErrorMessage(err), "{{contact.firstname}}") {
		t.Errorf("canned with an unknown variable: %v", err)
	}
}

func mustHistory(t *testing.T, f *fixture, conv int64) []parley.Message {
	t.Helper()
	msgs, err := f.svc.History(bg, conv)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}
