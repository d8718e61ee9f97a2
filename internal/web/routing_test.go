package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/triage"
)

// incomingTo posts a customer message to an inbox through the REST API and
// returns its conversation.
func (e *env) incomingTo(inboxID int64, externalID, name, text string) int64 {
	e.t.Helper()
	var out struct {
		ConversationID int64 `json:"conversation_id"`
	}
	body := map[string]any{"contact": map[string]string{"external_id": externalID, "name": name}, "text": text}
	e.JSON("POST", fmt.Sprintf("/api/v1/inboxes/%d/incoming", inboxID), body, http.StatusCreated, &out)
	return out.ConversationID
}

func (e *env) agent(id int64) parley.Agent {
	e.t.Helper()
	a, err := e.App.DB.Agent(bg, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// goOnline makes an agent online, seen now (so the idle timer leaves
// them online) and able to carry capacity open conversations.
func (e *env) goOnline(id int64, capacity int) {
	e.t.Helper()
	if err := e.App.Inbox.TouchPresence(bg, id); err != nil {
		e.t.Fatal(err)
	}
	if err := e.App.Inbox.SetCapacity(bg, inbox.System, id, capacity); err != nil {
		e.t.Fatal(err)
	}
	if err := e.App.Inbox.SetAvailability(bg, inbox.System, id, parley.Online, "test"); err != nil {
		e.t.Fatal(err)
	}
}

// routed is a conversation waiting in the queue of an auto-assign inbox
// under an SLA policy: Andy Agent is online but full (capacity 1, with
// the first conversation assigned), so nobody can take it.
type routed struct {
	inbox  parley.Inbox
	conv   int64
	policy parley.SLAPolicy
}

func routedSetup(t testing.TB, e *env) routed {
	t.Helper()
	var r routed
	var err error
	if r.policy, err = e.App.Inbox.SaveSLAPolicy(bg, inbox.System, parley.SLAPolicy{Name: "Everyone", FirstResponse: 30 * time.Minute,
		Resolution: 8 * time.Hour, WarnPercent: 80}); err != nil {
		t.Fatal(err)
	}
	if r.inbox, err = e.App.Inbox.CreateInbox(bg, inbox.System, parley.Inbox{Name: "Routed", ChannelType: parley.ChannelAPI,
		Routing: parley.Routing{AutoAssign: true, Ack: parley.AckSettings{Enabled: true}}}, nil); err != nil {
		t.Fatal(err)
	}
	e.goOnline(e.agentID, 1)
	if _, err := e.App.Inbox.Update(bg, inbox.System, e.convID, inbox.Change{AssigneeID: &e.agentID}); err != nil {
		t.Fatal(err)
	}
	r.conv = e.incomingTo(r.inbox.ID, "cust-q", "Quynh Queue", "Where is my refund?")
	if n, err := e.App.Inbox.Drain(bg); err != nil || n != 0 {
		t.Fatalf("drain = %d, %v; the agent is full", n, err)
	}
	if c := e.conversation(r.conv); c.QueuedAt == nil || c.SLADueAt == nil || c.AssigneeID != nil {
		t.Fatalf("conversation not queued with an SLA: %+v", c)
	}
	return r
}

func TestAvailabilityForms(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		cs := map[string]*client{"agent": e.login("agent@example.com"), "owner": e.login("owner@example.com")}
		agentRouting := fmt.Sprintf("/app/admin/agents/%d/routing", e.agentID)
		runScenarios(t, e, cs, []scenario{
			{name: "top bar", who: "agent", method: "GET", path: "/app/", status: 200, want: []string{`id="availability-select"`, `value="offline" selected`, "avail-dot avail-offline"}},
			{name: "go online", who: "agent", method: "POST", path: "/app/availability", form: url.Values{"availability": {"online"}}, hx: true, status: 200,
				want: []string{`value="online" selected`, "avail-dot avail-online"}, forbid: []string{"<html", "<form"}},
			{name: "bad availability", who: "agent", method: "POST", path: "/app/availability", form: url.Values{"availability": {"busy"}}, hx: true, status: 400,
				want: []string{"not one of online, away, offline"}},
			{name: "no csrf", who: "agent", method: "POST", path: "/app/availability", form: url.Values{"availability": {"away"}, "csrf_token": {""}}, hx: true, status: 403},
			{name: "agent may not set others", who: "agent", method: "POST", path: fmt.Sprintf("/app/admin/agents/%d/routing", e.ownerID),
				form: url.Values{"availability": {"online"}, "capacity": {"5"}}, status: 403},
		})
		if a := e.agent(e.agentID); a.Availability != parley.Online {
			t.Fatalf("after the select: %q, want online (a refused post changes nothing)", a.Availability)
		}
		if a := e.agent(e.ownerID); a.Availability != parley.Offline {
			t.Fatalf("owner = %q", a.Availability)
		}
		runScenarios(t, e, cs, []scenario{
			{name: "admin sets both", who: "owner", method: "POST", path: agentRouting, form: url.Values{"availability": {"away"}, "capacity": {"3"}}, status: 303},
			{name: "agents page", who: "owner", method: "GET", path: "/app/admin/agents", status: 200,
				want: []string{`name="capacity" min="1" max="500" value="3"`, `value="away" selected`, "avail-dot avail-away"}},
			{name: "capacity 0", who: "owner", method: "POST", path: agentRouting, form: url.Values{"availability": {"online"}, "capacity": {"0"}}, status: 400,
				want: []string{"capacity must be between 1 and 500", `role="alert"`}},
			{name: "capacity not a number", who: "owner", method: "POST", path: agentRouting, form: url.Values{"availability": {"online"}, "capacity": {"lots"}}, status: 400,
				want: []string{"capacity must be between 1 and 500"}},
			{name: "bad availability", who: "owner", method: "POST", path: agentRouting, form: url.Values{"availability": {"busy"}, "capacity": {"9"}}, status: 400,
				want: []string{"not one of online, away, offline"}},
			{name: "unknown agent", who: "owner", method: "POST", path: "/app/admin/agents/999/routing", form: url.Values{"availability": {"online"}, "capacity": {"2"}}, status: 404},
		})
		if a := e.agent(e.agentID); a.Availability != parley.Away || a.Capacity != 3 {
			t.Errorf("after the refused forms: %q capacity %d, want away 3", a.Availability, a.Capacity)
		}
	})
}

func TestInboxRoutingForm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		team, err := e.App.Inbox.CreateTeam(bg, inbox.System, parley.Team{Name: "Billing"}, []int64{e.agentID})
		if err != nil {
			t.Fatal(err)
		}
		cs := map[string]*client{"owner": e.login("owner@example.com"), "agent": e.login("agent@example.com")}
		path := fmt.Sprintf("/app/admin/inboxes/%d", e.inboxID)
		hoursJSON := `{"time_zone": "Europe/Paris", "week": {"mon": ["09:00-17:00"], "tue": ["09:00-17:00"], "wed": ["09:00-17:00"], "thu": ["09:00-17:00"], "fri": ["09:00-17:00"]}}`
		form := func(edit func(url.Values)) url.Values {
			f := url.Values{"name": {"Support API"}, "reopen_days": {"7"}, "away_minutes": {"5"}, "email_ask": {"never"}, "webhook_url": {""},
				"routing_form": {"1"}, "auto_assign": {"1"}, "routing_team_id": {fmt.Sprint(team.ID)}, "requeue_on_away": {"1"},
				"ack_enabled": {"1"}, "ack_text": {"Thanks! We will reply {{reply_by}}."}, "ack_after_hours": {""},
				"auto_resolve_days": {"3"}, "auto_resolve_message": {"Closing this for now; write again any time."}, "hours": {hoursJSON}}
			if edit != nil {
				edit(f)
			}
			return f
		}
		runScenarios(t, e, cs, []scenario{
			{name: "routing section", who: "owner", method: "GET", path: path, status: 200,
				want: []string{`data-testid="routing-fields"`, "Always open", `name="auto_assign"`, `name="hours_mode" value="always" checked`,
					`name="hours_mon_open" value="1" checked`, `name="hours_sat_open" value="1" aria-label`, "{{reply_by}}"}},
			{name: "agents may not", who: "agent", method: "POST", path: path, form: form(nil), status: 403},
			{name: "save", who: "owner", method: "POST", path: path, form: form(nil), status: 303},
			{name: "saved", who: "owner", method: "GET", path: path, status: 200,
				want: []string{"Mon–Fri 09:00–17:00 (Europe/Paris)", `name="auto_assign" value="1" checked`, `name="requeue_on_away" value="1" checked`,
					fmt.Sprintf(`<option value="%d" selected>Billing</option>`, team.ID), "Thanks! We will reply {{reply_by}}.", `value="3"`}},
		})
		in, _, err := e.App.DB.Inbox(bg, e.inboxID)
		if err != nil {
			t.Fatal(err)
		}
		rt := in.Routing
		if !rt.AutoAssign || !rt.RequeueOnAway || rt.TeamID == nil || *rt.TeamID != team.ID || !rt.Ack.Enabled || rt.Ack.Text != "Thanks! We will reply {{reply_by}}." ||
			rt.AutoResolveDays != 3 || rt.AutoResolveMessage != "Closing this for now; write again any time." || !strings.Contains(string(rt.Hours), "Europe/Paris") {
			t.Fatalf("stored routing = %+v (hours %s)", rt, rt.Hours)
		}
		saved, _ := json.Marshal(in)
		badHours := `{"time_zone": "Mars/Olympus_Mons", "week": {}}`
		runScenarios(t, e, cs, []scenario{
			{name: "bad hours", who: "owner", method: "POST", path: path, form: form(func(f url.Values) { f.Set("hours", badHours); f.Set("name", "Renamed") }), status: 400,
				want: []string{`data-testid="hours-error">business hours:`, "Mars/Olympus_Mons", "Nothing was saved"}},
			{name: "hours not JSON", who: "owner", method: "POST", path: path, form: form(func(f url.Values) { f.Set("hours", "9 to 5") }), status: 400,
				want: []string{`data-testid="hours-error">business hours:`}},
			{name: "overlapping hours", who: "owner", method: "POST", path: path, form: form(func(f url.Values) {
				f.Set("hours", `{"time_zone": "UTC", "week": {"mon": ["09:00-12:00", "11:00-13:00"]}}`)
			}), status: 400, want: []string{`data-testid="hours-error">business hours:`}},
			{name: "ack without reply_by", who: "owner", method: "POST", path: path, form: form(func(f url.Values) { f.Set("ack_text", "Thanks, soon!") }), status: 400,
				want: []string{"include {{reply_by}}", "Thanks, soon!"}},
			{name: "days not a number", who: "owner", method: "POST", path: path, form: form(func(f url.Values) { f.Set("auto_resolve_days", "soon") }), status: 400,
				want: []string{"whole number of days"}},
			{name: "days out of range", who: "owner", method: "POST", path: path, form: form(func(f url.Values) { f.Set("auto_resolve_days", "400") }), status: 400,
				want: []string{"auto_resolve_days must be between 0 and 365"}},
			{name: "unknown team", who: "owner", method: "POST", path: path, form: form(func(f url.Values) { f.Set("routing_team_id", "999") }), status: 400,
				want: []string{"team 999 does not exist"}},
			{name: "hostile text is escaped", who: "owner", method: "POST", path: path, form: form(func(f url.Values) {
				f.Set("ack_text", "<script>alert(1)</script>")
			}), status: 400, want: []string{"&lt;script&gt;alert(1)&lt;/script&gt;"}, forbid: []string{"<script>alert(1)"}},
		})
		after, _, err := e.App.DB.Inbox(bg, e.inboxID)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := json.Marshal(after); string(got) != string(saved) {
			t.Errorf("a refused form changed the inbox:\n%s\nwant\n%s", got, saved)
		}
		// A form without the routing section keeps the routing.
		runScenarios(t, e, cs, []scenario{{name: "no routing section", who: "owner", method: "POST", path: path,
			form: url.Values{"name": {"Support API"}, "reopen_days": {"7"}, "away_minutes": {"5"}, "email_ask": {"never"}}, status: 303}})
		if in, _, _ := e.App.DB.Inbox(bg, e.inboxID); !in.Routing.AutoAssign || in.Routing.AutoResolveDays != 3 {
			t.Errorf("routing lost: %+v", in.Routing)
		}
		// The page's own form: days, hours and holidays, no JSON.
		hoursForm := func(edit func(url.Values)) url.Values {
			return form(func(f url.Values) {
				f.Del("hours")
				f.Set("hours_form", "1")
				f.Set("hours_mode", "set")
				f.Set("hours_tz", "Europe/Lisbon")
				for _, d := range []string{"mon", "tue", "wed", "thu", "fri"} {
					f.Set("hours_"+d+"_open", "1")
					f.Set("hours_"+d, "09:00-12:30, 13:30-18:00")
				}
				f.Set("hours_sat", "10:00-14:00") // not open: ignored
				f.Set("hours_holidays", "2026-12-25 Christmas\n\n2027-01-01")
				if edit != nil {
					edit(f)
				}
			})
		}
		runScenarios(t, e, cs, []scenario{
			{name: "hours form: an open day with no hours", who: "owner", method: "POST", path: path, form: hoursForm(func(f url.Values) { f.Set("hours_tue", " ") }), status: 400,
				want: []string{`data-testid="hours-error">business hours: Tuesday is open but has no hours`, `value="Europe/Lisbon"`}},
			{name: "hours form: overlapping", who: "owner", method: "POST", path: path, form: hoursForm(func(f url.Values) { f.Set("hours_wed", "09:00-12:00, 11:00-13:00") }), status: 400,
				want: []string{`data-testid="hours-error">business hours:`, `value="09:00-12:00, 11:00-13:00"`}},
			{name: "hours form: a bad holiday", who: "owner", method: "POST", path: path, form: hoursForm(func(f url.Values) { f.Set("hours_holidays", "Christmas day") }), status: 400,
				want: []string{`holiday line 1`}},
			{name: "hours form: an unknown zone", who: "owner", method: "POST", path: path, form: hoursForm(func(f url.Values) { f.Set("hours_tz", "Mars/Olympus_Mons") }), status: 400,
				want: []string{`data-testid="hours-error">business hours:`, "Mars/Olympus_Mons"}},
			{name: "hours form: no zone", who: "owner", method: "POST", path: path, form: hoursForm(func(f url.Values) { f.Set("hours_tz", "") }), status: 400,
				want: []string{`pick a time zone`}},
		})
		if got, _ := json.Marshal(func() parley.Inbox { in, _, _ := e.App.DB.Inbox(bg, e.inboxID); return in }()); string(got) != string(saved) {
			t.Errorf("a refused hours form changed the inbox")
		}
		runScenarios(t, e, cs, []scenario{
			{name: "hours form: save", who: "owner", method: "POST", path: path, form: hoursForm(nil), status: 303},
			{name: "hours form: saved", who: "owner", method: "GET", path: path, status: 200,
				want: []string{"Europe/Lisbon", `name="hours_mode" value="set" checked`, `value="09:00-12:30, 13:30-18:00"`, "2026-12-25 Christmas\n2027-01-01 Holiday"}},
		})
		if in, _, _ := e.App.DB.Inbox(bg, e.inboxID); !strings.Contains(string(in.Routing.Hours), `"mon":["09:00-12:30","13:30-18:00"]`) ||
			!strings.Contains(string(in.Routing.Hours), `"sat":[]`) || !strings.Contains(string(in.Routing.Hours), `"2027-01-01":"Holiday"`) {
			t.Errorf("stored hours %s", in.Routing.Hours)
		}
		// Clearing the hours makes the inbox always open again.
		runScenarios(t, e, cs, []scenario{
			{name: "clear hours", who: "owner", method: "POST", path: path, form: form(func(f url.Values) { f.Set("hours", " ") }), status: 303},
			{name: "always open", who: "owner", method: "GET", path: path, status: 200, want: []string{"Always open"}},
		})
	})
}

func TestSLAPolicyForms(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		cs := map[string]*client{"owner": e.login("owner@example.com"), "agent": e.login("agent@example.com")}
		policy := func(edit func(url.Values)) url.Values {
			f := url.Values{"name": {"Urgent VIPs"}, "priority": {"urgent"}, "inbox_id": {fmt.Sprint(e.inboxID)}, "team_id": {"0"}, "label": {" VIP "},
				"first_response": {"30"}, "first_response_unit": {"m"}, "next_response": {""}, "next_response_unit": {"m"},
				"resolution": {"8"}, "resolution_unit": {"h"}, "warn_percent": {"75"}}
			if edit != nil {
				edit(f)
			}
			return f
		}
		runScenarios(t, e, cs, []scenario{
			{name: "empty", who: "owner", method: "GET", path: "/app/admin/sla", status: 200, want: []string{"No SLA policies yet", `data-testid="nav-sla"`, `data-testid="sla-form"`}},
			{name: "agents may not look", who: "agent", method: "GET", path: "/app/admin/sla", status: 403},
			{name: "agents may not save", who: "agent", method: "POST", path: "/app/admin/sla", form: policy(nil), status: 403},
			{name: "create", who: "owner", method: "POST", path: "/app/admin/sla", form: policy(nil), status: 303},
			{name: "listed", who: "owner", method: "GET", path: "/app/admin/sla", status: 200,
				want: []string{"Urgent VIPs", "<td>30m</td><td>—</td><td>8h</td><td>75%</td>", "Support API", "#vip"}},
		})
		list, err := e.App.DB.SLAPolicies(bg)
		if err != nil || len(list) != 1 {
			t.Fatalf("policies = %+v, %v", list, err)
		}
		p := list[0]
		if p.Name != "Urgent VIPs" || p.Priority != parley.PriorityUrgent || p.InboxID == nil || *p.InboxID != e.inboxID || p.TeamID != nil || p.Label != "vip" ||
			p.FirstResponse != 30*time.Minute || p.NextResponse != 0 || p.Resolution != 8*time.Hour || p.WarnPercent != 75 {
			t.Fatalf("stored policy = %+v", p)
		}
		edit := fmt.Sprintf("/app/admin/sla/%d", p.ID)
		runScenarios(t, e, cs, []scenario{
			{name: "update", who: "owner", method: "POST", path: edit, form: policy(func(f url.Values) {
				f.Set("first_response", "1")
				f.Set("first_response_unit", "h")
				f.Set("priority", "")
			}), status: 303},
			{name: "no target", who: "owner", method: "POST", path: "/app/admin/sla", form: policy(func(f url.Values) {
				f.Set("first_response", "")
				f.Set("resolution", "")
			}), status: 400, want: []string{`data-testid="sla-error">an SLA policy needs at least one target`}},
			{name: "not a number", who: "owner", method: "POST", path: "/app/admin/sla", form: policy(func(f url.Values) { f.Set("first_response", "half an hour") }), status: 400,
				want: []string{"first response target must be a whole number", `value="half an hour"`}},
			{name: "no name", who: "owner", method: "POST", path: "/app/admin/sla", form: policy(func(f url.Values) { f.Set("name", " ") }), status: 400,
				want: []string{"needs a name"}},
			{name: "bad warn on edit", who: "owner", method: "POST", path: edit, form: policy(func(f url.Values) { f.Set("warn_percent", "150") }), status: 400,
				want: []string{"warn_percent must be between 1 and 99", `value="150"`, "<details class=\"card\" data-testid=\"sla-policy\" open>"}},
			{name: "bad priority", who: "owner", method: "POST", path: "/app/admin/sla", form: policy(func(f url.Values) { f.Set("priority", "asap") }), status: 400,
				want: []string{`priority &#34;asap&#34; is not one of`}},
			{name: "unknown inbox", who: "owner", method: "POST", path: "/app/admin/sla", form: policy(func(f url.Values) { f.Set("inbox_id", "999") }), status: 400,
				want: []string{"inbox or team does not exist"}},
			{name: "unknown policy", who: "owner", method: "POST", path: "/app/admin/sla/999", form: policy(nil), status: 404},
		})
		list, _ = e.App.DB.SLAPolicies(bg)
		if len(list) != 1 || list[0].FirstResponse != time.Hour || list[0].Priority != "" || list[0].WarnPercent != 75 {
			t.Fatalf("after the edit and refused forms: %+v", list)
		}
		runScenarios(t, e, cs, []scenario{
			{name: "delete", who: "owner", method: "POST", path: edit + "/delete", form: url.Values{}, status: 303},
			{name: "gone", who: "owner", method: "GET", path: "/app/admin/sla", status: 200, want: []string{"No SLA policies yet"}},
			{name: "delete again", who: "owner", method: "POST", path: edit + "/delete", form: url.Values{}, status: 404},
		})
	})
}

func TestTriageForm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		cs := map[string]*client{"owner": e.login("owner@example.com"), "agent": e.login("agent@example.com")}
		custom := `[{"name": "Outage", "priority": "urgent", "phrases": ["site is down"], "enabled": true}]`
		runScenarios(t, e, cs, []scenario{
			{name: "defaults", who: "owner", method: "GET", path: "/app/admin/triage", status: 200,
				want: []string{"Charged twice", "These are Parley's default rules.", "&#34;name&#34;: &#34;Payment failed&#34;,\n", `data-testid="nav-triage"`}},
			{name: "agents may not", who: "agent", method: "POST", path: "/app/admin/triage", form: url.Values{"rules": {custom}}, status: 403},
			{name: "save", who: "owner", method: "POST", path: "/app/admin/triage", form: url.Values{"rules": {custom}}, status: 303},
			{name: "saved", who: "owner", method: "GET", path: "/app/admin/triage", status: 200,
				want: []string{"Outage", "edited by an admin"}, forbid: []string{"Charged twice"}},
			{name: "lowering rule", who: "owner", method: "POST", path: "/app/admin/triage",
				form: url.Values{"rules": {`[{"name": "Meh", "priority": "low", "phrases": ["hi"], "enabled": true}]`}}, status: 400,
				want: []string{`data-testid="triage-error">rule 1`, "Meh"}},
			{name: "malformed", who: "owner", method: "POST", path: "/app/admin/triage", form: url.Values{"rules": {`[{"name": `}}, status: 400,
				want: []string{"malformed JSON", `[{&#34;name&#34;: </textarea>`}},
			{name: "enabled left out", who: "owner", method: "POST", path: "/app/admin/triage",
				form: url.Values{"rules": {`[{"name": "X", "priority": "high", "phrases": ["x"]}]`}}, status: 400, want: []string{`rule 1: &#34;enabled&#34; is required`}},
		})
		rules, err := e.App.Inbox.TriageRules(bg)
		if err != nil || len(rules) != 1 || rules[0].Name != "Outage" {
			t.Fatalf("after refused forms: %+v, %v", rules, err)
		}
		runScenarios(t, e, cs, []scenario{
			{name: "restore", who: "owner", method: "POST", path: "/app/admin/triage/defaults", form: url.Values{"rules": {"ignored"}}, status: 303},
			{name: "restored", who: "owner", method: "GET", path: "/app/admin/triage?flash=defaults", status: 200,
				want: []string{"Charged twice", "default rules are back in force"}},
		})
		if rules, _ := e.App.Inbox.TriageRules(bg); len(rules) != len(triage.Defaults()) {
			t.Errorf("after restore: %d rules, want %d", len(rules), len(triage.Defaults()))
		}
	})
}

func TestQueueAndSLAViews(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		var clk clock
		e := startAt(t, dialect, clk.Now)
		r := routedSetup(t, e)
		// The acknowledgement job records the promise.
		deadline := time.Now().Add(5 * time.Second)
		for e.conversation(r.conv).PromisedReplyBy == nil {
			if time.Now().After(deadline) {
				t.Fatal("no promise recorded")
			}
			e.App.Jobs.RunDue(bg)
			time.Sleep(10 * time.Millisecond)
		}
		cs := map[string]*client{"agent": e.login("agent@example.com")}
		conv := fmt.Sprintf("/app/conversations/%d", r.conv)
		row := fmt.Sprintf(`data-testid="conversation-row" data-id="%d"`, r.conv)
		runScenarios(t, e, cs, []scenario{
			{name: "all open", who: "agent", method: "GET", path: "/app/", status: 200,
				want: []string{row, "Queued #1", `sla-ok js-sla`, `>due in 29m<`, `data-testid="count-queue">1<`, `data-testid="count-breaching">1<`}},
			{name: "queue view", who: "agent", method: "GET", path: "/app/?view=queue", status: 200,
				want: []string{row, "Queued #1", `data-testid="view-queue" aria-current="page"`, "urgent first, then oldest"}, forbid: []string{"Ana Pham"}},
			{name: "breaching view", who: "agent", method: "GET", path: "/app/?view=breaching", status: 200,
				want: []string{row, "due in 29m", `data-testid="view-breaching" aria-current="page"`}, forbid: []string{"Ana Pham"}},
			{name: "queue partial", who: "agent", method: "GET", path: "/app/list?view=queue", hx: true, status: 200, want: []string{"Queued #1"}, forbid: []string{"<html"}},
			{name: "conversation header", who: "agent", method: "GET", path: conv + "?view=queue", status: 200,
				want: []string{"Queued #1", `data-testid="sla-badge"`, `data-testid="promise">Promised reply by`}},
			{name: "bad view", who: "agent", method: "GET", path: "/app/?view=everything", status: 400},
		})
		// Past its target, the badge says by how much, whatever was recorded.
		clk.pin(e.conversation(r.conv).SLADueAt.Add(12*time.Minute + 30*time.Second))
		runScenarios(t, e, cs, []scenario{
			{name: "overdue", who: "agent", method: "GET", path: "/app/?view=breaching", status: 200, want: []string{"sla-breached", ">overdue 12m<"}},
		})
		clk.unpin()
		// A second queued conversation comes after the first.
		second := e.incomingTo(r.inbox.ID, "cust-q2", "Second", "Hello?")
		runScenarios(t, e, cs, []scenario{
			{name: "two queued", who: "agent", method: "GET", path: "/app/?view=queue", status: 200,
				want: []string{"Queued #1", "Queued #2", fmt.Sprintf(`data-id="%d"`, second), `data-testid="count-queue">2<`}},
		})
	})
}

func TestUrgentAlert(t *testing.T) {
	e := start(t, "sqlite")
	c := e.login("agent@example.com")
	path := fmt.Sprintf("/app/conversations/%d/alert?rule=Charged+twice", e.convID)
	if status, body, _ := c.do("GET", path, nil, true); status != http.StatusNoContent {
		t.Errorf("offline agent: %d %q, want 204", status, body)
	}
	e.goOnline(e.agentID, 5)
	if status, _, _ := c.do("GET", path, nil, true); status != http.StatusNoContent {
		t.Errorf("normal conversation: %d, want 204", status)
	}
	conv := e.incomingTo(e.inboxID, "cust-u", "Minh <b>Urgent</b>", "I was charged twice")
	if p := e.conversation(conv).Priority; p != parley.PriorityUrgent {
		t.Fatalf("priority = %q; the default rules make a double charge urgent", p)
	}
	status, body, _ := c.do("GET", fmt.Sprintf("/app/conversations/%d/alert?rule=Charged+twice&rule=%%3Cimg+src%%3Dx%%3E", conv), nil, true)
	if status != http.StatusOK || !strings.Contains(body, "<strong>Urgent:</strong> Minh &lt;b&gt;Urgent&lt;/b&gt; — Charged twice, &lt;img src=x&gt;") ||
		strings.Contains(body, "<img") || strings.Contains(body, "<html") {
		t.Errorf("alert = %d %s", status, body)
	}
	if status, _, _ := c.do("GET", "/app/conversations/999/alert", nil, true); status != http.StatusNotFound {
		t.Errorf("unknown conversation: %d", status)
	}
}
