package gateway_test

import (
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/channel/twilio/twiliotest"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// TestReplyNoticeBySMS: a widget visitor who left a phone number but no
// email, and is away when an agent answers, gets one SMS saying a reply
// is waiting, with a link back; the notice shows in the conversation.
func TestReplyNoticeBySMS(t *testing.T) {
	e := start(t, "sqlite")
	tw := twiliotest.New(t, "AC0123456789abcdef0123456789abcdef", "tw-token")
	widget, err := e.App.Inbox.CreateInbox(ctx, inbox.System, parley.Inbox{Name: "Website", ChannelType: parley.ChannelWidget, AwayMinutes: 5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.createInbox("sms", map[string]string{"account_sid": tw.AccountSID, "from": "+15550100200", "base_url": tw.URL},
		map[string]string{"auth_token": "tw-token"})
	r, err := e.App.Inbox.Receive(ctx, widget.ID, inbox.Incoming{Contact: store.ContactKey{Kind: parley.IdentityVisitor, ExternalID: "visitor-1"}, Text: "Do you ship to Hanoi?"})
	if err != nil {
		t.Fatal(err)
	}
	phone := "+84901234567"
	if _, err := e.App.Inbox.UpdateContact(ctx, inbox.System, r.ContactID, inbox.ContactChange{Phone: &phone}); err != nil {
		t.Fatal(err)
	}
	agentReply, err := e.App.Inbox.Reply(ctx, inbox.System, r.ConversationID, inbox.Outgoing{Text: "Yes, in 3 days."})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.App.Inbox.ScanWidgetReplies(ctx); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(6 * time.Minute)
	e.runJobs()
	e.runJobs() // the notice's own send job
	reqs := tw.Requests()
	if len(reqs) != 1 {
		t.Fatalf("Twilio got %d requests, want 1 notice", len(reqs))
	}
	if to, body := reqs[0].Form.Get("To"), reqs[0].Form.Get("Body"); to != phone || !strings.Contains(body, "/widget/") || !strings.Contains(body, "Website") {
		t.Errorf("notice to %s: %q", to, body)
	}
	notes, _ := e.App.DB.Notifications(ctx, r.ConversationID)
	if len(notes) != 1 || notes[0].Channel != "sms" || notes[0].Status != store.NotificationSent || *notes[0].MessageID != agentReply.ID {
		t.Errorf("notifications = %+v", notes)
	}
	// Nothing twice: scanning and running again sends nothing more.
	e.App.Inbox.ScanWidgetReplies(ctx)
	e.clock.Add(10 * time.Minute)
	e.runJobs()
	if n := len(tw.Requests()); n != 1 {
		t.Errorf("Twilio got %d requests after a rescan, want still 1", n)
	}
}
