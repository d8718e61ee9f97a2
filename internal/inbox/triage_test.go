package inbox_test

import (
	"testing"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/triage"
)

func TestTriageRaisesPriority(t *testing.T) {
	f := setup(t, "sqlite")
	calm := f.from(t, "calm", "Hi, a question about my delivery date").ConversationID
	if c := f.conv(t, calm); c.Priority != parley.PriorityNormal {
		t.Errorf("an ordinary message made it %s", c.Priority)
	}
	buyer := f.from(t, "buyer", "Is the blue kettle in stock? I want to order two").ConversationID
	if c := f.conv(t, buyer); c.Priority != parley.PriorityHigh {
		t.Errorf("buying intent: %s, want high", c.Priority)
	}
	// The same customer then reports a double charge: urgent, and a later
	// calm message never lowers it.
	f.from(t, "buyer", "I was charged twice for it!")
	f.from(t, "buyer", "thanks")
	if c := f.conv(t, buyer); c.Priority != parley.PriorityUrgent {
		t.Errorf("double charge: %s, want urgent", c.Priority)
	}
	// Admins edit the rules; the defaults come back with nil.
	if err := f.svc.SetTriageRules(bg, inbox.System, triage.Rules{{Name: "VIP", Priority: parley.PriorityHigh, Phrases: []string{"gold member"}, Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	vip := f.from(t, "vip", "As a gold member I expect better").ConversationID
	refund := f.from(t, "refund", "my payment failed again").ConversationID
	if c := f.conv(t, vip); c.Priority != parley.PriorityHigh {
		t.Errorf("custom rule: %s", c.Priority)
	}
	if c := f.conv(t, refund); c.Priority != parley.PriorityNormal {
		t.Errorf("a default rule still fired after the admin replaced them: %s", c.Priority)
	}
	if err := f.svc.SetTriageRules(bg, inbox.Actor{Role: parley.RoleAgent}, nil); parley.ErrorCode(err) != parley.EFORBIDDEN {
		t.Errorf("an agent changed the rules: %v", err)
	}
	if err := f.svc.SetTriageRules(bg, inbox.System, triage.Rules{{Name: "", Priority: parley.PriorityHigh}}); parley.ErrorCode(err) != parley.EINVALID {
		t.Errorf("an invalid rule was accepted: %v", err)
	}
}
