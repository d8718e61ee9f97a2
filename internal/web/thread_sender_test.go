package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/store"
)

// TestThreadSenderNamed: a message someone other than the conversation's
// contact wrote into its thread (an email reply-all) is shown under its
// sender's name, not the customer's.
func TestThreadSenderNamed(t *testing.T) {
	e := start(t, "sqlite")
	_, err := e.App.Inbox.Receive(bg, e.inboxID, inbox.Incoming{Contact: store.ContactKey{Email: "bao@example.com", Name: "Bao Colleague"},
		Text: "Adding: the parcel was for our office.", ConversationID: e.convID})
	if err != nil {
		t.Fatal(err)
	}
	_, page := e.login("agent@example.com").get(fmt.Sprintf("/app/conversations/%d", e.convID))
	i := strings.LastIndex(page, "Adding: the parcel was for our office.")
	if i < 0 {
		t.Fatal("the colleague's message is not on the page")
	}
	head := page[:i]
	head = head[strings.LastIndex(head, `class="author"`):]
	if !strings.Contains(head, "Bao Colleague") {
		t.Errorf("the colleague's message is shown as %.80q", head)
	}
	if !strings.Contains(page, "Ana Pham") {
		t.Error("the customer's own message lost its name")
	}
}
