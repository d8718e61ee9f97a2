package gateway_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/channel/email"
	"github.com/parleyhq/parley/internal/mail/mailtest"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/simulate"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestWorkflowEmailsWhatsAppCustomer: a workflow's email step writes to a
// customer who wrote on WhatsApp, at the address on their contact,
// through the email inbox: one mail on a real SMTP server, under the
// step's subject, and a message in the same conversation saying which
// inbox it left from. A customer with no address fails the step with the
// channel's reason, and nothing is sent.
func TestWorkflowEmailsWhatsAppCustomer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		w := startWhatsApp(t, dialect)
		smtp := mailtest.Start(t, mailtest.Options{})
		mailID := w.createInbox("email", map[string]string{"address": "help@acme.test", "from_name": "Acme Help",
			"smtp_host": "127.0.0.1", "smtp_port": fmt.Sprint(smtp.Port), "smtp_security": "none"}, nil)
		var wf struct{ ID int64 }
		w.JSON("POST", "/api/v1/workflows", map[string]any{"source": `name: Label by email
trigger: {event: manual}
steps:
  - id: label
    kind: email
    subject: "Your return label for {{ input.order_id }}"
    text: "Here is the return label for order {{ input.order_id }}: https://shop.example/labels/{{ input.order_id }}"
`}, 201, &wf)
		runOn := func(from, key string) (parley.Conversation, string, string) {
			t.Helper()
			w.post(w.hook, w.sim.Messages(simulate.Message{ID: "wamid." + key, From: from, Text: "My blender arrived broken"}))
			var conv parley.Conversation
			page, _ := w.App.DB.Conversations(ctx, parley.ConversationFilter{InboxID: w.inbox, Limit: 10})
			for _, c := range page.Conversations {
				if ct, _ := w.App.DB.Contact(ctx, c.ContactID); ct.Phone == from {
					conv = c
				}
			}
			if conv.ID == 0 {
				t.Fatalf("no conversation from %s", from)
			}
			return conv, fmt.Sprintf("/api/v1/workflows/%d/runs", wf.ID), key
		}

		conv, runs, key := runOn("+15550001234", "A1")
		w.JSON("PATCH", fmt.Sprintf("/api/v1/contacts/%d", conv.ContactID), map[string]any{"email": "linh@example.com"}, 200, nil)
		var run struct{ ID int64 }
		w.JSON("POST", runs, map[string]any{"key": key, "input": map[string]any{"order_id": "A1001"}, "conversation_id": conv.ID}, 201, &run)
		w.runJobs() // the run, then the send it queued
		w.runJobs()
		got, err := w.App.DB.FlowRun(ctx, run.ID)
		if err != nil || got.Status != "succeeded" {
			t.Fatalf("run %+v %v", got, err)
		}
		sent := smtp.Messages()
		if len(sent) != 1 || len(sent[0].To) != 1 || sent[0].To[0] != "linh@example.com" {
			t.Fatalf("SMTP got %+v", sent)
		}
		mail, err := email.Parse([]byte(sent[0].Data))
		if err != nil {
			t.Fatal(err)
		}
		if mail.Subject != "Your return label for A1001" || !strings.Contains(mail.Text, "https://shop.example/labels/A1001") {
			t.Fatalf("mail: subject %q text %q", mail.Subject, mail.Text)
		}
		msgs := w.messages(conv.ID)
		last := msgs[len(msgs)-1]
		if last.InboxID != mailID || !last.Automated || last.DeliveryState != parley.DeliverySent {
			t.Fatalf("the email in the conversation: inbox %d (want %d) automated %v state %s", last.InboxID, mailID, last.Automated, last.DeliveryState)
		}
		// Jobs run again: nothing more is sent.
		w.runJobs()
		if n := len(smtp.Messages()); n != 1 {
			t.Fatalf("%d mails after a second pass", n)
		}

		conv2, _, key2 := runOn("+15550009999", "B2")
		w.JSON("POST", runs, map[string]any{"key": key2, "input": map[string]any{"order_id": "B2002"}, "conversation_id": conv2.ID}, 201, &run)
		w.runJobs()
		got, _ = w.App.DB.FlowRun(ctx, run.ID)
		steps, _ := w.App.DB.FlowSteps(ctx, run.ID)
		if got.Status != "failed" || len(steps) != 1 || !strings.Contains(steps[0].Error, "no email address") {
			t.Fatalf("no address: run %+v steps %+v", got, steps)
		}
		if n := len(smtp.Messages()); n != 1 {
			t.Fatalf("%d mails; the customer without an address got one", n)
		}
	})
}
