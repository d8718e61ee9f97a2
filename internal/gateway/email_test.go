package gateway_test

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/parleyhq/parley/internal/channel/email"
	"github.com/parleyhq/parley/internal/mail/mailtest"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// mailbox is go-imap's in-memory IMAP server on loopback.
type mailbox struct {
	port int
	user *imapmemserver.User
}

func startMailbox(t *testing.T) *mailbox {
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("help@acme.test", "imap-pass")
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return pollingIdle{mem.NewSession()}, nil, nil
		},
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return &mailbox{port: l.Addr().(*net.TCPAddr).Port, user: user}
}

// pollingIdle makes the memory server's IDLE report mail appended at any
// moment (it only announces mail appended after its handler registered,
// which a test cannot wait for), as real servers do.
type pollingIdle struct{ imapserver.Session }

func (s pollingIdle) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if err := s.Session.Poll(w, true); err != nil {
			return err
		}
		select {
		case <-stop:
			return nil
		case <-t.C:
		}
	}
}

// TestEmailArrivesByItself: once an email inbox is created, the server's
// own poller connects, and mail arriving later becomes a conversation
// without anyone asking.
func TestEmailArrivesByItself(t *testing.T) {
	e := start(t, "sqlite")
	mb := startMailbox(t)
	id := e.createInbox("email", map[string]string{"address": "help@acme.test", "imap_host": "127.0.0.1", "imap_port": fmt.Sprint(mb.port),
		"imap_security": "none", "smtp_host": "127.0.0.1"}, map[string]string{"imap_password": "imap-pass"})
	waitFor(t, "the poller's first pass", func() bool {
		_, ok, _ := e.App.DB.ChannelState(ctx, id, "imap_cursor")
		return ok
	})
	mb.deliver(t, firstMail)
	waitFor(t, "the mail to be stored", func() bool {
		page, _ := e.App.DB.Conversations(ctx, parley.ConversationFilter{InboxID: id, Limit: 1})
		return len(page.Conversations) == 1
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type lit struct{ *bytes.Reader }

func (l lit) Size() int64 { return l.Reader.Size() }

func (m *mailbox) deliver(t *testing.T, raw string) {
	t.Helper()
	raw = strings.ReplaceAll(strings.ReplaceAll(raw, "\r\n", "\n"), "\n", "\r\n")
	if _, err := m.user.Append("INBOX", lit{bytes.NewReader([]byte(raw))}, &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
}

const firstMail = `From: Linh Tran <linh@example.com>
To: Acme Help <help@acme.test>
Subject: Refund for order 5521
Message-ID: <first-5521@example.com>
Date: Mon, 23 Nov 2026 09:00:00 +0000
Content-Type: text/plain; charset=utf-8

Hello, I returned the blender two weeks ago and have no refund yet.

--
Linh Tran
Sent from my phone
`

func TestEmailChannel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		mb := startMailbox(t)
		// Mail that was there before the inbox was connected is not imported.
		mb.deliver(t, strings.Replace(firstMail, "first-5521", "old-mail", 1))
		smtp := mailtest.Start(t, mailtest.Options{})
		id := e.createInbox("email", map[string]string{"address": "help@acme.test", "from_name": "Acme Help",
			"imap_host": "127.0.0.1", "imap_port": fmt.Sprint(mb.port), "imap_security": "none",
			"smtp_host": "127.0.0.1", "smtp_port": fmt.Sprint(smtp.Port), "smtp_security": "none"},
			map[string]string{"imap_password": "imap-pass"})
		// The server's own poller runs too (it may take a mail first):
		// poll makes sure everything delivered so far was handled.
		poll := func() {
			t.Helper()
			if _, err := e.App.Gateway.PollEmail(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		poll()
		if page, _ := e.App.DB.Conversations(ctx, parley.ConversationFilter{InboxID: id, Limit: 1}); len(page.Conversations) != 0 {
			t.Fatal("mail from before the inbox existed was imported")
		}
		mb.deliver(t, firstMail)
		poll()
		conv := e.onlyConversation(id)
		msgs := e.messages(conv.ID)
		if len(msgs) != 1 || !strings.HasPrefix(msgs[0].Text, "Subject: Refund for order 5521") || strings.Contains(msgs[0].Text, "Sent from my phone") {
			t.Fatalf("stored %q", msgs[0].Text)
		}
		if len(msgs[0].Attachments) != 1 || msgs[0].Attachments[0].Filename != "original.eml" {
			t.Errorf("attachments = %+v; want the original kept", msgs[0].Attachments)
		}
		contact, _ := e.App.DB.Contact(ctx, conv.ContactID)
		if contact.Email != "linh@example.com" || contact.Name != "Linh Tran" {
			t.Errorf("contact = %+v", contact)
		}
		// The same mail again (a copy in the mailbox): nothing new.
		before := e.seq()
		mb.deliver(t, firstMail)
		poll()
		e.unchanged(before, "the same email twice")

		// The agent's reply goes out threaded.
		status, body := e.reply(conv.ID, map[string]any{"text": "Sorry for the wait, Linh. The refund left today."})
		if status != 201 {
			t.Fatalf("reply = %d %s", status, body)
		}
		replyID := decodeID(t, body)
		e.runJobs()
		sent := smtp.Messages()
		if len(sent) != 1 {
			t.Fatalf("SMTP got %d messages", len(sent))
		}
		out, err := email.Parse([]byte(sent[0].Data))
		if err != nil {
			t.Fatal(err)
		}
		if out.InReplyTo != "first-5521@example.com" || out.Subject != "Re: Refund for order 5521" || sent[0].To[0] != "linh@example.com" {
			t.Errorf("sent: in-reply-to %q subject %q to %v", out.InReplyTo, out.Subject, sent[0].To)
		}
		m := e.message(replyID)
		if m.DeliveryState != parley.DeliverySent || m.ExternalID != out.MessageID {
			t.Errorf("reply: %s %q, want sent with id %q", m.DeliveryState, m.ExternalID, out.MessageID)
		}
		replyTo := strings.Trim(strings.TrimPrefix(headerLine(sent[0].Data, "Reply-To"), "Reply-To:"), " <>")
		if !strings.HasPrefix(replyTo, "help+c") {
			t.Errorf("Reply-To = %q; want a plus-address", replyTo)
		}

		// The customer answers the Reply-To from a client that dropped the
		// threading headers: it still lands in the conversation.
		mb.deliver(t, `From: Linh Tran <linh@example.com>
To: `+replyTo+`
Subject: thanks
Message-ID: <second-5521@example.com>
Content-Type: text/plain; charset=utf-8

Got it, thank you!

On Mon, 23 Nov 2026 at 10:00, Acme Help <help@acme.test> wrote:
> Sorry for the wait, Linh. The refund left today.
`)
		poll()
		msgs = e.messages(conv.ID)
		last := msgs[len(msgs)-1]
		if len(msgs) != 3 || last.Text != "Got it, thank you!" {
			t.Errorf("after the answer: %d messages, last %q", len(msgs), last.Text)
		}

		// An out-of-office is not a customer reply.
		before = e.seq()
		mb.deliver(t, `From: Linh Tran <linh@example.com>
To: help@acme.test
Subject: Out of office
Auto-Submitted: auto-replied
Message-ID: <ooo@example.com>

I am away until Monday.
`)
		poll()
		e.unchanged(before, "an auto-reply")

		// A bounce of our reply fails it with the server's reason.
		mb.deliver(t, `From: Mail Delivery System <MAILER-DAEMON@acme.test>
To: help@acme.test
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce-1@acme.test>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

Your message could not be delivered.
--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.acme.test

Final-Recipient: rfc822; linh@example.com
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 mailbox unavailable

--b1
Content-Type: text/rfc822-headers

Message-ID: <`+out.MessageID+`>
From: help@acme.test
To: linh@example.com
Subject: Re: Refund for order 5521

--b1--
`)
		poll()
		if m := e.message(replyID); m.DeliveryState != parley.DeliveryFailed || !strings.Contains(m.DeliveryError, "mailbox unavailable") {
			t.Errorf("after the bounce: %s %q", m.DeliveryState, m.DeliveryError)
		}
		// Junk that cannot be parsed does not block the mailbox.
		mb.deliver(t, "this is not an email at all")
		mb.deliver(t, strings.Replace(strings.Replace(firstMail, "first-5521", "third", 1), "Refund for order 5521", "Another question", 1))
		poll()
		if n := len(e.messages(conv.ID)); n != 3 {
			t.Errorf("after junk and a mail on a new subject: %d messages in the first conversation, want 3", n)
		}
		if page, _ := e.App.DB.Conversations(ctx, parley.ConversationFilter{InboxID: id, Limit: 5}); len(page.Conversations) != 2 {
			t.Errorf("a mail on a new subject: %d conversations, want 2", len(page.Conversations))
		}
	})
}

func headerLine(data, name string) string {
	for _, line := range strings.Split(data, "\r\n") {
		if strings.HasPrefix(strings.ToLower(line), strings.ToLower(name)+":") {
			return line
		}
	}
	return ""
}
