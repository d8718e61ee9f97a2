package inbox_test

import (
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// ackFor runs the jobs and returns the acknowledgement sent on conv and
// the promise recorded.
func (f *fixture) ackFor(t *testing.T, conv int64) (string, *time.Time) {
	t.Helper()
	f.runDue(t)
	msgs, err := f.svc.History(bg, conv)
	if err != nil {
		t.Fatal(err)
	}
	text := ""
	for _, m := range msgs {
		// Parley's own message, marked as such (not an API caller's).
		if m.Direction == parley.Outgoing && m.Automated {
			text = m.Text
		}
	}
	return text, f.conv(t, conv).PromisedReplyBy
}

func TestAcknowledgements(t *testing.T) {
	f := setup(t, "sqlite")
	withSLA(t, f)
	f.onlineAgent(t, "maya@example.com")
	f.inbox.Routing.Ack.Enabled = true
	if _, err := f.svc.UpdateInbox(bg, inbox.System, f.inbox, nil); err != nil {
		t.Fatal(err)
	}
	// In hours, no history: the SLA's first-response target, 1 hour.
	f.at(2, 10, 0)
	first := f.from(t, "in-hours", "hello").ConversationID
	text, by := f.ackFor(t, first)
	if !strings.Contains(text, "We'll reply within an hour") || by == nil || !by.Equal(time.Date(2026, 3, 2, 11, 0, 0, 0, paris)) {
		t.Errorf("in hours: %q, promised %v", text, by)
	}
	// The acknowledgement is not a response: the first-response clock runs on.
	if c := f.conv(t, first); c.FirstResponseAt != nil || !strings.Contains(c.SLA, "first_response") {
		t.Errorf("the acknowledgement counted as a response: %v %s", c.FirstResponseAt, c.SLA)
	}
	// After hours: when the team is back.
	f.at(2, 18, 30)
	text, by = f.ackFor(t, f.from(t, "after-hours", "hello?").ConversationID)
	if !strings.Contains(text, "away right now; we'll reply by 10:00 tomorrow") || by == nil || !by.Equal(time.Date(2026, 3, 3, 10, 0, 0, 0, paris)) {
		t.Errorf("after hours: %q, promised %v", text, by)
	}
	// Friday evening: the holiday-free Monday.
	f.at(6, 17, 30)
	text, _ = f.ackFor(t, f.from(t, "weekend", "hi").ConversationID)
	if !strings.Contains(text, "by Monday 10:00") {
		t.Errorf("before the weekend: %q", text)
	}
}

func TestAcknowledgementWhenBusy(t *testing.T) {
	f, _ := routed(t, "sqlite", 1)
	withSLA(t, f)
	f.inbox.Routing.Ack.Enabled = true
	f.inbox.Routing.Ack.Text = "Thanks! You'll hear from us {{reply_by}}."
	if _, err := f.svc.UpdateInbox(bg, inbox.System, f.inbox, nil); err != nil {
		t.Fatal(err)
	}
	f.at(2, 10, 0)
	f.from(t, "first", "takes the only place")
	f.drain(t)
	f.runDue(t)
	// The only agent is full: the next customer is first in line, with
	// nobody ahead of them, so the promise is the SLA's hour.
	conv := f.from(t, "second", "me too").ConversationID
	f.drain(t)
	text, _ := f.ackFor(t, conv)
	if text != "Thanks! You'll hear from us within an hour. (You're number 1 in line.)" {
		t.Errorf("first in line: %q", text)
	}
	// The one after has one ahead, which the only agent takes first:
	// 1 hour + 1 × 1 hour / 1 agent = 2 hours.
	conv = f.from(t, "third", "and me").ConversationID
	f.drain(t)
	if text, _ := f.ackFor(t, conv); text != "Thanks! You'll hear from us within 2 hours. (You're number 2 in line.)" {
		t.Errorf("second in line: %q", text)
	}
	// A text without {{reply_by}} is refused: a promise must say when.
	f.inbox.Routing.Ack.Text = "Thanks!"
	if _, err := f.svc.UpdateInbox(bg, inbox.System, f.inbox, nil); parley.ErrorCode(err) != parley.EINVALID {
		t.Errorf("ack without reply_by: %v", err)
	}
}

func TestAutoResolve(t *testing.T) {
	f := setup(t, "sqlite")
	f.inbox.Routing.AutoResolveDays = 3
	f.inbox.Routing.AutoResolveMessage = "We're closing this for now; write any time to pick it up again."
	if _, err := f.svc.UpdateInbox(bg, inbox.System, f.inbox, nil); err != nil {
		t.Fatal(err)
	}
	conv := f.receive(t, "question").ConversationID
	if _, err := f.svc.Update(bg, inbox.System, conv, inbox.Change{Status: status(parley.StatusPending)}); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(3*24*time.Hour - time.Minute)
	f.runDue(t)
	if c := f.conv(t, conv); c.Status != parley.StatusPending {
		t.Fatalf("resolved early: %s", c.Status)
	}
	f.clock.Add(2 * time.Minute)
	f.runDue(t)
	c := f.conv(t, conv)
	msgs, _ := f.svc.History(bg, conv)
	if c.Status != parley.StatusResolved || msgs[len(msgs)-1].Text != f.inbox.Routing.AutoResolveMessage || !msgs[len(msgs)-1].Automated {
		t.Errorf("after 3 days: %s, last message %q", c.Status, msgs[len(msgs)-1].Text)
	}
	// A customer writing in between cancels it.
	conv2 := f.from(t, "other", "q").ConversationID
	f.svc.Update(bg, inbox.System, conv2, inbox.Change{Status: status(parley.StatusPending)})
	f.clock.Add(time.Hour)
	f.from(t, "other", "actually, one more thing")
	f.clock.Add(4 * 24 * time.Hour)
	f.runDue(t)
	if c := f.conv(t, conv2); c.Status != parley.StatusOpen {
		t.Errorf("a conversation the customer revived was auto-resolved: %s", c.Status)
	}
}

// TestAcknowledgementInTheCustomersLanguage: a customer whose channel
// told us their language and time zone gets the acknowledgement in that
// language, with the time in their zone; an inbox's own texts for a
// language win over Parley's.
func TestAcknowledgementInTheCustomersLanguage(t *testing.T) {
	f := setup(t, "sqlite")
	withSLA(t, f)
	f.inbox.Routing.Ack = parley.AckSettings{Enabled: true, Languages: map[string]parley.AckTexts{
		"de": {Text: "Danke! Antwort {{reply_by}}.", AfterHours: "Danke! Wir sind weg; Antwort {{reply_by}}."}}}
	if _, err := f.svc.UpdateInbox(bg, inbox.System, f.inbox, nil); err != nil {
		t.Fatal(err)
	}
	f.at(2, 18, 30) // Monday 18:30 in Paris, 12:30 in Montréal: after the team's hours
	r, err := f.svc.Receive(bg, f.inbox.ID, inbox.Incoming{Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "fr-ca",
		Language: "fr-CA", TimeZone: "America/Montreal"}, Text: "Bonjour"})
	if err != nil {
		t.Fatal(err)
	}
	text, _ := f.ackFor(t, r.ConversationID)
	// Tuesday 10:00 in Paris is 04:00 in Montréal.
	if !strings.Contains(text, "Nous avons bien reçu votre message") || !strings.Contains(text, "demain avant 04:00") {
		t.Errorf("French, Montréal time: %q", text)
	}
	r, err = f.svc.Receive(bg, f.inbox.ID, inbox.Incoming{Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "de",
		Language: "de-AT"}, Text: "Hallo"})
	if err != nil {
		t.Fatal(err)
	}
	text, _ = f.ackFor(t, r.ConversationID)
	if text != "Danke! Wir sind weg; Antwort morgen bis 10:00 Uhr." {
		t.Errorf("the inbox's German text: %q", text)
	}
	// A language Parley has no words for falls back to English.
	r, _ = f.svc.Receive(bg, f.inbox.ID, inbox.Incoming{Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "ja", Language: "ja"}, Text: "こんにちは"})
	if text, _ = f.ackFor(t, r.ConversationID); !strings.Contains(text, "by 10:00 tomorrow") {
		t.Errorf("fallback: %q", text)
	}
	// Keys must be plain language codes, and texts must say when.
	f.inbox.Routing.Ack.Languages = map[string]parley.AckTexts{"fr-FR": {Text: "Merci {{reply_by}}"}}
	if _, err := f.svc.UpdateInbox(bg, inbox.System, f.inbox, nil); parley.ErrorCode(err) != parley.EINVALID {
		t.Errorf("a region-tagged key was accepted: %v", err)
	}
	f.inbox.Routing.Ack.Languages = map[string]parley.AckTexts{"fr": {Text: "Merci !"}}
	if _, err := f.svc.UpdateInbox(bg, inbox.System, f.inbox, nil); parley.ErrorCode(err) != parley.EINVALID {
		t.Errorf("a text without {{reply_by}} was accepted: %v", err)
	}
}
