package report_test

import (
	"context"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/blob"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/jobs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/report"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestDefinitionsByHand drives a day through the inbox use cases and
// checks the report against figures counted by hand from the timeline
// below, on both engines, the per-conversation figures and the drill-down:
//   - a reply through an API token tied to no agent is a response, for
//     first response times, promises and first contact resolution alike;
//   - an SLA target counts once per conversation, at its latest outcome;
//   - first contact resolution's pending are only those that may still
//     count.
//
// The inbox is always open (business time = calendar time); the policy
// for normal priority: first response 1 h, resolution 2 h.
func TestDefinitionsByHand(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		c := &clock{t: day(mon, 8, 0)}
		db.Now = c.Now
		blobs, err := blob.NewFS(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		svc := &inbox.Service{DB: db, Blobs: blobs}
		r := jobs.New(db)
		r.Handle(inbox.JobAck, func(ctx context.Context, j store.Job) error { return svc.SendAck(ctx, j.Payload) })
		r.Handle(inbox.JobSLACheck, func(ctx context.Context, j store.Job) error { return svc.CheckSLA(ctx, j.Payload) })
		w := &world{t: t, svc: svc, jobs: r, clock: c}
		if _, err := svc.SaveSLAPolicy(bg, inbox.System, parley.SLAPolicy{Name: "Normal", Priority: parley.PriorityNormal,
			FirstResponse: time.Hour, Resolution: 2 * time.Hour, WarnPercent: 80}); err != nil {
			t.Fatal(err)
		}
		B, err := svc.CreateInbox(bg, inbox.System, parley.Inbox{Name: "Site", ChannelType: parley.ChannelWidget,
			Routing: parley.Routing{Ack: parley.AckSettings{Enabled: true}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		a, _, err := svc.CreateAgent(bg, inbox.System, parley.Agent{Email: "ana@example.com", Name: "ana", Role: parley.RoleAgent}, "")
		if err != nil {
			t.Fatal(err)
		}
		// Ana is online all day: with nobody online the acknowledgement
		// names no time, and no promise is recorded to keep or break.
		if err := svc.SetAvailability(bg, inbox.System, a.ID, parley.Online, "test"); err != nil {
			t.Fatal(err)
		}
		system := inbox.Actor{TokenID: 9, Role: parley.RoleAdmin} // the business's own system: a token tied to no agent

		// C1: 10:00; the token replies 10:20 (first response 20 m, met),
		// the agent resolves 10:30 (resolution 30 m, met). One response,
		// never reopened: first contact may still count.
		w.at(day(mon, 10, 0))
		c1 := w.receive(B.ID, "c1")
		w.at(day(mon, 10, 20))
		if _, err := svc.Reply(bg, system, c1, inbox.Outgoing{Text: "Your order ships today"}); err != nil {
			t.Fatal(err)
		}
		w.at(day(mon, 10, 30))
		w.setStatus(a.ID, c1, parley.StatusResolved)

		// C2: 11:00; the agent replies 11:10 (10 m, met), resolves 11:30
		// (resolution met, 30 m used). The customer reopens 12:00: 1 h 30
		// left, breached at 13:30. A reply 12:50, resolved 14:00: its
		// resolution counts once, breached. Reopened by the customer: first
		// contact can never count.
		w.at(day(mon, 11, 0))
		c2 := w.receive(B.ID, "c2")
		w.at(day(mon, 11, 10))
		w.reply(a.ID, c2)
		w.at(day(mon, 11, 30))
		w.setStatus(a.ID, c2, parley.StatusResolved)
		w.at(day(mon, 12, 0))
		if w.receive(B.ID, "c2") != c2 {
			t.Fatal("C2 was not reopened")
		}
		w.at(day(mon, 12, 50))
		w.reply(a.ID, c2)
		w.at(day(mon, 13, 30)) // the breach job runs
		w.at(day(mon, 14, 0))
		w.setStatus(a.ID, c2, parley.StatusResolved)

		// C3: 15:00; two replies (15:05: 5 m, met; 15:06) before it is
		// resolved at 15:10 (met): first contact can never count.
		w.at(day(mon, 15, 0))
		c3 := w.receive(B.ID, "c3")
		w.at(day(mon, 15, 5))
		w.reply(a.ID, c3)
		w.at(day(mon, 15, 6))
		w.reply(a.ID, c3)
		w.at(day(mon, 15, 10))
		w.setStatus(a.ID, c3, parley.StatusResolved)

		from, to := day(mon, 0, 0), day(tue, 0, 0)
		w.at(to)
		if err := report.Project(bg, db); err != nil {
			t.Fatal(err)
		}
		in, err := report.Load(bg, db, from, to, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		rep := report.Compute(in, from, to, report.Filter{})
		sameAsReplay(t, db, in, from, to, report.Filter{})

		// First responses: 20 m (the token's), 10 m, 5 m.
		checkStats(t, "first response", rep.FirstResponseTime.Calendar, 3, hm(0, 10), hm(0, 20), hm(0, 35)/3)
		if want := (report.Attainment{Met: 3, Rate: 1}); rep.SLA["first_response"] != want {
			t.Errorf("first response SLA = %+v, want %+v", rep.SLA["first_response"], want)
		}
		// Resolution: C1 met, C2 breached (its earlier met superseded), C3 met.
		if want := (report.Attainment{Met: 2, Breached: 1, Rate: 2.0 / 3}); rep.SLA["resolution"] != want {
			t.Errorf("resolution SLA = %+v, want %+v", rep.SLA["resolution"], want)
		}
		// Promises (the acknowledgement's: the policy's 1 h): C1 by 11:00,
		// answered by the token at 10:20; C2 by 12:00 and, reopened, by
		// 13:00, answered 11:10 and 12:50; C3 by 16:00, answered 15:05.
		if want := (report.Promises{Kept: 4, Rate: 1}); rep.Promises != want {
			t.Errorf("promises = %+v, want %+v", rep.Promises, want)
		}
		// First contact: C1 pending; C2 and C3 decided, not resolved.
		if want := (report.FCR{Eligible: 2, Pending: 1}); rep.FirstContactResolution != want {
			t.Errorf("FCR = %+v, want %+v", rep.FirstContactResolution, want)
		}

		// Per conversation (the CSV's rows) and the drill-down agree.
		want := map[int64]struct {
			fcr string
			sla map[string]string
		}{
			c1: {"pending", map[string]string{"first_response": "met", "resolution": "met"}},
			c2: {"no", map[string]string{"first_response": "met", "resolution": "breached"}},
			c3: {"no", map[string]string{"first_response": "met", "resolution": "met"}},
		}
		check := func(name string, list []report.ConvResult) {
			t.Helper()
			if len(list) != 3 {
				t.Fatalf("%s: %d conversations, want 3", name, len(list))
			}
			for _, cr := range list {
				wc := want[cr.ID]
				if cr.FirstContact != wc.fcr || len(cr.SLA) != len(wc.sla) {
					t.Errorf("%s: conversation %d: first contact %q SLA %v, want %q %v", name, cr.ID, cr.FirstContact, cr.SLA, wc.fcr, wc.sla)
				}
				for k, v := range wc.sla {
					if cr.SLA[k] != v {
						t.Errorf("%s: conversation %d: SLA %s = %q, want %q", name, cr.ID, k, cr.SLA[k], v)
					}
				}
			}
		}
		check("Conversations", report.Conversations(in, from, to, report.Filter{}))
		list, total, err := report.DrillDown(bg, db, from, to, report.Filter{}, report.DrillSLA, 10)
		if err != nil {
			t.Fatal(err)
		}
		if total != 3 {
			t.Errorf("SLA drill-down total %d, want 3", total)
		}
		check("DrillDown", list)
		if c1r := report.Conversations(in, from, to, report.Filter{}); len(c1r) > 0 && c1r[0].Replies != 1 {
			t.Errorf("C1 replies = %d, want 1 (the token's)", c1r[0].Replies)
		}
	})
}
