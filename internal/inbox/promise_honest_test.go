package inbox_test

import (
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// onlineAgent creates an agent who chose to be online and returns their id.
func (f *fixture) onlineAgent(t *testing.T, email string) int64 {
	t.Helper()
	a, _, err := f.svc.CreateAgent(bg, inbox.System, parley.Agent{Email: email, Name: email, Role: parley.RoleAgent}, "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetAvailability(bg, inbox.System, a.ID, parley.Online, "test"); err != nil {
		t.Fatal(err)
	}
	return a.ID
}

// answered has a customer of in write and agent answer after took.
func (f *fixture) answered(t *testing.T, in int64, customer string, agent int64, took time.Duration) {
	t.Helper()
	r, err := f.svc.Receive(bg, in, inbox.Incoming{Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: customer}, Text: "a question"})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Add(took)
	if _, err := f.svc.Reply(bg, inbox.Actor{AgentID: &agent, Role: parley.RoleAgent}, r.ConversationID, inbox.Outgoing{Text: "an answer"}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) expected(t *testing.T) inbox.Promise {
	t.Helper()
	f.clock.Add(inbox.ExpectedTTL) // past the reuse window: a fresh estimate
	p, err := f.svc.ExpectedReply(bg, f.inbox.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPromiseCountsTheTeamsOwnHistory: the estimate is the 80th
// percentile of the last 50 first responses in the same inbox (or team),
// not of every conversation of that priority anywhere.
func TestPromiseCountsTheTeamsOwnHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f := setup(t, dialect)
		maya := f.onlineAgent(t, "maya@example.com")
		other, err := f.svc.CreateInbox(bg, inbox.System, parley.Inbox{Name: "Other", ChannelType: parley.ChannelAPI}, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Another inbox answers in 5 minutes: none of this inbox's business.
		for _, c := range []string{"o1", "o2", "o3", "o4", "o5", "o6"} {
			f.answered(t, other.ID, c, maya, 5*time.Minute)
		}
		if p := f.expected(t); p.Text != "within 4 hours" {
			t.Fatalf("with no history of its own: %q, want the default 4 hours", p.Text)
		}
		// Four answered in 20 minutes and one in 100: the 80th percentile
		// (nearest rank 4 of 5) is 20 minutes, promised as 30.
		for i, took := range []time.Duration{100, 20, 20, 20, 20} {
			f.answered(t, f.inbox.ID, "a"+string(rune('0'+i)), maya, took*time.Minute)
		}
		if p := f.expected(t); p.Text != "within 30 minutes" {
			t.Fatalf("from its own five: %q, want within 30 minutes", p.Text)
		}
		// Fifty more answered in 7 minutes push those five out of the last
		// 50: 7 minutes, promised as 10.
		for i := range 50 {
			f.answered(t, f.inbox.ID, "b"+strings.Repeat("x", i+1), maya, 7*time.Minute)
		}
		if p := f.expected(t); p.Text != "within 10 minutes" {
			t.Fatalf("from the last 50: %q, want within 10 minutes", p.Text)
		}
	})
}

// TestPromiseWhenEveryoneIsOffline: an agent who chose offline is not
// there, however recently they had Parley open: without business hours
// the promise names no time, and the acknowledgement says so; with hours
// it counts from the next business period.
func TestPromiseWhenEveryoneIsOffline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f := setup(t, dialect)
		f.inbox.Routing.Ack.Enabled = true
		if _, err := f.svc.UpdateInbox(bg, inbox.System, f.inbox, nil); err != nil {
			t.Fatal(err)
		}
		maya := f.onlineAgent(t, "maya@example.com")
		if p := f.expected(t); p.Away || p.Online != 1 || p.Text != "within 4 hours" {
			t.Fatalf("with Maya online: %+v", p)
		}
		if err := f.svc.SetAvailability(bg, inbox.System, maya, parley.Offline, "test"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.TouchPresence(bg, maya); err != nil { // her tab is still open
			t.Fatal(err)
		}
		// No clock move: going offline drops the reused estimate at once.
		p, err := f.svc.ExpectedReply(bg, f.inbox.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Away || p.Online != 0 || !p.ReplyBy.IsZero() || p.Text != "as soon as we're back" ||
			p.Sentence("en", nil) != "We're away right now. We'll reply as soon as we're back." {
			t.Fatalf("with everyone offline: %+v, %q", p, p.Sentence("en", nil))
		}
		conv := f.from(t, "late", "anyone there?").ConversationID
		text, by := f.ackFor(t, conv)
		if text != "We've got your message. Our team is away right now; we'll reply as soon as we're back. Feel free to add any details now so we can answer everything at once." || by != nil {
			t.Fatalf("acknowledgement with everyone offline: %q, promised %v", text, by)
		}

		// With business hours (withSLA: weekdays 09:00-17:00 in Paris, a
		// one-hour target), Monday 10:00 with nobody online counts from
		// Tuesday 09:00: by 10:00 tomorrow.
		withSLA(t, f)
		f.at(2, 10, 0)
		p = f.expected(t)
		want := time.Date(2026, 3, 3, 10, 0, 0, 0, paris)
		if !p.Away || p.AfterHours || !p.ReplyBy.Equal(want) || p.Text != "by 10:00 tomorrow" {
			t.Fatalf("in hours with everyone offline: %+v, want by %v", p, want)
		}
	})
}
