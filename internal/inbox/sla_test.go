package inbox_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

var paris, _ = time.LoadLocation("Europe/Paris")

const weekdays = `{"time_zone":"Europe/Paris","week":{"mon":["09:00-17:00"],"tue":["09:00-17:00"],"wed":["09:00-17:00"],"thu":["09:00-17:00"],"fri":["09:00-17:00"]},"holidays":{"2026-03-04":"A holiday"}}`

// withSLA gives the fixture's inbox weekday hours in Paris and a policy
// for normal priority: first response 1 h, next response 2 h, resolution 8 h.
func withSLA(t *testing.T, f *fixture) {
	t.Helper()
	f.inbox.Routing.Hours = json.RawMessage(weekdays)
	if _, err := f.svc.UpdateInbox(bg, inbox.System, f.inbox, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SaveSLAPolicy(bg, inbox.System, parley.SLAPolicy{Name: "Normal", Priority: parley.PriorityNormal,
		FirstResponse: time.Hour, NextResponse: 2 * time.Hour, Resolution: 8 * time.Hour}); err != nil {
		t.Fatal(err)
	}
}

// at sets the clock to a Paris wall time in the first week of March 2026
// (Monday the 2nd; Wednesday the 4th is a holiday in withSLA's hours).
func (f *fixture) at(day, hour, minute int) {
	f.clock.mu.Lock()
	f.clock.t = time.Date(2026, 3, day, hour, minute, 0, 0, paris).UTC()
	f.clock.mu.Unlock()
}

func (f *fixture) slaEvents(t *testing.T, conv int64) []string {
	t.Helper()
	evs, err := f.svc.DB.Events(bg, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		if (e.Type == parley.EventSLAWarning || e.Type == parley.EventSLABreached) && e.ConversationID != nil && *e.ConversationID == conv {
			var d map[string]string
			json.Unmarshal(e.Data, &d)
			out = append(out, e.Type+":"+d["target"])
		}
	}
	return out
}

func (f *fixture) runDue(t *testing.T) {
	t.Helper()
	if _, err := f.jobs.RunDue(bg); err != nil {
		t.Fatal(err)
	}
}

func TestSLAOnBusinessHours(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f := setup(t, dialect)
		withSLA(t, f)
		// Monday 16:30: 30 minutes of the hour are left today, the rest
		// from 09:00 on Tuesday. 80% (48 min) is used at Tuesday 09:18.
		f.at(2, 16, 30)
		conv := f.receive(t, "my parcel never arrived").ConversationID
		c := f.conv(t, conv)
		if want := time.Date(2026, 3, 3, 9, 30, 0, 0, paris); c.SLADueAt == nil || !c.SLADueAt.Equal(want) || c.SLAState != "ok" {
			t.Fatalf("due %v state %q, want %v ok", c.SLADueAt, c.SLAState, want)
		}
		f.at(3, 9, 17)
		f.runDue(t)
		if ev := f.slaEvents(t, conv); len(ev) != 0 {
			t.Fatalf("fired early: %v", ev)
		}
		f.at(3, 9, 18)
		f.runDue(t)
		if ev := f.slaEvents(t, conv); len(ev) != 1 || ev[0] != "sla.warning:first_response" {
			t.Fatalf("at 09:18: %v, want the warning", ev)
		}
		if c := f.conv(t, conv); c.SLAState != "warning" {
			t.Errorf("state %q, want warning", c.SLAState)
		}
		// A restart: a new service and runner on the same database fire the
		// breach at its moment.
		f2 := &fixture{svc: &inbox.Service{DB: f.svc.DB, Blobs: f.svc.Blobs}, clock: f.clock, inbox: f.inbox}
		f2.jobs = setupRunner(f2.svc)
		f.at(3, 9, 30)
		f2.runDue(t)
		if ev := f.slaEvents(t, conv); len(ev) != 2 || ev[1] != "sla.breached:first_response" {
			t.Fatalf("at 09:30 after a restart: %v, want the breach", ev)
		}
		// Running again fires nothing twice.
		f.at(3, 12, 0)
		f2.runDue(t)
		if ev := f.slaEvents(t, conv); len(ev) != 2 {
			t.Errorf("fired again: %v", ev)
		}
		if c := f.conv(t, conv); c.SLAState != "breached" {
			t.Errorf("state %q, want breached", c.SLAState)
		}
	})
}

func TestSLAPausesAndResumes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f := setup(t, dialect)
		withSLA(t, f)
		f.at(2, 10, 0) // Monday 10:00
		conv := f.receive(t, "question").ConversationID
		// The agent answers at 10:20: the first response is met, and the
		// next response starts when the customer writes again.
		f.at(2, 10, 20)
		if _, err := f.svc.Reply(bg, inbox.Actor{TokenID: 1, Role: parley.RoleAgent}, conv, inbox.Outgoing{Text: "Looking into it"}); err != nil {
			t.Fatal(err)
		}
		c := f.conv(t, conv)
		if strings.Contains(c.SLA, `"first_response"`) {
			t.Errorf("first response still timed after the reply: %s", c.SLA)
		}
		// Pending on the customer pauses everything.
		f.at(2, 11, 0)
		if _, err := f.svc.Update(bg, inbox.System, conv, inbox.Change{Status: status(parley.StatusPending)}); err != nil {
			t.Fatal(err)
		}
		if c := f.conv(t, conv); c.SLADueAt != nil {
			t.Errorf("paused but due at %v", c.SLADueAt)
		}
		// The customer writes on Thursday 10:00 (Wednesday is a holiday):
		// resolution resumes with 7 h left (1 h used Monday) → Thursday
		// 17:00; the next response starts: 2 h → Thursday 12:00.
		f.at(5, 10, 0)
		f.receive(t, "here are the details")
		c = f.conv(t, conv)
		if want := time.Date(2026, 3, 5, 12, 0, 0, 0, paris); c.SLADueAt == nil || !c.SLADueAt.Equal(want) {
			t.Errorf("after resuming: due %v, want %v (next response)", c.SLADueAt, want)
		}
		var st struct {
			Timers map[string]struct {
				RemainingMS int64 `json:"remaining_ms"`
				Running     bool  `json:"running"`
			} `json:"timers"`
		}
		json.Unmarshal([]byte(c.SLA), &st)
		if r := st.Timers["resolution"]; !r.Running || time.Duration(r.RemainingMS)*time.Millisecond != 7*time.Hour {
			t.Errorf("resolution timer %+v, want running with 7h left", r)
		}
		// Resolving stops the clocks; reopening resumes resolution.
		f.at(5, 11, 0)
		if _, err := f.svc.Update(bg, inbox.System, conv, inbox.Change{Status: status(parley.StatusResolved)}); err != nil {
			t.Fatal(err)
		}
		if c := f.conv(t, conv); c.SLADueAt != nil {
			t.Errorf("resolved but due at %v", c.SLADueAt)
		}
		f.at(5, 14, 0)
		f.receive(t, "one more thing")
		c = f.conv(t, conv)
		json.Unmarshal([]byte(c.SLA), &st)
		if r := st.Timers["resolution"]; !r.Running || time.Duration(r.RemainingMS)*time.Millisecond != 6*time.Hour {
			t.Errorf("reopened: resolution %+v, want running with 6h left", r)
		}
	})
}

func TestSLARetargetsOnPriority(t *testing.T) {
	f := setup(t, "sqlite")
	withSLA(t, f)
	if _, err := f.svc.SaveSLAPolicy(bg, inbox.System, parley.SLAPolicy{Name: "Urgent", Priority: parley.PriorityUrgent, FirstResponse: 15 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	f.at(2, 10, 0)
	conv := f.receive(t, "hello").ConversationID
	f.at(2, 10, 5)
	urgent := parley.PriorityUrgent
	if _, err := f.svc.Update(bg, inbox.System, conv, inbox.Change{Priority: &urgent}); err != nil {
		t.Fatal(err)
	}
	// 5 minutes already used of the new 15: due at 10:15.
	if c := f.conv(t, conv); c.SLADueAt == nil || !c.SLADueAt.Equal(time.Date(2026, 3, 2, 10, 15, 0, 0, paris)) {
		t.Errorf("after becoming urgent: due %v, want 10:15", c.SLADueAt)
	}
}

func TestTeamHoursWin(t *testing.T) {
	f := setup(t, "sqlite")
	withSLA(t, f)
	team, err := f.svc.CreateTeam(bg, inbox.System, parley.Team{Name: "Night shift"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	night := json.RawMessage(`{"time_zone":"Europe/Paris","week":{"mon":["20:00-24:00"],"tue":["00:00-06:00"]}}`)
	if err := f.svc.SetTeamHours(bg, inbox.System, team.ID, json.RawMessage(`{"time_zone":"Mars/Olympus"}`)); parley.ErrorCode(err) != parley.EINVALID {
		t.Errorf("bad hours accepted: %v", err)
	}
	if err := f.svc.SetTeamHours(bg, inbox.System, team.ID, night); err != nil {
		t.Fatal(err)
	}
	f.at(2, 19, 0) // Monday 19:00: closed for the inbox and the night shift
	conv := f.receive(t, "late question").ConversationID
	if _, err := f.svc.Update(bg, inbox.System, conv, inbox.Change{TeamID: &team.ID}); err != nil {
		t.Fatal(err)
	}
	// The night shift's hours time it: the hour starts at 20:00 → 21:00.
	if c := f.conv(t, conv); c.SLADueAt == nil || !c.SLADueAt.Equal(time.Date(2026, 3, 2, 21, 0, 0, 0, paris)) {
		t.Errorf("due %v, want Monday 21:00 on the night shift's hours", c.SLADueAt)
	}
}

// TestSLACheckTooEarly: a check that runs before its moment (a runner
// whose clock is behind) asks to run again then, rather than dropping it.
func TestSLACheckTooEarly(t *testing.T) {
	f := setup(t, "sqlite")
	at := f.clock.Now().Add(time.Minute)
	err := f.svc.CheckSLA(bg, `{"conversation_id": 1, "at": `+strconv.FormatInt(at.UnixMicro(), 10)+`}`)
	var ra interface{ RetryAfter() time.Duration }
	if !errors.As(err, &ra) || ra.RetryAfter() != time.Minute {
		t.Errorf("early check: %v, want a retry in a minute", err)
	}
}

// TestSLAQuietWhileRunning: more customer messages while a clock runs
// change nothing about it: no write of the timers, no new check job.
func TestSLAQuietWhileRunning(t *testing.T) {
	f := setup(t, "sqlite")
	withSLA(t, f)
	f.at(2, 10, 0)
	conv := f.receive(t, "first").ConversationID
	before, _ := f.svc.DB.Jobs(bg, "pending", 100)
	sla := f.conv(t, conv).SLA
	for i := range 5 {
		f.clock.Add(time.Minute)
		f.receive(t, fmt.Sprintf("and another thing %d", i))
	}
	after, _ := f.svc.DB.Jobs(bg, "pending", 100)
	if len(after) != len(before) || f.conv(t, conv).SLA != sla {
		t.Errorf("jobs %d → %d; timers changed: %v", len(before), len(after), f.conv(t, conv).SLA != sla)
	}
}

// TestSLAMetIsRecorded: a reply before the due time and a resolution in
// time are written to the log as sla.met, so attainment can be audited;
// a target already breached is not also met.
func TestSLAMetIsRecorded(t *testing.T) {
	f := setup(t, "sqlite")
	withSLA(t, f)
	f.at(2, 10, 0)
	conv := f.receive(t, "hello").ConversationID
	f.at(2, 10, 30)
	if _, err := f.svc.Reply(bg, inbox.Actor{TokenID: 1, Role: parley.RoleAgent}, conv, inbox.Outgoing{Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	f.at(2, 12, 0)
	if _, err := f.svc.Update(bg, inbox.System, conv, inbox.Change{Status: status(parley.StatusResolved)}); err != nil {
		t.Fatal(err)
	}
	evs, _ := f.svc.DB.Events(bg, 0, 1000)
	var met []string
	for _, e := range evs {
		if e.Type == parley.EventSLAMet {
			var d map[string]any
			json.Unmarshal(e.Data, &d)
			met = append(met, d["target"].(string))
		}
	}
	if len(met) != 2 || met[0] != "first_response" || met[1] != "resolution" {
		t.Errorf("sla.met events = %v", met)
	}
}
