package report_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/report"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// BenchmarkCompute replays synthetic conversations (created, a customer
// message, an agent reply, a resolution; one in ten reopened and resolved
// again) to measure the engine alone, without the database: the baseline
// for the 1,000,000-conversation report target.
func BenchmarkCompute(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("conversations=%d", n), func(b *testing.B) {
			var l events
			convs := map[int64]report.ConvInfo{}
			start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
			step := 7 * 24 * time.Hour / time.Duration(n)
			for i := range n {
				id := int64(i + 1)
				at := start.Add(time.Duration(i) * step)
				l.created(id, at)
				l.customer(id, at)
				l.assign(id, at.Add(time.Minute), int64(i%20+1))
				l.reply(id, at.Add(20*time.Minute), int64(i%20+1))
				l.status(id, at.Add(2*time.Hour), parley.StatusOpen, parley.StatusResolved, "agent")
				if i%10 == 0 {
					l.status(id, at.Add(3*time.Hour), parley.StatusResolved, parley.StatusOpen, "customer_message")
					l.status(id, at.Add(4*time.Hour), parley.StatusOpen, parley.StatusResolved, "agent")
				}
				convs[id] = report.ConvInfo{InboxID: int64(i%3 + 1), Channel: parley.ChannelAPI}
			}
			in := report.Input{Events: l.list, Conversations: convs}
			from, to := start, start.Add(8*24*time.Hour)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				r := report.Compute(in, from, to, report.Filter{})
				if r.Volume.Total != n {
					b.Fatalf("volume %d, want %d", r.Volume.Total, n)
				}
			}
			b.ReportMetric(float64(len(l.list)), "events")
		})
	}
}

// BenchmarkProject measures the projector over a log it has not read: the
// backfill after an upgrade, or the re-projection after a change of
// business hours. The conversations are made through the inbox (a
// customer message, an assignment, a reply, a resolution; about 8 events
// each); each iteration sends the cursor back to the start and projects
// them all.
func BenchmarkProject(b *testing.B) {
	const n = 3000
	db := storetest.Open(b, "sqlite")
	svc := &inbox.Service{DB: db}
	in, err := svc.CreateInbox(bg, inbox.System, parley.Inbox{Name: "API", ChannelType: parley.ChannelAPI}, nil)
	if err != nil {
		b.Fatal(err)
	}
	a, _, err := svc.CreateAgent(bg, inbox.System, parley.Agent{Email: "a@example.com", Name: "A", Role: parley.RoleAgent}, "")
	if err != nil {
		b.Fatal(err)
	}
	act := inbox.Actor{AgentID: &a.ID, Role: parley.RoleAgent}
	resolved := parley.StatusResolved
	for i := range n {
		r, err := svc.Receive(bg, in.ID, inbox.Incoming{Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: fmt.Sprint("c", i)}, Text: "hi"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := svc.Update(bg, act, r.ConversationID, inbox.Change{AssigneeID: &a.ID}); err != nil {
			b.Fatal(err)
		}
		if _, err := svc.Reply(bg, act, r.ConversationID, inbox.Outgoing{Text: "hello"}); err != nil {
			b.Fatal(err)
		}
		if _, err := svc.Update(bg, act, r.ConversationID, inbox.Change{Status: &resolved}); err != nil {
			b.Fatal(err)
		}
	}
	// The first projection writes every fact (the backfill); later ones
	// find them unchanged and write nothing (a re-projection).
	start := time.Now()
	if err := report.Project(bg, db); err != nil {
		b.Fatal(err)
	}
	first := time.Since(start)
	b.ResetTimer()
	for range b.N {
		if err := db.Write(bg, func(tx *store.Tx) error { return tx.ReprojectReports() }); err != nil {
			b.Fatal(err)
		}
		if err := report.Project(bg, db); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/first.Seconds(), "backfill-conversations/s")
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "reprojected-conversations/s")
}
