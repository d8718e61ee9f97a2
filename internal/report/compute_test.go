package report_test

import (
	"encoding/json"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/blob"
	"github.com/parleyhq/parley/internal/hours"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/report"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// events builds a log by hand.
type events struct{ list []parley.Event }

func (l *events) add(conv int64, typ string, at time.Time, agent int64, data string) {
	e := parley.Event{Seq: int64(len(l.list) + 1), Type: typ, ConversationID: &conv, CreatedAt: at}
	if agent != 0 {
		e.AgentID = &agent
	}
	if data != "" {
		e.Data = json.RawMessage(data)
	}
	l.list = append(l.list, e)
}

func (l *events) created(conv int64, at time.Time) {
	l.add(conv, parley.EventConversationCreated, at, 0, "")
}
func (l *events) customer(conv int64, at time.Time) {
	l.add(conv, parley.EventMessageCreated, at, 0, `{"direction":"incoming"}`)
}
func (l *events) reply(conv int64, at time.Time, agent int64) {
	l.add(conv, parley.EventMessageCreated, at, agent, `{"direction":"outgoing"}`)
}
func (l *events) status(conv int64, at time.Time, from, to parley.Status, reason string) {
	l.add(conv, parley.EventConversationStatus, at, 0, `{"from":"`+string(from)+`","to":"`+string(to)+`","reason":"`+reason+`"}`)
}
func (l *events) assign(conv int64, at time.Time, to int64) {
	b, _ := json.Marshal(map[string]int64{"to": to})
	l.add(conv, parley.EventConversationAssigned, at, 0, string(b))
}

func TestNoEvents(t *testing.T) {
	from, to := day(mon, 0, 0), day(tue, 0, 0)
	r := report.Compute(report.Input{}, from, to, report.Filter{})
	if r.ResolutionTime != (report.Times{}) || r.FirstResponseTime != (report.Times{}) || r.NextResponseTime != (report.Times{}) ||
		r.Reopens != (report.Reopens{}) || r.FirstContactResolution != (report.FCR{}) || len(r.Agents) != 0 || r.Volume.Total != 0 {
		t.Fatalf("empty report = %+v", r)
	}
	if len(r.Backlog) != 2 || !r.Backlog[0].At.Equal(from) || !r.Backlog[1].At.Equal(to) {
		t.Fatalf("backlog = %+v", r.Backlog)
	}
	b, err := json.Marshal(r)
	if err != nil || !strings.Contains(string(b), `"agents":[]`) || !strings.Contains(string(b), `"median":0`) {
		t.Fatalf("JSON %s, %v", b, err)
	}
	// An empty or inverted period does not panic.
	report.Compute(report.Input{}, to, from, report.Filter{})
}

func TestStillOpenAtEnd(t *testing.T) {
	var l events
	l.created(1, day(mon, 10, 0))
	l.customer(1, day(mon, 10, 0))
	l.assign(1, day(mon, 10, 0), 7)
	l.reply(1, day(mon, 11, 0), 7)
	l.customer(1, day(mon, 12, 0)) // unanswered at the end
	from, to := day(mon, 0, 0), day(tue, 0, 0)
	r := report.Compute(report.Input{Events: l.list, Capacity: map[int64]int{7: 2}}, from, to, report.Filter{})
	if r.ResolutionTime.Calendar.Count != 0 || r.NextResponseTime.Calendar.Count != 0 || r.Reopens.Resolutions != 0 {
		t.Fatalf("unresolved conversation counted: %+v", r)
	}
	checkStats(t, "first response", r.FirstResponseTime.Calendar, 1, time.Hour, time.Hour, time.Hour)
	want := report.AgentLoad{AgentID: 7, Average: 14.0 / 24, Peak: 1, Capacity: 2, Occupancy: 14.0 / 24 / 2}
	if len(r.Agents) != 1 || r.Agents[0] != want {
		t.Fatalf("agents = %+v, want %+v", r.Agents, want)
	}
	if b := r.Backlog[1]; b.Open != 1 {
		t.Fatalf("backlog at the end = %+v", b)
	}
}

func TestReopenWindow(t *testing.T) {
	var l events
	l.created(1, day(mon, 9, 0))
	l.customer(1, day(mon, 9, 0))
	l.reply(1, day(mon, 10, 0), 7)
	l.status(1, day(mon, 12, 0), parley.StatusOpen, parley.StatusResolved, "agent")
	l.status(1, day(tue, 12, 0), parley.StatusResolved, parley.StatusOpen, "customer_message") // 24 h later
	l.customer(1, day(tue, 12, 0))
	l.status(1, day(tue, 13, 0), parley.StatusOpen, parley.StatusResolved, "agent")
	l.status(1, day(tue, 14, 0), parley.StatusResolved, parley.StatusOpen, "agent") // an agent's reopen is no customer's
	l.status(1, day(tue, 15, 0), parley.StatusOpen, parley.StatusResolved, "agent")
	from, to := day(mon, 0, 0), day(mon+14, 0, 0)
	infos := map[int64]report.ConvInfo{1: {InboxID: 3}}

	r := report.Compute(report.Input{Events: l.list, Conversations: infos, ReopenWindow: map[int64]time.Duration{3: 12 * time.Hour}}, from, to, report.Filter{})
	if want := (report.Reopens{Resolutions: 3}); r.Reopens != want {
		t.Errorf("with a 12-hour window: %+v, want %+v", r.Reopens, want)
	}
	r = report.Compute(report.Input{Events: l.list, Conversations: infos}, from, to, report.Filter{})
	if want := (report.Reopens{Resolutions: 3, Reopened: 1, Rate: 1.0 / 3}); r.Reopens != want {
		t.Errorf("with the default window: %+v, want %+v", r.Reopens, want)
	}
	// One reply before the first resolution, but reopened within 7 days.
	if want := (report.FCR{Eligible: 1}); r.FirstContactResolution != want {
		t.Errorf("FCR = %+v, want %+v", r.FirstContactResolution, want)
	}
	// Spells: Mon 09:00–12:00, Tue 12:00–13:00, 14:00–15:00.
	checkStats(t, "resolution", r.ResolutionTime.Calendar, 1, 5*time.Hour, 5*time.Hour, 5*time.Hour)

	// A period ending before the reopen does not see it: the window is still open.
	r = report.Compute(report.Input{Events: l.list, Conversations: infos}, from, day(tue, 0, 0), report.Filter{})
	if want := (report.Reopens{Resolutions: 1, WindowOpen: 1}); r.Reopens != want {
		t.Errorf("before the reopen: %+v, want %+v", r.Reopens, want)
	}
	checkStats(t, "resolution before the reopen", r.ResolutionTime.Calendar, 1, 3*time.Hour, 3*time.Hour, 3*time.Hour)
}

func TestBusinessHours(t *testing.T) {
	var sch hours.Schedule
	sch.Location = time.UTC
	for d := time.Monday; d <= time.Friday; d++ {
		sch.Week[d] = []hours.Interval{{Start: 9 * 60, End: 17 * 60}}
	}
	var l events
	l.created(1, day(fri, 16, 0))
	l.customer(1, day(fri, 16, 0))
	l.reply(1, day(fri, 16, 30), 0) // Parley's acknowledgement: no agent, no response
	l.reply(1, day(mon+7, 10, 0), 7)
	l.customer(1, day(mon+7, 16, 30))
	l.reply(1, day(mon+7+1, 9, 15), 8)
	l.status(1, day(mon+7+1, 9, 30), parley.StatusOpen, parley.StatusResolved, "agent")
	in := report.Input{Events: l.list, Schedules: func(report.ConvInfo) hours.Schedule { return sch }}
	from, to := day(mon, 0, 0), day(mon+14, 0, 0)
	r := report.Compute(in, from, to, report.Filter{})
	checkStats(t, "first response calendar", r.FirstResponseTime.Calendar, 1, 66*time.Hour, 66*time.Hour, 66*time.Hour)
	checkStats(t, "first response business", r.FirstResponseTime.Business, 1, 2*time.Hour, 2*time.Hour, 2*time.Hour)
	checkStats(t, "next response business", r.NextResponseTime.Business, 1, 45*time.Minute, 45*time.Minute, 45*time.Minute)
	checkStats(t, "resolution business", r.ResolutionTime.Business, 1, hm(9, 30), hm(9, 30), hm(9, 30))
	// The agent filter keeps that agent's replies only.
	r = report.Compute(in, from, to, report.Filter{AgentID: 8})
	if r.FirstResponseTime.Calendar.Count != 0 || r.NextResponseTime.Calendar.Count != 1 {
		t.Errorf("agent 8: %+v / %+v", r.FirstResponseTime, r.NextResponseTime)
	}
}

func TestOrderAndLaterEventsDoNotMatter(t *testing.T) {
	var l events
	l.created(1, day(mon, 10, 0))
	l.customer(1, day(mon, 10, 0))
	l.reply(1, day(mon, 11, 0), 7)
	l.status(1, day(mon, 12, 0), parley.StatusOpen, parley.StatusResolved, "agent")
	from, to := day(mon, 0, 0), day(tue, 0, 0)
	want := report.Compute(report.Input{Events: l.list}, from, to, report.Filter{})
	l.status(1, day(tue, 1, 0), parley.StatusResolved, parley.StatusOpen, "customer_message")
	l.customer(1, day(tue, 1, 0))
	l.created(2, day(tue, 2, 0))
	rand.New(rand.NewSource(1)).Shuffle(len(l.list), func(i, j int) { l.list[i], l.list[j] = l.list[j], l.list[i] })
	got := report.Compute(report.Input{Events: l.list}, from, to, report.Filter{})
	a, _ := json.Marshal(want)
	b, _ := json.Marshal(got)
	if string(a) != string(b) {
		t.Fatalf("shuffled or extended log changed the report:\n%s\n%s", a, b)
	}
}

func TestTimeZone(t *testing.T) {
	loc := time.FixedZone("UTC-5", -5*3600)
	var l events
	l.created(1, day(tue, 3, 0)) // 22:00 on Monday, local
	l.customer(1, day(tue, 3, 0))
	from := time.Date(2026, 3, 2, 0, 0, 0, 0, loc)
	to := from.AddDate(0, 0, 2)
	r := report.Compute(report.Input{Events: l.list, Location: loc}, from, to, report.Filter{})
	if r.Volume.ByHour[22] != 1 {
		t.Errorf("by hour = %v", r.Volume.ByHour)
	}
	if len(r.Backlog) != 3 || !r.Backlog[1].At.Equal(from.AddDate(0, 0, 1)) || r.Backlog[1].Open != 1 || r.Backlog[0].Open != 0 {
		t.Errorf("backlog = %+v", r.Backlog)
	}
}

func TestConcurrencyPeakAndHandover(t *testing.T) {
	var l events
	for c := int64(1); c <= 3; c++ {
		l.created(c, day(mon, 0, 0))
		l.customer(c, day(mon, 0, 0))
	}
	l.assign(1, day(mon, 6, 0), 7)
	l.assign(2, day(mon, 12, 0), 7) // two from 12:00
	l.status(2, day(mon, 13, 0), parley.StatusOpen, parley.StatusPending, "agent")
	l.assign(1, day(mon, 18, 0), 8) // handed over: 7 down to none, 8 up to one
	l.assign(3, day(mon, 18, 0), 7) // at the same instant: 7 back to one, no false peak
	r := report.Compute(report.Input{Events: l.list}, day(mon, 0, 0), day(tue, 0, 0), report.Filter{})
	want := []report.AgentLoad{
		{AgentID: 7, Average: 19.0 / 24, Peak: 2, Capacity: parley.DefaultCapacity}, // 12 h + 1 h + 6 h
		{AgentID: 8, Average: 6.0 / 24, Peak: 1, Capacity: parley.DefaultCapacity},
	}
	for i := range want {
		want[i].Occupancy = want[i].Average / float64(want[i].Capacity)
	}
	if len(r.Agents) != 2 || r.Agents[0] != want[0] || r.Agents[1] != want[1] {
		t.Fatalf("agents = %+v, want %+v", r.Agents, want)
	}
}

// TestStoreEventRange checks the store's time-range reads on a real log.
func TestStoreEventRange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		c := &clock{t: day(mon, 8, 0)}
		db.Now = c.Now
		blobs, _ := blob.NewFS(t.TempDir())
		svc := &inbox.Service{DB: db, Blobs: blobs}
		in, err := svc.CreateInbox(bg, inbox.System, parley.Inbox{Name: "API", ChannelType: parley.ChannelAPI}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if seq, err := db.EventSeqAt(bg, day(mon, 0, 0)); err != nil || seq != 1 {
			t.Fatalf("EventSeqAt on an empty log = %d, %v", seq, err)
		}
		for i, d := range []int{mon, tue, wed, thu} {
			c.Set(day(d, 10, 0))
			if _, err := svc.Receive(bg, in.ID, inbox.Incoming{Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: string(rune('a' + i))}, Text: "hi"}); err != nil {
				t.Fatal(err)
			}
		}
		all, err := db.Events(bg, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.EventsBetween(bg, day(tue, 0, 0), day(thu, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		var want []parley.Event
		for _, e := range all {
			if !e.CreatedAt.Before(day(tue, 0, 0)) && e.CreatedAt.Before(day(thu, 0, 0)) {
				want = append(want, e)
			}
		}
		if len(want) == 0 || len(got) != len(want) || got[0].Seq != want[0].Seq || got[len(got)-1].Seq != want[len(want)-1].Seq {
			t.Fatalf("EventsBetween = %d events, want %d", len(got), len(want))
		}
		for _, at := range []time.Time{day(mon, 10, 0), day(tue, 9, 0), day(wed, 10, 0), day(thu, 10, 0)} {
			var first int64
			for _, e := range all {
				if !e.CreatedAt.Before(at) {
					first = e.Seq
					break
				}
			}
			if seq, err := db.EventSeqAt(bg, at); err != nil || seq != first {
				t.Fatalf("EventSeqAt(%s) = %d, %v; want %d", at, seq, err, first)
			}
		}
		if seq, _ := db.EventSeqAt(bg, day(fri, 0, 0)); seq != all[len(all)-1].Seq+1 {
			t.Fatalf("EventSeqAt after the last event = %d", seq)
		}
		convs, err := db.ReportConversations(bg, []int64{1, 2, 999})
		if err != nil || len(convs) != 2 || convs[1].ChannelType != parley.ChannelAPI || convs[2].InboxID != in.ID {
			t.Fatalf("ReportConversations = %+v, %v", convs, err)
		}
	})
}
