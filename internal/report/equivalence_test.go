package report_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
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

// TestBuildMatchesReplay drives three weeks of random support work through
// the real inbox use cases (arrivals on three inboxes, assignments and
// hand-overs, replies, pending, snoozes, resolutions, reopenings, priority,
// team and label changes) and checks that the pre-aggregated engine gives
// exactly the replay's report for random periods — unaligned ends, time
// zones with half-hour offsets, every filter — read at several moments,
// with the facts projected a little at a time along the way.
func TestBuildMatchesReplay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		start := time.Date(2026, 3, 2, 6, 17, 0, 0, time.UTC)
		c := &clock{t: start}
		db.Now = c.Now
		blobs, err := blob.NewFS(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		svc := &inbox.Service{DB: db, Blobs: blobs}
		r := jobs.New(db)
		r.Handle(inbox.JobSnoozeWake, func(ctx context.Context, j store.Job) error { return svc.WakeSnoozed(ctx, j.Payload) })
		r.Handle(inbox.JobAck, func(ctx context.Context, j store.Job) error { return svc.SendAck(ctx, j.Payload) })
		r.Handle(inbox.JobSLACheck, func(ctx context.Context, j store.Job) error { return svc.CheckSLA(ctx, j.Payload) })
		w := &world{t: t, svc: svc, jobs: r, clock: c}

		// SLA policies: targets met and breached, by policy.
		for _, p := range []parley.SLAPolicy{
			{Name: "Normal", Priority: parley.PriorityNormal, FirstResponse: 2 * time.Hour, NextResponse: 4 * time.Hour, Resolution: 24 * time.Hour, WarnPercent: 80},
			{Name: "Urgent", Priority: parley.PriorityUrgent, FirstResponse: 30 * time.Minute, Resolution: 8 * time.Hour, WarnPercent: 80},
			{Name: "VIP", Label: "vip", FirstResponse: time.Hour, NextResponse: time.Hour, Resolution: 4 * time.Hour, WarnPercent: 80},
		} {
			if _, err := svc.SaveSLAPolicy(bg, inbox.System, p); err != nil {
				t.Fatal(err)
			}
		}

		var inboxes []int64
		for _, ib := range []parley.Inbox{
			{Name: "API", ChannelType: parley.ChannelAPI, Routing: parley.Routing{
				Hours: json.RawMessage(`{"time_zone":"Asia/Kolkata","week":{"mon":["09:00-17:30"],"tue":["09:00-17:30"],"wed":["09:00-17:30"],"thu":["09:00-17:30"],"fri":["09:00-13:00","14:00-18:00"]}}`)}},
			{Name: "Site", ChannelType: parley.ChannelWidget, ReopenWindow: 36 * time.Hour, Routing: parley.Routing{Ack: parley.AckSettings{Enabled: true}}},
			{Name: "API 2", ChannelType: parley.ChannelAPI, ReopenWindow: 10 * 24 * time.Hour},
		} {
			got, err := svc.CreateInbox(bg, inbox.System, ib, nil)
			if err != nil {
				t.Fatal(err)
			}
			inboxes = append(inboxes, got.ID)
		}
		var agents []int64
		for _, name := range []string{"ana", "bo", "cy", "di"} {
			a, _, err := svc.CreateAgent(bg, inbox.System, parley.Agent{Email: name + "@example.com", Name: name, Role: parley.RoleAgent}, "")
			if err != nil {
				t.Fatal(err)
			}
			agents = append(agents, a.ID)
		}
		team, err := svc.CreateTeam(bg, inbox.System, parley.Team{Name: "Tier 2"}, agents[2:])
		if err != nil {
			t.Fatal(err)
		}
		seed := uint64(7)
		if v, err := strconv.ParseUint(os.Getenv("PARLEY_REPORT_SEED"), 10, 64); err == nil {
			seed = v // another random history, to explore: PARLEY_REPORT_SEED=n
		}
		rng := rand.New(rand.NewPCG(seed, 11))
		type conv struct {
			id     int64
			inbox  int64
			who    string
			status parley.Status
		}
		var convs []*conv
		pick := func() *conv { return convs[rng.IntN(len(convs))] }
		anyAgent := func() int64 { return agents[rng.IntN(len(agents))] }
		now := start
		checkpoints := 0
		for step := 0; step < 1000; step++ {
			now = now.Add(time.Duration(rng.IntN(150)+1) * time.Minute)
			w.at(now)
			switch k := rng.IntN(20); {
			case k < 4 || len(convs) == 0: // a new customer, or one coming back
				ib := inboxes[rng.IntN(len(inboxes))]
				who := "c" + string(rune('a'+rng.IntN(26))) + string(rune('a'+rng.IntN(26)))
				id := w.receive(ib, who)
				found := false
				for _, cv := range convs {
					if cv.id == id {
						cv.status, found = parley.StatusOpen, true
					}
				}
				if !found {
					convs = append(convs, &conv{id: id, inbox: ib, who: who, status: parley.StatusOpen})
				}
			case k < 7:
				cv := pick()
				if cur, err := db.Conversation(bg, cv.id); err == nil && cur.Status != parley.StatusResolved {
					w.assign(anyAgent(), cv.id, anyAgent())
				}
			case k < 11:
				cv := pick()
				if rng.IntN(4) == 0 { // the business's system, through a token tied to no agent
					if _, err := svc.Reply(bg, inbox.Actor{TokenID: 3, Role: parley.RoleAdmin}, cv.id, inbox.Outgoing{Text: "automated answer"}); err != nil {
						t.Fatal(err)
					}
					break
				}
				w.reply(anyAgent(), cv.id)
			case k < 13:
				cv := pick()
				id := w.receive(cv.inbox, cv.who) // the customer writes again (may reopen)
				if id == cv.id {
					cv.status = parley.StatusOpen
				}
			case k < 16:
				cv := pick()
				cur, err := db.Conversation(bg, cv.id)
				if err != nil {
					t.Fatal(err)
				}
				cv.status = cur.Status
				s := []parley.Status{parley.StatusResolved, parley.StatusResolved, parley.StatusPending, parley.StatusOpen}[rng.IntN(4)]
				if cv.status == parley.StatusResolved && s == parley.StatusPending {
					s = parley.StatusOpen
				}
				if s != cv.status {
					w.setStatus(anyAgent(), cv.id, s)
					cv.status = s
				}
			case k < 17:
				cv := pick()
				if cur, err := db.Conversation(bg, cv.id); err == nil && cur.Status != parley.StatusResolved {
					until := now.Add(time.Duration(rng.IntN(40)+1) * time.Hour)
					if _, err := svc.Snooze(bg, agent(anyAgent()), cv.id, &until); err != nil {
						t.Fatal(err)
					}
					cv.status = parley.StatusSnoozed
				}
			case k < 18:
				cv := pick()
				p := []parley.Priority{parley.PriorityLow, parley.PriorityNormal, parley.PriorityHigh, parley.PriorityUrgent}[rng.IntN(4)]
				w.update(anyAgent(), cv.id, inbox.Change{Priority: &p})
			case k < 19:
				cv := pick()
				ls := [][]string{{"billing"}, {"bug"}, {"billing", "vip"}, {}}[rng.IntN(4)]
				w.update(anyAgent(), cv.id, inbox.Change{Labels: &ls})
			default:
				cv := pick()
				tid := team.ID
				if rng.IntN(3) == 0 {
					tid = 0
				}
				w.update(anyAgent(), cv.id, inbox.Change{TeamID: &tid})
			}
			// Project now and then, as the background projector would, so
			// that facts are rewritten as conversations go on.
			if rng.IntN(25) == 0 {
				if err := report.Project(bg, db); err != nil {
					t.Fatal(err)
				}
			}
			// Midway, the first inbox changes its hours and the second its
			// reopen window: past metrics change, for both engines.
			if step == 500 {
				for i, edit := range []func(*parley.Inbox){
					func(ib *parley.Inbox) {
						ib.Routing.Hours = json.RawMessage(`{"time_zone":"Europe/Paris","week":{"mon":["08:00-12:00","13:00-18:00"],"sat":["10:00-14:00"]}}`)
					},
					func(ib *parley.Inbox) { ib.ReopenWindow = 3 * 24 * time.Hour },
				} {
					ib, _, err := db.Inbox(bg, inboxes[i])
					if err != nil {
						t.Fatal(err)
					}
					edit(&ib)
					if _, err := svc.UpdateInbox(bg, inbox.System, ib, nil); err != nil {
						t.Fatal(err)
					}
				}
			}
			// Every so often, compare a few random reports as known now.
			if step%100 == 99 {
				checkpoints++
				compareRandomReports(t, db, rng, start, now, inboxes, agents, team.ID)
			}
		}
		if checkpoints == 0 {
			t.Fatal("no report compared")
		}
		// The history must have exercised what it compares.
		all, err := report.Build(bg, db, start, now, time.UTC, report.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		met, breached := 0, 0
		for _, p := range all.SLAByPolicy {
			met, breached = met+p.Met, breached+p.Breached
		}
		if len(all.SLAByPolicy) < 3 || met == 0 || breached == 0 || all.Reopens.Reopened == 0 || all.NextResponseTime.Calendar.Count == 0 {
			t.Errorf("the random history is too thin: SLA %+v, reopens %+v, next responses %d", all.SLAByPolicy, all.Reopens, all.NextResponseTime.Calendar.Count)
		}
	})
}

var zones = []string{"UTC", "Asia/Kolkata", "America/St_Johns", "Europe/Paris", "Pacific/Auckland"}

func compareRandomReports(t *testing.T, db *store.DB, rng *rand.Rand, start, now time.Time, inboxes, agents []int64, team int64) {
	t.Helper()
	span := now.Sub(start)
	for i := 0; i < 8; i++ {
		loc, err := time.LoadLocation(zones[rng.IntN(len(zones))])
		if err != nil {
			t.Fatal(err)
		}
		from := start.Add(time.Duration(rng.Int64N(int64(span)))).Truncate(time.Minute)
		if rng.IntN(2) == 0 { // a local midnight, as the reports page asks
			l := from.In(loc)
			from = time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc).UTC()
		}
		to := from.Add(time.Duration(rng.IntN(10*24)+1) * time.Hour)
		if rng.IntN(3) == 0 {
			to = now // "the last N days", the default
		}
		if !from.Before(to) {
			continue
		}
		var f report.Filter
		switch rng.IntN(9) {
		case 1:
			f.InboxIDs = []int64{inboxes[rng.IntN(len(inboxes))]}
		case 2:
			f.Channels = []parley.ChannelType{parley.ChannelAPI}
		case 3:
			f.TeamID = team
		case 4:
			f.Label = "billing"
		case 5:
			f.Priority = parley.PriorityUrgent
		case 6:
			f.AgentID = agents[rng.IntN(len(agents))]
		case 7: // two attributes: no rollup answers it
			f.InboxIDs, f.Priority = []int64{inboxes[rng.IntN(len(inboxes))]}, parley.PriorityNormal
		}
		in, err := report.Load(bg, db, from, to, loc)
		if err != nil {
			t.Fatal(err)
		}
		sameAsReplay(t, db, in, from, to, f)
		checkDrillDown(t, db, report.Compute(in, from, to, f), from, to, f)
	}
}

// checkDrillDown: the conversations behind a report's numbers are as
// many as the numbers count, in the drill's order.
func checkDrillDown(t *testing.T, db *store.DB, rep report.Report, from, to time.Time, f report.Filter) {
	t.Helper()
	fcr := rep.FirstContactResolution
	for d, want := range map[report.Drill]int{
		report.DrillCreated:       rep.Volume.Total,
		report.DrillResolution:    rep.ResolutionTime.Calendar.Count,
		report.DrillFirstResponse: rep.FirstResponseTime.Calendar.Count,
		report.DrillFirstContact:  fcr.Eligible + fcr.Pending,
	} {
		list, total, err := report.DrillDown(bg, db, from, to, f, d, 5)
		if err != nil {
			t.Fatal(err)
		}
		if total != want || len(list) != min(want, 5) {
			t.Errorf("drill %s under %+v: %d conversations (%d listed), want %d", d, f, total, len(list), want)
		}
		if d == report.DrillResolution && len(list) > 0 && time.Duration(rep.ResolutionTime.Calendar.P90) > list[0].Resolution.Calendar {
			t.Errorf("drill %s: the first listed took %s, less than the p90 %s", d, list[0].Resolution.Calendar, time.Duration(rep.ResolutionTime.Calendar.P90))
		}
		for i := 1; i < len(list) && d == report.DrillResolution; i++ {
			if list[i].Resolution.Calendar > list[i-1].Resolution.Calendar {
				t.Errorf("drill %s is not slowest first: %s after %s", d, list[i].Resolution.Calendar, list[i-1].Resolution.Calendar)
			}
		}
	}
}

// TestProjectorsRace runs two projectors (two processes' database handles
// on PostgreSQL) while conversations are worked on, then checks that the
// facts they wrote together give exactly the replay's report: a step one
// of them lost to the other (the cursor's compare-and-swap) is not applied
// twice, and none is skipped.
func TestProjectorsRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		dsn := storetest.DSN(t, dialect)
		open := func() *store.DB {
			db, err := store.Open(bg, dsn)
			if err != nil {
				t.Fatal(err)
			}
			db.Secrets = storetest.Box(t)
			t.Cleanup(func() { db.Close() })
			return db
		}
		db := open()
		other := db
		if dialect != "sqlite" { // SQLite is one process's database
			other = open()
		}
		svc := &inbox.Service{DB: db}
		in, err := svc.CreateInbox(bg, inbox.System, parley.Inbox{Name: "API", ChannelType: parley.ChannelAPI}, nil)
		if err != nil {
			t.Fatal(err)
		}
		a, _, err := svc.CreateAgent(bg, inbox.System, parley.Agent{Email: "a@example.com", Name: "A", Role: parley.RoleAgent}, "")
		if err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		errs := make(chan error, 2)
		for _, h := range []*store.DB{db, other} {
			go func() {
				for {
					select {
					case <-stop:
						errs <- nil
						return
					default:
					}
					if err := report.Project(bg, h); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		resolved := parley.StatusResolved
		for i := range 40 {
			r, err := svc.Receive(bg, in.ID, inbox.Incoming{Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: fmt.Sprint("c", i%25)}, Text: "hi"})
			if err != nil {
				t.Fatal(err)
			}
			act := inbox.Actor{AgentID: &a.ID, Role: parley.RoleAgent}
			if _, err := svc.Update(bg, act, r.ConversationID, inbox.Change{AssigneeID: &a.ID}); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Reply(bg, act, r.ConversationID, inbox.Outgoing{Text: "hello"}); err != nil {
				t.Fatal(err)
			}
			if i%3 == 0 {
				if _, err := svc.Update(bg, act, r.ConversationID, inbox.Change{Status: &resolved}); err != nil {
					t.Fatal(err)
				}
			}
		}
		close(stop)
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		// Read both reports at one moment: running assignments count to now.
		at := time.Now().UTC()
		db.Now = func() time.Time { return at }
		other.Now = db.Now
		from, to := at.Add(-time.Hour), at.Add(time.Hour)
		input, err := report.Load(bg, db, from, to, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		sameAsReplay(t, db, input, from, to, report.Filter{})
		sameAsReplay(t, other, input, from, to, report.Filter{InboxIDs: []int64{in.ID}})
	})
}
