package inbox_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// A label SLA policy applies from the moment the label is added: in an
// inbox with no other policy it starts the clocks then, and over an
// inbox's policy it takes over, keeping the time already used. The
// expected moments are worked out by hand on withSLA's Paris hours.
func TestLabelPolicyAppliesWhenAdded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		vip := func(t *testing.T, f *fixture) {
			t.Helper()
			if _, err := f.svc.SaveSLAPolicy(bg, inbox.System, parley.SLAPolicy{Name: "VIP", Label: "vip",
				FirstResponse: 30 * time.Minute, Resolution: 4 * time.Hour}); err != nil {
				t.Fatal(err)
			}
		}
		label := func(t *testing.T, f *fixture, conv int64) {
			t.Helper()
			if _, err := f.svc.Update(bg, inbox.System, conv, inbox.Change{Labels: &[]string{"VIP"}}); err != nil {
				t.Fatal(err)
			}
		}
		t.Run("no other policy", func(t *testing.T) {
			f := setup(t, dialect)
			f.inbox.Routing.Hours = json.RawMessage(weekdays)
			if _, err := f.svc.UpdateInbox(bg, inbox.System, f.inbox, nil); err != nil {
				t.Fatal(err)
			}
			vip(t, f)
			// Monday 16:50: the customer writes; no policy applies yet.
			f.at(2, 16, 50)
			conv := f.receive(t, "where is my order?").ConversationID
			if c := f.conv(t, conv); c.SLADueAt != nil || c.SLAState != "" {
				t.Fatalf("before the label: due %v state %q, want no clock", c.SLADueAt, c.SLAState)
			}
			// 16:55: labelled vip. The first response clock starts now: 5
			// minutes left today, 25 from 09:00 Tuesday → due 09:25.
			f.at(2, 16, 55)
			label(t, f, conv)
			c := f.conv(t, conv)
			if want := time.Date(2026, 3, 3, 9, 25, 0, 0, paris); c.SLADueAt == nil || !c.SLADueAt.Equal(want) || c.SLAState != "ok" {
				t.Fatalf("after the label: due %v state %q, want %v ok", c.SLADueAt, c.SLAState, want)
			}
			// The breach fires at its moment, through the job runner.
			f.at(3, 9, 24)
			f.runDue(t)
			if ev := f.slaEvents(t, conv); len(ev) != 1 || ev[0] != "sla.warning:first_response" {
				t.Fatalf("at 09:24: %v, want only the warning (80%% of 30 min is 09:19)", ev)
			}
			f.at(3, 9, 25)
			f.runDue(t)
			if ev := f.slaEvents(t, conv); len(ev) != 2 || ev[1] != "sla.breached:first_response" {
				t.Fatalf("at 09:25: %v, want the breach", ev)
			}
		})
		t.Run("label removed", func(t *testing.T) {
			f := setup(t, dialect)
			vip(t, f)
			f.at(2, 10, 0)
			conv := f.receive(t, "hello").ConversationID
			label(t, f, conv)
			if c := f.conv(t, conv); c.SLADueAt == nil || !c.SLADueAt.Equal(time.Date(2026, 3, 2, 10, 30, 0, 0, paris)) {
				t.Fatalf("labelled: due %v, want 10:30", c.SLADueAt)
			}
			// 10:05: the label goes, and with it the only policy that
			// applied: no clock, and nothing fires at 10:30.
			f.at(2, 10, 5)
			if _, err := f.svc.Update(bg, inbox.System, conv, inbox.Change{Labels: &[]string{}}); err != nil {
				t.Fatal(err)
			}
			if c := f.conv(t, conv); c.SLADueAt != nil || c.SLAState != "" {
				t.Fatalf("unlabelled: due %v state %q, want no clock", c.SLADueAt, c.SLAState)
			}
			f.at(2, 11, 0)
			f.runDue(t)
			if ev := f.slaEvents(t, conv); len(ev) != 0 {
				t.Fatalf("fired after the label was removed: %v", ev)
			}
		})
		t.Run("over the inbox's policy", func(t *testing.T) {
			f := setup(t, dialect)
			withSLA(t, f) // normal: first response 1 h
			vip(t, f)
			f.at(2, 10, 0)
			conv := f.receive(t, "hello").ConversationID
			if c := f.conv(t, conv); c.SLADueAt == nil || !c.SLADueAt.Equal(time.Date(2026, 3, 2, 11, 0, 0, 0, paris)) {
				t.Fatalf("normal policy: due %v, want 11:00", c.SLADueAt)
			}
			// 10:10: labelled vip: 10 of its 30 minutes are used → 10:30.
			f.at(2, 10, 10)
			label(t, f, conv)
			if c := f.conv(t, conv); c.SLADueAt == nil || !c.SLADueAt.Equal(time.Date(2026, 3, 2, 10, 30, 0, 0, paris)) {
				t.Fatalf("after the label: due %v, want 10:30", c.SLADueAt)
			}
		})
	})
}
