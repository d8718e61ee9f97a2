package report_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
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

var bg = context.Background()

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.Before(c.t) {
		panic("clock going back to " + t.String())
	}
	c.t = t
}

// world drives the real inbox use cases on a fresh database.
type world struct {
	t     *testing.T
	svc   *inbox.Service
	jobs  *jobs.Runner
	clock *clock
}

// at moves the clock to t and runs the jobs due then (acknowledgements,
// snooze wake-ups).
func (w *world) at(t time.Time) {
	w.t.Helper()
	w.clock.Set(t)
	if _, err := w.jobs.RunDue(bg); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) receive(inboxID int64, customer string) int64 {
	w.t.Helper()
	r, err := w.svc.Receive(bg, inboxID, inbox.Incoming{
		Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: customer, Name: customer}, Text: "hello from " + customer})
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.jobs.RunDue(bg); err != nil { // the acknowledgement, where enabled
		w.t.Fatal(err)
	}
	return r.ConversationID
}

func agent(id int64) inbox.Actor { return inbox.Actor{AgentID: &id, Role: parley.RoleAgent} }

func (w *world) reply(agentID, conv int64) {
	w.t.Helper()
	if _, err := w.svc.Reply(bg, agent(agentID), conv, inbox.Outgoing{Text: "an answer"}); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) update(agentID, conv int64, ch inbox.Change) {
	w.t.Helper()
	if _, err := w.svc.Update(bg, agent(agentID), conv, ch); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) assign(by, conv, to int64) { w.update(by, conv, inbox.Change{AssigneeID: &to}) }
func (w *world) setStatus(by, conv int64, s parley.Status) {
	w.update(by, conv, inbox.Change{Status: &s})
}

// day returns a time of the scenario's week: Monday 2 March 2026 is day 0.
func day(d, h, m int) time.Time { return time.Date(2026, 3, 2+d, h, m, 0, 0, time.UTC) }

const (
	mon = iota
	tue
	wed
	thu
	fri
	sat
	sun
)

func hm(h, m int) time.Duration { return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute }

// TestScenarioWeek builds a week of conversations through the inbox use
// cases, reads the events back through the store and checks every metric.
//
// Inbox A (api) has business hours 09:00–17:00 Monday to Friday, UTC, and
// the default 7-day reopen window; inbox B (widget) is always open, has a
// 2-day reopen window and sends acknowledgements (Parley's own outgoing
// messages, which are no response).
func TestScenarioWeek(t *testing.T) {
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
		r.Handle(inbox.JobSnoozeWake, func(ctx context.Context, j store.Job) error { return svc.WakeSnoozed(ctx, j.Payload) })
		r.Handle(inbox.JobAck, func(ctx context.Context, j store.Job) error { return svc.SendAck(ctx, j.Payload) })
		w := &world{t: t, svc: svc, jobs: r, clock: c}

		A, err := svc.CreateInbox(bg, inbox.System, parley.Inbox{Name: "API", ChannelType: parley.ChannelAPI, Routing: parley.Routing{
			Hours: json.RawMessage(`{"time_zone":"UTC","week":{"mon":["09:00-17:00"],"tue":["09:00-17:00"],"wed":["09:00-17:00"],"thu":["09:00-17:00"],"fri":["09:00-17:00"]}}`)}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		B, err := svc.CreateInbox(bg, inbox.System, parley.Inbox{Name: "Site", ChannelType: parley.ChannelWidget, ReopenWindow: 48 * time.Hour,
			Routing: parley.Routing{Ack: parley.AckSettings{Enabled: true}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var ag [4]int64
		for i, name := range []string{"", "one", "two", "three"} {
			if i == 0 {
				continue
			}
			a, _, err := svc.CreateAgent(bg, inbox.System, parley.Agent{Email: name + "@example.com", Name: name, Role: parley.RoleAgent}, "")
			if err != nil {
				t.Fatal(err)
			}
			ag[i] = a.ID
		}
		a1, a2, a3 := ag[1], ag[2], ag[3]
		team, err := svc.CreateTeam(bg, inbox.System, parley.Team{Name: "Tier 2"}, []int64{a2})
		if err != nil {
			t.Fatal(err)
		}
		// Capacities: a1 2, a2 4, a3 the default.
		if err := db.Write(bg, func(tx *store.Tx) error {
			if err := tx.SetCapacity(a1, 2); err != nil {
				return err
			}
			return tx.SetCapacity(a2, 4)
		}); err != nil {
			t.Fatal(err)
		}

		// C1 (A): Mon 10:00; a1 at 10:30, replies 11:00, hands over to a2
		// at 11:30, who resolves at 12:00.
		w.at(day(mon, 10, 0))
		c1 := w.receive(A.ID, "c1")
		w.at(day(mon, 10, 30))
		w.assign(a1, c1, a1)
		w.at(day(mon, 11, 0))
		w.reply(a1, c1)
		w.update(a1, c1, inbox.Change{Labels: &[]string{"billing"}})
		w.at(day(mon, 11, 30))
		w.assign(a1, c1, a2)
		w.at(day(mon, 12, 0))
		w.setStatus(a2, c1, parley.StatusResolved)

		// C2 (A): Mon 16:00 to a2; reply Tue 10:00 and pending; the
		// customer answers 12:00, a2 replies 13:30, resolves 14:00; the
		// customer reopens at 16:30, a1 replies Wed 09:30, a2 resolves 10:00.
		w.at(day(mon, 16, 0))
		c2 := w.receive(A.ID, "c2")
		w.assign(a2, c2, a2)
		w.update(a2, c2, inbox.Change{Labels: &[]string{"bug"}})
		w.at(day(tue, 9, 0))
		// C3 (B): Tue 09:00 to a3 (acknowledged at once); reply 09:20,
		// snoozed 09:30 until 15:00 (woken by the job), resolved 16:00.
		c3 := w.receive(B.ID, "c3")
		w.assign(a3, c3, a3)
		w.at(day(tue, 9, 20))
		w.reply(a3, c3)
		w.at(day(tue, 9, 30))
		until := day(tue, 15, 0)
		if _, err := svc.Snooze(bg, agent(a3), c3, &until); err != nil {
			t.Fatal(err)
		}
		w.at(day(tue, 10, 0))
		w.reply(a2, c2)
		w.setStatus(a2, c2, parley.StatusPending)
		w.at(day(tue, 12, 0))
		if w.receive(A.ID, "c2") != c2 {
			t.Fatal("the answer started a new conversation")
		}
		w.at(day(tue, 13, 30))
		w.reply(a2, c2)
		w.at(day(tue, 14, 0))
		w.setStatus(a2, c2, parley.StatusResolved)
		w.at(day(tue, 15, 0)) // C3 wakes
		if got, _ := db.Conversation(bg, c3); got.Status != parley.StatusOpen {
			t.Fatalf("C3 did not wake: %s", got.Status)
		}
		w.at(day(tue, 16, 0))
		w.setStatus(a3, c3, parley.StatusResolved)
		w.at(day(tue, 16, 30))
		if w.receive(A.ID, "c2") != c2 {
			t.Fatal("the reopening started a new conversation")
		}
		w.at(day(wed, 9, 30))
		w.reply(a1, c2)
		w.at(day(wed, 10, 0))
		w.setStatus(a2, c2, parley.StatusResolved)

		// C5 (B, high, billing): Wed 20:00 to a1; reply 21:00 and pending;
		// the customer writes 22:00 ("thanks", no wait once resolved), a1
		// resolves 23:00; the customer reopens Thu 08:00; a1 replies 09:00
		// (a next response of 1 h), resolves 09:30.
		w.at(day(wed, 20, 0))
		c5 := w.receive(B.ID, "c5")
		high := parley.PriorityHigh
		w.update(a1, c5, inbox.Change{AssigneeID: &a1, Priority: &high, Labels: &[]string{"billing"}})
		w.at(day(wed, 21, 0))
		w.reply(a1, c5)
		w.setStatus(a1, c5, parley.StatusPending)
		w.at(day(wed, 22, 0))
		w.receive(B.ID, "c5")
		w.at(day(wed, 23, 0))
		w.setStatus(a1, c5, parley.StatusResolved)
		w.at(day(thu, 8, 0))
		if w.receive(B.ID, "c5") != c5 {
			t.Fatal("C5 was not reopened")
		}
		w.at(day(thu, 9, 0))
		w.reply(a1, c5)
		w.at(day(thu, 9, 30))
		w.setStatus(a1, c5, parley.StatusResolved)

		// C7 (A): Thu 15:00 to a3, reply 16:00 and pending till the end.
		w.at(day(thu, 15, 0))
		c7 := w.receive(A.ID, "c7")
		w.assign(a3, c7, a3)
		w.at(day(thu, 16, 0))
		w.reply(a3, c7)
		w.setStatus(a3, c7, parley.StatusPending)

		// C4 (B): the C3 customer again on Friday, past B's window: a new
		// conversation, to a2 at 10:05, open at the end.
		w.at(day(fri, 10, 0))
		c4 := w.receive(B.ID, "c3")
		if c4 == c3 {
			t.Fatal("C3 was reopened after its window")
		}
		w.at(day(fri, 10, 5))
		w.assign(a2, c4, a2)

		// C6 (A, team): Sat 10:00 to a2; reply Sun 11:00 and snoozed past the end.
		w.at(day(sat, 10, 0))
		c6 := w.receive(A.ID, "c6")
		w.update(a2, c6, inbox.Change{AssigneeID: &a2, TeamID: &team.ID})
		w.at(day(sun, 11, 0))
		w.reply(a2, c6)
		wake := day(sun+2, 9, 0)
		if _, err := svc.Snooze(bg, agent(a2), c6, &wake); err != nil {
			t.Fatal(err)
		}

		from, to := day(mon, 0, 0), day(mon+7, 0, 0)
		w.at(to) // the report is read at the end of the week
		in, err := report.Load(bg, db, from, to, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		if len(in.Conversations) != 7 {
			t.Fatalf("loaded %d conversations, want 7", len(in.Conversations))
		}
		acks := 0
		for _, e := range in.Events {
			if e.Type == parley.EventMessageCreated && e.AgentID == nil && string(e.Data) == `{"automated":true,"direction":"outgoing"}` {
				acks++
			}
		}
		if acks != 4 { // C3, C5, C5 reopened, C4
			t.Fatalf("%d acknowledgements, want 4: Parley's own messages must be in the log for this test to mean anything", acks)
		}
		rep := report.Compute(in, from, to, report.Filter{})
		sameAsReplay(t, db, in, from, to, report.Filter{})
		if testing.Verbose() {
			b, _ := json.MarshalIndent(rep, "", "  ")
			t.Logf("%s", b)
		}

		checkStats(t, "resolution calendar", rep.ResolutionTime.Calendar, 4, hm(5, 45), hm(39, 30), hm(13, 15))
		checkStats(t, "resolution business", rep.ResolutionTime.Business, 4, hm(5, 45), hm(7, 30), hm(5, 15))
		checkStats(t, "first response calendar", rep.FirstResponseTime.Calendar, 6, hm(1, 0), hm(25, 0), hm(7, 43)+20*time.Second)
		checkStats(t, "first response business", rep.FirstResponseTime.Business, 6, hm(1, 0), hm(2, 0), hm(0, 53)+20*time.Second)
		checkStats(t, "next response calendar", rep.NextResponseTime.Calendar, 3, hm(1, 30), hm(17, 0), hm(6, 30))
		checkStats(t, "next response business", rep.NextResponseTime.Business, 3, hm(1, 0), hm(1, 30), hm(1, 10))

		if want := (report.Reopens{Resolutions: 6, Reopened: 2, Rate: 2.0 / 6, WindowOpen: 2}); rep.Reopens != want {
			t.Errorf("reopens = %+v, want %+v", rep.Reopens, want)
		}
		if want := (report.FCR{Pending: 4}); rep.FirstContactResolution != want {
			t.Errorf("FCR in the week = %+v, want %+v", rep.FirstContactResolution, want)
		}

		week := float64(7 * 24 * time.Hour)
		wantAgents := []report.AgentLoad{
			{AgentID: a1, Average: float64(hm(4, 30)) / week, Peak: 1, Capacity: 2},
			{AgentID: a2, Average: float64(hm(124, 55)) / week, Peak: 2, Capacity: 4},
			{AgentID: a3, Average: float64(hm(2, 30)) / week, Peak: 1, Capacity: parley.DefaultCapacity},
		}
		if len(rep.Agents) != len(wantAgents) {
			t.Fatalf("agents = %+v", rep.Agents)
		}
		for i, want := range wantAgents {
			want.Occupancy = want.Average / float64(want.Capacity)
			if rep.Agents[i] != want {
				t.Errorf("agent %d = %+v, want %+v", i, rep.Agents[i], want)
			}
		}

		v := rep.Volume
		var hours [24]int
		hours[9], hours[10], hours[15], hours[16], hours[20] = 1, 3, 1, 1, 1
		if v.Total != 7 || v.ByChannel[parley.ChannelAPI] != 4 || v.ByChannel[parley.ChannelWidget] != 3 ||
			v.ByInbox[A.ID] != 4 || v.ByInbox[B.ID] != 3 || v.ByTeam[0] != 6 || v.ByTeam[team.ID] != 1 ||
			len(v.ByLabel) != 2 || v.ByLabel["billing"] != 2 || v.ByLabel["bug"] != 1 || v.ByHour != hours {
			t.Errorf("volume = %+v", v)
		}

		wantBacklog := [][3]int{{0, 0, 0}, {1, 0, 0}, {1, 0, 0}, {0, 0, 0}, {0, 1, 0}, {1, 1, 0}, {2, 1, 0}, {1, 1, 1}}
		if len(rep.Backlog) != len(wantBacklog) {
			t.Fatalf("backlog = %+v", rep.Backlog)
		}
		for i, want := range wantBacklog {
			b := rep.Backlog[i]
			if !b.At.Equal(day(i, 0, 0)) || [3]int{b.Open, b.Pending, b.Snoozed} != want {
				t.Errorf("backlog %d = %+v, want %v at %s", i, b, want, day(i, 0, 0))
			}
		}

		// Filters.
		byB := report.Compute(in, from, to, report.Filter{InboxIDs: []int64{B.ID}})
		sameAsReplay(t, db, in, from, to, report.Filter{InboxIDs: []int64{B.ID}})
		checkStats(t, "inbox B resolution", byB.ResolutionTime.Calendar, 2, hm(5, 45), hm(7, 0), hm(5, 45))
		if byB.Volume.Total != 3 || byB.Volume.ByInbox[A.ID] != 0 {
			t.Errorf("inbox B volume = %+v", byB.Volume)
		}
		byChannel := report.Compute(in, from, to, report.Filter{Channels: []parley.ChannelType{parley.ChannelAPI}})
		sameAsReplay(t, db, in, from, to, report.Filter{Channels: []parley.ChannelType{parley.ChannelAPI}})
		if byChannel.Volume.Total != 4 || byChannel.ResolutionTime.Calendar.Count != 2 {
			t.Errorf("api channel: volume %d, resolutions %d", byChannel.Volume.Total, byChannel.ResolutionTime.Calendar.Count)
		}
		byTeam := report.Compute(in, from, to, report.Filter{TeamID: team.ID})
		sameAsReplay(t, db, in, from, to, report.Filter{TeamID: team.ID})
		checkStats(t, "team first response", byTeam.FirstResponseTime.Calendar, 1, hm(25, 0), hm(25, 0), hm(25, 0))
		if byTeam.Volume.Total != 1 || byTeam.Backlog[7].Snoozed != 1 || byTeam.Backlog[7].Open != 0 {
			t.Errorf("team: volume %d, backlog %+v", byTeam.Volume.Total, byTeam.Backlog[7])
		}
		byLabel := report.Compute(in, from, to, report.Filter{Label: "billing"})
		sameAsReplay(t, db, in, from, to, report.Filter{Label: "billing"})
		checkStats(t, "billing resolution", byLabel.ResolutionTime.Calendar, 2, hm(3, 15), hm(4, 30), hm(3, 15))
		byPriority := report.Compute(in, from, to, report.Filter{Priority: parley.PriorityHigh})
		sameAsReplay(t, db, in, from, to, report.Filter{Priority: parley.PriorityHigh})
		if want := (report.Reopens{Resolutions: 2, Reopened: 1, Rate: 0.5}); byPriority.Reopens != want {
			t.Errorf("high priority reopens = %+v, want %+v", byPriority.Reopens, want)
		}
		byAgent := report.Compute(in, from, to, report.Filter{AgentID: a1})
		sameAsReplay(t, db, in, from, to, report.Filter{AgentID: a1})
		checkStats(t, "a1 first response", byAgent.FirstResponseTime.Calendar, 2, hm(1, 0), hm(1, 0), hm(1, 0))
		checkStats(t, "a1 next response", byAgent.NextResponseTime.Calendar, 2, hm(9, 0), hm(17, 0), hm(9, 0))
		if len(byAgent.Agents) != 1 || byAgent.Agents[0].AgentID != a1 || byAgent.Volume.Total != 3 {
			t.Errorf("a1: agents %+v, volume %d", byAgent.Agents, byAgent.Volume.Total)
		}

		// Two weeks on, every first resolution's 7 days have passed.
		to2 := day(mon+14, 0, 0)
		w.at(to2)
		in2, err := report.Load(bg, db, from, to2, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		rep2 := report.Compute(in2, from, to2, report.Filter{})
		sameAsReplay(t, db, in2, from, to2, report.Filter{})
		if want := (report.FCR{Eligible: 4, Resolved: 2, Rate: 0.5}); rep2.FirstContactResolution != want {
			t.Errorf("FCR over two weeks = %+v, want %+v", rep2.FirstContactResolution, want)
		}
		if want := (report.Reopens{Resolutions: 6, Reopened: 2, Rate: 2.0 / 6}); rep2.Reopens != want {
			t.Errorf("reopens over two weeks = %+v, want %+v", rep2.Reopens, want)
		}
		if len(rep2.Backlog) != 15 {
			t.Errorf("%d backlog samples over two weeks", len(rep2.Backlog))
		}

		// A later period sees the conversations still unresolved.
		later, err := report.Load(bg, db, day(mon+7, 0, 0), to2, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		if len(later.Conversations) != 3 {
			t.Errorf("the second week loads %d conversations, want C4, C6, C7", len(later.Conversations))
		}
		rep3 := report.Compute(later, day(mon+7, 0, 0), to2, report.Filter{})
		if b := rep3.Backlog[0]; b.Open != 1 || b.Pending != 1 || b.Snoozed != 1 {
			t.Errorf("second week starts with backlog %+v", b)
		}
		if rep3.Volume.Total != 0 || rep3.ResolutionTime.Calendar.Count != 0 {
			t.Errorf("second week: %+v", rep3)
		}

		if _, err := json.Marshal(rep); err != nil {
			t.Fatal(err)
		}
	})
}

func checkStats(t *testing.T, name string, s report.Stats, n int, median, p90, mean time.Duration) {
	t.Helper()
	want := report.Stats{Count: n, Median: report.Duration(median), P90: report.Duration(p90), Mean: report.Duration(mean)}
	if s != want {
		t.Errorf("%s = {%d %s %s %s}, want {%d %s %s %s}", name, s.Count, time.Duration(s.Median), time.Duration(s.P90), time.Duration(s.Mean),
			n, median, p90, mean)
	}
}

// sameAsReplay checks that the pre-aggregated engine (Build) gives the
// report the replay (Compute) gives, to the nanosecond and the count.
func sameAsReplay(t *testing.T, db *store.DB, in report.Input, from, to time.Time, f report.Filter) {
	t.Helper()
	want := report.Compute(in, from, to, f)
	got, err := report.Build(bg, db, from, to, in.Location, f)
	if err != nil {
		t.Fatal(err)
	}
	want.Surveys, err = report.LoadSurveys(bg, db, from, to, f) // read from their table by both
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		diff := lineDiff(string(g), string(w))
		if diff == "" { // equal as JSON: say which field differs in Go
			gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
			for i := range gv.NumField() {
				if !reflect.DeepEqual(gv.Field(i).Interface(), wv.Field(i).Interface()) {
					diff += fmt.Sprintf("%s: %#v\n   want %#v\n", gv.Type().Field(i).Name, gv.Field(i).Interface(), wv.Field(i).Interface())
				}
			}
		}
		t.Errorf("Build(%s, %s, %+v) differs from Compute:\n%s", from, to, f, diff)
	}
}

// lineDiff lists the lines that differ between got and want.
func lineDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	var b strings.Builder
	for i := 0; i < max(len(g), len(w)); i++ {
		var x, y string
		if i < len(g) {
			x = g[i]
		}
		if i < len(w) {
			y = w[i]
		}
		if x != y {
			fmt.Fprintf(&b, "line %d: got %s\n         want %s\n", i+1, strings.TrimSpace(x), strings.TrimSpace(y))
		}
	}
	return b.String()
}
