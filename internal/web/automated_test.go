package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
)

// TestAutomatedMessagesInTimeline: an acknowledgement shows on the agent's
// timeline as Parley's automatic message, never as sent by "API".
func TestAutomatedMessagesInTimeline(t *testing.T) {
	e := start(t, "sqlite")
	in, _, err := e.App.DB.Inbox(bg, e.inboxID)
	if err != nil {
		t.Fatal(err)
	}
	in.Routing.Ack.Enabled = true
	if _, err := e.App.Inbox.UpdateInbox(bg, inbox.System, in, nil); err != nil {
		t.Fatal(err)
	}
	conv := e.incoming("cust-ack", "Bao", "Is anyone there?")
	var auto bool
	for deadline := time.Now().Add(5 * time.Second); !auto && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, m := range e.messages(conv) {
			auto = auto || m.Automated
		}
	}
	if !auto {
		t.Fatal("no acknowledgement marked automated through the API")
	}
	c := e.login("agent@example.com")
	_, body := c.get(fmt.Sprintf("/app/conversations/%d", conv))
	i := strings.Index(body, `data-automated="true"`)
	if i < 0 {
		t.Fatalf("no automated message on the timeline")
	}
	msg := body[i:min(len(body), i+600)]
	if !strings.Contains(msg, `<span class="author">Parley</span>`) || !strings.Contains(msg, "Automatic") || strings.Contains(msg, `<span class="author">API</span>`) {
		t.Errorf("the acknowledgement is not shown as Parley's automatic message:\n%s", msg)
	}
}
