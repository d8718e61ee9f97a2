package gateway_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/channel/email"
	"github.com/parleyhq/parley/internal/mail/mailtest"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// mailDesk is an email inbox reading a loopback IMAP server and sending
// through the SMTP test server.
type mailDesk struct {
	e    *env
	mb   *mailbox
	smtp *mailtest.Server
	id   int64
}

func newMailDesk(t *testing.T, e *env) *mailDesk {
	d := &mailDesk{e: e, mb: startMailbox(t), smtp: mailtest.Start(t, mailtest.Options{})}
	d.id = e.createInbox("email", map[string]string{"address": "help@acme.test", "from_name": "Acme Help",
		"imap_host": "127.0.0.1", "imap_port": fmt.Sprint(d.mb.port), "imap_security": "none",
		"smtp_host": "127.0.0.1", "smtp_port": fmt.Sprint(d.smtp.Port), "smtp_security": "none"},
		map[string]string{"imap_password": "imap-pass"})
	d.poll() // the first pass starts at the newest mail
	return d
}

// receive delivers a mail to the mailbox and makes sure it was handled
// (the app's own poller may take it first).
func (d *mailDesk) receive(raw string) {
	d.e.t.Helper()
	d.mb.deliver(d.e.t, raw)
	d.poll()
}

func (d *mailDesk) poll() {
	d.e.t.Helper()
	if _, err := d.e.App.Gateway.PollEmail(ctx, d.id); err != nil {
		d.e.t.Fatal(err)
	}
}

// conversations returns the inbox's conversations, oldest first.
func (d *mailDesk) conversations() []parley.Conversation {
	d.e.t.Helper()
	page, err := d.e.App.DB.Conversations(ctx, parley.ConversationFilter{InboxID: d.id, Limit: 50})
	if err != nil {
		d.e.t.Fatal(err)
	}
	list := page.Conversations
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	return list
}

// answer makes an agent reply, sends it and returns the mail that left.
func (d *mailDesk) answer(conversationID int64, text string) *email.Message {
	d.e.t.Helper()
	before := len(d.smtp.Messages())
	if status, body := d.e.reply(conversationID, map[string]any{"text": text}); status != 201 {
		d.e.t.Fatalf("reply = %d %s", status, body)
	}
	d.e.runJobs()
	sent := d.smtp.Messages()
	if len(sent) != before+1 {
		d.e.t.Fatalf("SMTP got %d messages, want %d", len(sent), before+1)
	}
	m, err := email.Parse([]byte(sent[before].Data))
	if err != nil {
		d.e.t.Fatal(err)
	}
	return m
}

func mailFrom(from, subject, id, headers, body string) string {
	return "From: " + from + "\nTo: Acme Help <help@acme.test>\nSubject: " + subject + "\nMessage-ID: <" + id + ">\n" + headers +
		"Content-Type: text/plain; charset=utf-8\n\n" + body + "\n"
}

// TestEmailThreads: mail threads as email users expect. A new subject is
// a new conversation; a reply joins its thread by its headers or by the
// signed reply address, whoever sends it; a thread begun elsewhere keeps
// its subject; and each reply goes out under its own conversation's
// subject, threaded onto the mail it answers.
func TestEmailThreads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		d := newMailDesk(t, e)
		linh := "Linh Tran <linh@example.com>"

		d.receive(mailFrom(linh, "Refund for order 5521", "refund-1@example.com", "", "Where is my refund?"))
		d.receive(mailFrom(linh, "Change my delivery address", "address-1@example.com", "", "Please send order 6001 to my office."))
		convs := d.conversations()
		if len(convs) != 2 {
			t.Fatalf("two requests with different subjects made %d conversations, want 2", len(convs))
		}
		refund, address := convs[0], convs[1]
		if refund.ContactID != address.ContactID {
			t.Errorf("the two conversations have contacts %d and %d; want the one customer's history", refund.ContactID, address.ContactID)
		}
		if m := e.messages(address.ID); len(m) != 1 || !strings.HasPrefix(m[0].Text, "Subject: Change my delivery address\n") {
			t.Errorf("second request stored as %+v", m)
		}

		// Each reply goes out under its own conversation's subject.
		r1 := d.answer(refund.ID, "The refund left today.")
		if r1.Subject != "Re: Refund for order 5521" || r1.InReplyTo != "refund-1@example.com" || !contains(r1.References, "refund-1@example.com") {
			t.Errorf("refund reply: subject %q in-reply-to %q references %q", r1.Subject, r1.InReplyTo, r1.References)
		}
		r2 := d.answer(address.ID, "Done, it goes to your office.")
		if r2.Subject != "Re: Change my delivery address" || r2.InReplyTo != "address-1@example.com" {
			t.Errorf("address reply: subject %q in-reply-to %q", r2.Subject, r2.InReplyTo)
		}

		// Linh answers the refund reply from her work address, renaming
		// the subject: it joins the refund thread as that address's message.
		d.receive(mailFrom("Linh Tran <linh.tran@work.example>", "Re: Refund for order 5521 - still nothing", "refund-2@work.example",
			"In-Reply-To: <"+r1.MessageID+">\nReferences: <refund-1@example.com> <"+r1.MessageID+">\n", "Still no money on my card."))
		if n := len(d.conversations()); n != 2 {
			t.Fatalf("a reply from another address made %d conversations, want 2", n)
		}
		msgs := e.messages(refund.ID)
		last := msgs[len(msgs)-1]
		if last.Text != "Still no money on my card." || last.AuthorContactID == nil || *last.AuthorContactID == refund.ContactID {
			t.Errorf("reply from the work address: %q by %v (conversation contact %d)", last.Text, last.AuthorContactID, refund.ContactID)
		}
		// The next reply keeps the thread's subject and answers that mail.
		r3 := d.answer(refund.ID, "I have asked the bank.")
		if r3.Subject != "Re: Refund for order 5521" || r3.InReplyTo != "refund-2@work.example" ||
			!contains(r3.References, "refund-1@example.com") || !contains(r3.References, r1.MessageID) {
			t.Errorf("second refund reply: subject %q in-reply-to %q references %q", r3.Subject, r3.InReplyTo, r3.References)
		}

		// A colleague's reply-all to the address reply, with no thread
		// headers at all, comes back through the signed Reply-To.
		tag := d.replyTo(1)
		d.receive(strings.Replace(mailFrom("Bao <bao@example.com>", "Re: Change my delivery address", "address-2@example.com", "", "The office is on floor 3."),
			"To: Acme Help <help@acme.test>", "To: "+tag+"\nCc: linh@example.com", 1))
		if msgs := e.messages(address.ID); len(msgs) != 3 || msgs[2].Text != "The office is on floor 3." {
			t.Errorf("colleague's reply: %d messages in the address thread", len(msgs))
		}

		// The same subject again without thread headers (a client that
		// drops them) joins that thread rather than opening another.
		d.receive(mailFrom(linh, "RE: Fwd: change my delivery  address", "address-3@example.com", "", "And the postcode is 100000."))
		if n := len(d.conversations()); n != 2 {
			t.Errorf("a same-subject mail without headers made %d conversations, want 2", n)
		}

		// The first mail Parley sees of a thread begun elsewhere keeps its
		// subject, and the reply threads onto it.
		d.receive(mailFrom("Minh <minh@example.com>", "Re: Invoice 77 for March", "inv-3@example.com",
			"In-Reply-To: <inv-2@elsewhere.example>\nReferences: <inv-1@elsewhere.example> <inv-2@elsewhere.example>\n",
			"Adding support: the invoice total is wrong."))
		convs = d.conversations()
		if len(convs) != 3 {
			t.Fatalf("%d conversations, want 3", len(convs))
		}
		inv := convs[2]
		if m := e.messages(inv.ID); !strings.HasPrefix(m[0].Text, "Subject: Re: Invoice 77 for March\n") {
			t.Errorf("thread begun elsewhere stored as %q", m[0].Text)
		}
		r4 := d.answer(inv.ID, "We will correct it.")
		if r4.Subject != "Re: Invoice 77 for March" || r4.InReplyTo != "inv-3@example.com" ||
			strings.Join(r4.References, " ") != "inv-1@elsewhere.example inv-2@elsewhere.example inv-3@example.com" {
			t.Errorf("reply to a thread begun elsewhere: subject %q in-reply-to %q references %q", r4.Subject, r4.InReplyTo, r4.References)
		}
	})
}

// replyTo returns the Reply-To of the n-th mail the desk sent (from 0).
func (d *mailDesk) replyTo(n int) string {
	d.e.t.Helper()
	sent := d.smtp.Messages()
	return strings.Trim(strings.TrimPrefix(headerLine(sent[n].Data, "Reply-To"), "Reply-To:"), " <>")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
