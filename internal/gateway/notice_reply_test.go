package gateway_test

import (
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/mail/mailtest"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// noticeDesk is a widget inbox whose away visitors are emailed replies
// through the workspace's SMTP settings (a loopback test server).
type noticeDesk struct {
	e       *env
	widget  int64
	notices *mailtest.Server
}

func newNoticeDesk(t *testing.T, e *env) *noticeDesk {
	w, err := e.App.Inbox.CreateInbox(ctx, inbox.System, parley.Inbox{Name: "Website", ChannelType: parley.ChannelWidget, AwayMinutes: 5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := &noticeDesk{e: e, widget: w.ID, notices: mailtest.Start(t, mailtest.Options{})}
	if err := e.App.Inbox.SetSMTPSettings(ctx, inbox.System, inbox.SMTPSettings{Host: "127.0.0.1", Port: n.notices.Port,
		From: "Acme <notify@acme.test>", Security: "none"}); err != nil {
		t.Fatal(err)
	}
	return n
}

// visitorAnswered opens a widget conversation for a visitor who left an
// email address, answers it while they are away, and returns the
// conversation and the notice that was emailed.
func (n *noticeDesk) visitorAnswered(visitor, addr string) (inbox.Received, mailtest.Received) {
	t := n.e.t
	t.Helper()
	key := store.ContactKey{Kind: parley.IdentityVisitor, ExternalID: visitor}
	r, err := n.e.App.Inbox.Receive(ctx, n.widget, inbox.Incoming{Contact: key, Text: "Do you ship to Hanoi?"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.e.App.Inbox.SetVisitorEmail(ctx, n.widget, key, addr); err != nil {
		t.Fatal(err)
	}
	if _, err := n.e.App.Inbox.Reply(ctx, inbox.System, r.ConversationID, inbox.Outgoing{Text: "Yes, in 3 days."}); err != nil {
		t.Fatal(err)
	}
	if err := n.e.App.Inbox.ScanWidgetReplies(ctx); err != nil {
		t.Fatal(err)
	}
	before := len(n.notices.Messages())
	n.e.clock.Add(6 * time.Minute)
	n.e.runJobs()
	sent := n.notices.Messages()
	if len(sent) != before+1 {
		t.Fatalf("%d notices sent, want %d", len(sent), before+1)
	}
	return r, sent[before]
}

// TestNoticeReplyComesBack: a visitor who answers the "new reply" email
// reaches the conversation, through an email inbox's signed Reply-To.
func TestNoticeReplyComesBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		d := newMailDesk(t, e)
		n := newNoticeDesk(t, e)
		r, notice := n.visitorAnswered("visitor-1", "ann@example.com")
		replyTo := strings.Trim(strings.TrimPrefix(headerLine(notice.Data, "Reply-To"), "Reply-To:"), " <>")
		if !strings.HasPrefix(replyTo, "help+c") || !strings.HasSuffix(replyTo, "@acme.test") {
			t.Fatalf("notice Reply-To = %q; want a signed address of the email inbox", replyTo)
		}
		if text, _ := mailtest.Parts(t, notice.Data); !strings.Contains(text, "You can answer by replying to this email") {
			t.Errorf("notice does not say replies are read:\n%s", text)
		}

		// Ann answers from her mail client.
		d.receive(strings.Replace(mailFrom("Ann <ann@example.com>", "Re: New reply from Website", "ann-1@example.com", "",
			"Great, please ship it.\n\nOn Monday, Acme wrote:\n> Yes, in 3 days."), "To: Acme Help <help@acme.test>", "To: "+replyTo, 1))
		msgs := e.messages(r.ConversationID)
		last := msgs[len(msgs)-1]
		if len(msgs) != 3 || last.Text != "Great, please ship it." || last.Direction != parley.Incoming ||
			last.AuthorContactID == nil || *last.AuthorContactID != r.ContactID {
			t.Fatalf("widget conversation after the emailed answer: %d messages, last %+v", len(msgs), last)
		}
		if c := d.conversations(); len(c) != 0 {
			t.Errorf("the answer also opened %d email conversations", len(c))
		}
		// Someone the notice was forwarded to answers too: their message
		// joins the conversation as theirs, not the visitor's.
		d.receive(strings.Replace(mailFrom("Bao <bao@example.com>", "Re: Fwd: New reply from Website", "bao-1@example.com", "",
			"I am her colleague; ship to the office."), "To: Acme Help <help@acme.test>", "To: "+replyTo, 1))
		msgs = e.messages(r.ConversationID)
		last = msgs[len(msgs)-1]
		if len(msgs) != 4 || last.AuthorContactID == nil || *last.AuthorContactID == r.ContactID {
			t.Errorf("forwarded answer: %d messages, last by %v", len(msgs), last.AuthorContactID)
		}
		// A forged tag is no way in: it starts a conversation in the email inbox.
		forged := strings.Replace(replyTo, "+c", "+c9", 1)
		d.receive(strings.Replace(mailFrom("Eve <eve@example.com>", "hello", "eve-1@example.com", "", "let me in"),
			"To: Acme Help <help@acme.test>", "To: "+forged, 1))
		if len(e.messages(r.ConversationID)) != 4 || len(d.conversations()) != 1 {
			t.Errorf("a forged reply address reached the widget conversation")
		}
	})
}

// TestNoticeWithoutReadAddress: with no email inbox that reads mail, the
// notice does not invite replies to an address nobody reads, and says
// how to answer.
func TestNoticeWithoutReadAddress(t *testing.T) {
	e := start(t, "sqlite")
	e.createInbox("email", map[string]string{"address": "help@acme.test", "smtp_host": "127.0.0.1"}, nil) // sends only
	n := newNoticeDesk(t, e)
	_, notice := n.visitorAnswered("visitor-2", "ann@example.com")
	if h := headerLine(notice.Data, "Reply-To"); h != "" {
		t.Errorf("notice has %q; want no Reply-To", h)
	}
	text, _ := mailtest.Parts(t, notice.Data)
	if !strings.Contains(text, "Replies to this email are not read.") || !strings.Contains(text, "/resume?token=") {
		t.Errorf("notice does not say how to answer:\n%s", text)
	}
}
