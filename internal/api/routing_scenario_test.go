package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

// testAgentSettings: PATCH /agents/{id} sets availability (an agent their
// own, admins anyone's) and capacity (admins only), all or nothing.
func testAgentSettings(t *testing.T, dialect string) {
	e := start(t, dialect)
	agent, agentTok := e.agentToken("agent@example.com", parley.RoleAgent)
	other, _ := e.agentToken("other@example.com", parley.RoleAgent)
	_, adminTok := e.agentToken("admin@example.com", parley.RoleAdmin)
	if agent.Availability != parley.Offline || agent.Capacity != parley.DefaultCapacity {
		t.Fatalf("new agent = %+v, want offline with the default capacity", agent)
	}
	mine := fmt.Sprintf("/api/v1/agents/%d", agent.ID)
	theirs := fmt.Sprintf("/api/v1/agents/%d", other.ID)
	seq := e.lastSeq()
	e.run([]scenario{
		{name: "agent goes away", method: "PATCH", path: mine, body: map[string]any{"availability": "away"}, token: agentTok, status: 200,
			want:    []string{`"availability":"away"`, fmt.Sprintf(`"capacity":%d`, parley.DefaultCapacity), "agent@example.com"},
			notWant: []string{"password_hash", `"password"`}},
		{name: "admin sets capacity", method: "PATCH", path: mine, body: map[string]any{"capacity": 3}, status: 200,
			want: []string{`"capacity":3`, `"availability":"away"`}},
		{name: "admin agent sets both", method: "PATCH", path: theirs, body: map[string]any{"availability": "away", "capacity": 500}, token: adminTok,
			status: 200, want: []string{`"availability":"away"`, `"capacity":500`}},
		{name: "same availability again", method: "PATCH", path: theirs, body: map[string]any{"availability": "away"}, status: 200},

		{name: "agent sets another's availability", method: "PATCH", path: theirs, body: map[string]any{"availability": "offline"}, token: agentTok,
			status: 403, want: []string{"their own availability"}},
		{name: "agent sets own capacity", method: "PATCH", path: mine, body: map[string]any{"capacity": 50}, token: agentTok,
			status: 403, want: []string{"capacity"}},
		{name: "agent sets own availability and capacity", method: "PATCH", path: mine, body: map[string]any{"availability": "offline", "capacity": 50},
			token: agentTok, status: 403},
		{name: "agent sets unknown agent", method: "PATCH", path: "/api/v1/agents/999999", body: map[string]any{"availability": "online"},
			token: agentTok, status: 403},
		{name: "unknown agent", method: "PATCH", path: "/api/v1/agents/999999", body: map[string]any{"availability": "online"}, status: 404,
			want: []string{"agent 999999 not found"}},
		{name: "unknown agent capacity", method: "PATCH", path: "/api/v1/agents/999999", body: map[string]any{"capacity": 2}, status: 404},
		{name: "bad id", method: "PATCH", path: "/api/v1/agents/me", body: map[string]any{"availability": "online"}, status: 400,
			want: []string{"positive integer id"}},
		{name: "unknown availability", method: "PATCH", path: mine, body: map[string]any{"availability": "busy"}, status: 400,
			want: []string{`\"busy\"`, "online, away, offline"}},
		{name: "capitalised availability", method: "PATCH", path: mine, body: map[string]any{"availability": "Online"}, status: 400},
		{name: "empty availability", method: "PATCH", path: mine, body: map[string]any{"availability": ""}, status: 400},
		{name: "availability of the wrong type", method: "PATCH", path: mine, body: `{"availability": true}`, status: 400,
			want: []string{"availability"}},
		{name: "zero capacity", method: "PATCH", path: mine, body: map[string]any{"capacity": 0}, status: 400, want: []string{"between 1 and 500"}},
		{name: "negative capacity", method: "PATCH", path: mine, body: map[string]any{"capacity": -1}, status: 400},
		{name: "capacity over 500", method: "PATCH", path: mine, body: map[string]any{"capacity": 501}, status: 400},
		{name: "huge capacity", method: "PATCH", path: mine, body: `{"capacity": 1e30}`, status: 400, want: []string{"capacity"}},
		{name: "fractional capacity", method: "PATCH", path: mine, body: `{"capacity": 1.5}`, status: 400, want: []string{"capacity"}},
		{name: "capacity as text", method: "PATCH", path: mine, body: `{"capacity": "5"}`, status: 400, want: []string{"capacity"}},
		{name: "valid availability, bad capacity", method: "PATCH", path: mine, body: map[string]any{"availability": "offline", "capacity": 0}, status: 400},
		{name: "nothing to change", method: "PATCH", path: mine, body: map[string]any{}, status: 400, want: []string{"nothing to change"}},
		{name: "nulls change nothing", method: "PATCH", path: mine, body: `{"availability": null, "capacity": null}`, status: 400,
			want: []string{"nothing to change"}},
		{name: "role is not settable here", method: "PATCH", path: mine, body: map[string]any{"role": "admin"}, status: 400,
			want: []string{`unknown field \"role\"`}},
		{name: "list shows availability and capacity", method: "GET", path: "/api/v1/agents", status: 200,
			want: []string{`"availability":"away"`, `"capacity":3`, `"capacity":500`}},
	})
	// Each change of availability is one agent.availability event; the
	// same availability again and capacity changes log none.
	var changes []string
	for _, ev := range e.events(seq) {
		if ev.Type == parley.EventAgentAvailability {
			changes = append(changes, fmt.Sprintf("%d %s", *ev.AgentID, ev.Data))
		}
	}
	if len(changes) != 2 || !strings.Contains(changes[0], `"to":"away"`) || !strings.Contains(changes[0], `"reason":"api"`) {
		t.Fatalf("availability events = %q, want two (agent away, other away)", changes)
	}
}

// testQueue: an inbox with auto-assign queues conversations, urgent first
// then oldest; an agent going online takes up to their capacity, and
// going away returns theirs to the queue.
func testQueue(t *testing.T, dialect string) {
	e := start(t, dialect)
	agent, agentTok := e.agentToken("agent@example.com", parley.RoleAgent)
	routed := e.createInbox(map[string]any{"name": "Routed", "routing": map[string]any{"auto_assign": true, "requeue_on_away": true}})
	plain := e.createInbox(map[string]any{"name": "Plain"})

	e.run([]scenario{
		{name: "empty queue", method: "GET", path: "/api/v1/queue", status: 200, want: []string{`{"conversations":[]}`}},
	})
	c1 := e.say(routed.ID, "cust-1", "hello").ConversationID
	c2 := e.say(routed.ID, "cust-2", "a question about shipping").ConversationID
	c3 := e.say(routed.ID, "cust-3", "I was charged twice for my order").ConversationID // the default triage rules make it urgent
	e.say(plain.ID, "cust-4", "not routed")
	if c := e.conversation(c3); c.Priority != parley.PriorityUrgent || c.QueuedAt == nil {
		t.Fatalf("conversation %d = %+v, want urgent and queued", c3, c)
	}
	e.checkQueue(c3, c1, c2)

	e.run([]scenario{
		{name: "agent reads the queue", method: "GET", path: "/api/v1/queue", token: agentTok, status: 200,
			want: []string{fmt.Sprintf(`"id":%d`, c3), `"position":1`, `"position":3`, `"queued_at":"`}, notWant: []string{`"position":4`}},
		{name: "queue limit", method: "GET", path: "/api/v1/queue?limit=1", status: 200, want: []string{`"position":1`}, notWant: []string{`"position":2`}},
		{name: "queue limit zero", method: "GET", path: "/api/v1/queue?limit=0", status: 400, want: []string{"limit"}},
		{name: "queue limit too large", method: "GET", path: "/api/v1/queue?limit=501", status: 400, want: []string{"from 1 to 500"}},
		{name: "queue limit not a number", method: "GET", path: "/api/v1/queue?limit=all", status: 400},
		{name: "queue limit maximum", method: "GET", path: "/api/v1/queue?limit=500", status: 200},
	})

	// Room for one: going online takes the urgent one.
	e.call("PATCH", fmt.Sprintf("/api/v1/agents/%d", agent.ID), map[string]any{"capacity": 1}, 200, nil)
	r := e.send("PATCH", fmt.Sprintf("/api/v1/agents/%d", agent.ID), nil, map[string]any{"availability": "online"}, agentTok)
	if r.status != 200 {
		t.Fatalf("going online = %s", r)
	}
	eventually(t, "the urgent conversation assigned", func() bool {
		c := e.conversation(c3)
		return c.AssigneeID != nil && *c.AssigneeID == agent.ID && c.QueuedAt == nil
	})
	e.checkQueue(c1, c2)
	var a parley.Agent
	for _, x := range e.agents() {
		if x.ID == agent.ID {
			a = x
		}
	}
	if a.Availability != parley.Online || a.LastAssignedAt == nil {
		t.Fatalf("agent after going online = %+v, want online with last_assigned_at", a)
	}

	// Going away puts it back, still first: urgent goes before older ones.
	e.call("PATCH", fmt.Sprintf("/api/v1/agents/%d", agent.ID), map[string]any{"availability": "away"}, 200, nil)
	if c := e.conversation(c3); c.AssigneeID != nil || c.QueuedAt == nil {
		t.Fatalf("conversation %d after its agent went away = %+v, want unassigned and queued", c3, c)
	}
	e.checkQueue(c3, c1, c2)
}

// checkQueue wants GET /queue to hold exactly these conversations, in
// this order, with positions 1…n.
func (e *env) checkQueue(want ...int64) {
	e.t.Helper()
	var q struct {
		Conversations []struct {
			parley.Conversation
			Position int `json:"position"`
		} `json:"conversations"`
	}
	e.call("GET", "/api/v1/queue", nil, 200, &q)
	var got []string
	for _, c := range q.Conversations {
		got = append(got, fmt.Sprintf("%d@%d", c.ID, c.Position))
	}
	var exp []string
	for i, id := range want {
		exp = append(exp, fmt.Sprintf("%d@%d", id, i+1))
	}
	if strings.Join(got, " ") != strings.Join(exp, " ") {
		e.t.Fatalf("queue = %v, want %v", got, exp)
	}
}

func (e *env) agents() []parley.Agent {
	e.t.Helper()
	var out struct{ Agents []parley.Agent }
	e.call("GET", "/api/v1/agents", nil, 200, &out)
	return out.Agents
}

// testInboxRouting: an inbox's routing is set on create and replaced
// whole on update; invalid routing (hours above all) is refused whole.
func testInboxRouting(t *testing.T, dialect string) {
	e := start(t, dialect)
	_, agentTok := e.agentToken("agent@example.com", parley.RoleAgent)
	var team parley.Team
	e.call("POST", "/api/v1/teams", map[string]any{"name": "Tier 1"}, 201, &team)
	hours := map[string]any{"time_zone": "Europe/Paris", "week": map[string]any{"mon": []string{"13:30-18:00", "09:00-12:30"}, "fri": []string{"09:00-17:00"}},
		"holidays": map[string]string{"2026-12-25": "Christmas"}}
	full := map[string]any{"auto_assign": true, "team_id": team.ID, "requeue_on_away": true, "hours": hours,
		"ack":               map[string]any{"enabled": true, "text": "Thanks! We'll reply {{reply_by}}.", "after_hours": "We're closed; we'll reply {{reply_by}}."},
		"auto_resolve_days": 7, "auto_resolve_message": "Closing this for now."}
	in := e.createInbox(map[string]any{"name": "Routed", "routing": full})
	rt := in.Routing
	if !rt.AutoAssign || rt.TeamID == nil || *rt.TeamID != team.ID || !rt.RequeueOnAway || !rt.Ack.Enabled || rt.AutoResolveDays != 7 ||
		!strings.Contains(string(rt.Hours), "Europe/Paris") {
		t.Fatalf("created routing = %+v (hours %s)", rt, rt.Hours)
	}
	plain := e.createInbox(map[string]any{"name": "Plain"})
	if plain.Routing.AutoAssign || plain.Routing.Hours != nil {
		t.Fatalf("default routing = %+v", plain.Routing)
	}

	path := fmt.Sprintf("/api/v1/inboxes/%d", in.ID)
	withHours := func(h any) map[string]any { return map[string]any{"routing": map[string]any{"hours": h}} }
	e.run([]scenario{
		{name: "read routing", method: "GET", path: path, token: agentTok, status: 200,
			want: []string{`"auto_assign":true`, fmt.Sprintf(`"team_id":%d`, team.ID), `"time_zone":"Europe/Paris"`, "{{reply_by}}", `"auto_resolve_days":7`}},
		{name: "list shows routing", method: "GET", path: "/api/v1/inboxes", status: 200, want: []string{`"routing":{"auto_assign":false`}},

		// Refused, with nothing changed.
		{name: "agent sets routing", method: "PATCH", path: path, body: map[string]any{"routing": map[string]any{"auto_assign": false}},
			token: agentTok, status: 403},
		{name: "routing null", method: "PATCH", path: path, body: `{"routing": null}`, status: 400, want: []string{"nothing to change"}},
		{name: "routing not an object", method: "PATCH", path: path, body: `{"routing": true}`, status: 400, want: []string{"routing"}},
		{name: "auto_assign as text", method: "PATCH", path: path, body: `{"routing": {"auto_assign": "yes"}}`, status: 400,
			want: []string{"auto_assign"}},
		{name: "unknown routing field", method: "PATCH", path: path, body: `{"routing": {"auto_asign": true}}`, status: 400,
			want: []string{`unknown field \"auto_asign\"`}},
		{name: "unknown ack field", method: "PATCH", path: path, body: `{"routing": {"ack": {"enabled": true, "txt": "x"}}}`, status: 400,
			want: []string{"unknown field"}},
		{name: "unknown team", method: "PATCH", path: path, body: map[string]any{"routing": map[string]any{"team_id": 999999}}, status: 400,
			want: []string{"team 999999"}},
		{name: "negative team", method: "PATCH", path: path, body: map[string]any{"routing": map[string]any{"team_id": -1}}, status: 400,
			want: []string{"team_id"}},
		{name: "ack without the promise", method: "PATCH", path: path,
			body: map[string]any{"routing": map[string]any{"ack": map[string]any{"enabled": true, "text": "Thanks!"}}}, status: 400,
			want: []string{"{{reply_by}}"}},
		{name: "ack too long", method: "PATCH", path: path,
			body:   map[string]any{"routing": map[string]any{"ack": map[string]any{"enabled": true, "after_hours": strings.Repeat("x", 2001) + "{{reply_by}}"}}},
			status: 400, want: []string{"2000"}},
		{name: "auto-resolve over a year", method: "PATCH", path: path, body: map[string]any{"routing": map[string]any{"auto_resolve_days": 366}},
			status: 400, want: []string{"auto_resolve_days"}},
		{name: "negative auto-resolve", method: "PATCH", path: path, body: map[string]any{"routing": map[string]any{"auto_resolve_days": -1}},
			status: 400, want: []string{"auto_resolve_days"}},
		{name: "hours as text", method: "PATCH", path: path, body: withHours("9-5"), status: 400, want: []string{"routing.hours must be an object"}},
		{name: "hours as a list", method: "PATCH", path: path, body: withHours([]string{"09:00-17:00"}), status: 400, want: []string{"routing.hours"}},
		{name: "hours without a zone", method: "PATCH", path: path, body: withHours(map[string]any{"week": map[string]any{}}), status: 400,
			want: []string{"time_zone is required"}},
		{name: "hours in an unknown zone", method: "PATCH", path: path, body: withHours(map[string]any{"time_zone": "Mars/Olympus_Mons"}), status: 400,
			want: []string{"Mars/Olympus_Mons"}},
		{name: "hours in the server's zone", method: "PATCH", path: path, body: withHours(map[string]any{"time_zone": "Local"}), status: 400,
			want: []string{"Local"}},
		{name: "hours on an unknown day", method: "PATCH", path: path,
			body: withHours(map[string]any{"time_zone": "UTC", "week": map[string]any{"funday": []string{"09:00-17:00"}}}), status: 400,
			want: []string{"funday"}},
		{name: "hours ending before they start", method: "PATCH", path: path,
			body: withHours(map[string]any{"time_zone": "UTC", "week": map[string]any{"mon": []string{"17:00-09:00"}}}), status: 400,
			want: []string{"start must be before end"}},
		{name: "hours overlapping", method: "PATCH", path: path,
			body: withHours(map[string]any{"time_zone": "UTC", "week": map[string]any{"tue": []string{"09:00-13:00", "12:00-18:00"}}}), status: 400,
			want: []string{"overlaps"}},
		{name: "hours with a bad time", method: "PATCH", path: path,
			body: withHours(map[string]any{"time_zone": "UTC", "week": map[string]any{"wed": []string{"9am-5pm"}}}), status: 400,
			want: []string{"9am"}},
		{name: "hours with a bad holiday", method: "PATCH", path: path,
			body: withHours(map[string]any{"time_zone": "UTC", "holidays": map[string]string{"Christmas": "2026-12-25"}}), status: 400,
			want: []string{"holidays"}},
		{name: "hours with an unknown field", method: "PATCH", path: path,
			body: withHours(map[string]any{"time_zone": "UTC", "timezone": "UTC"}), status: 400, want: []string{"timezone"}},
		{name: "hours with a day as text", method: "PATCH", path: path,
			body: withHours(map[string]any{"time_zone": "UTC", "week": map[string]any{"mon": "09:00-17:00"}}), status: 400,
			want: []string{"week"}, notWant: []string{"Go struct", "stored"}},
		{name: "create with bad hours", method: "POST", path: "/api/v1/inboxes",
			body: map[string]any{"name": "Bad hours", "routing": map[string]any{"hours": map[string]any{"time_zone": "Nowhere/City"}}}, status: 400},
		{name: "create with an unknown team", method: "POST", path: "/api/v1/inboxes",
			body: map[string]any{"name": "Bad team", "routing": map[string]any{"team_id": 424242}}, status: 400},

		// Accepted: routing is replaced whole.
		{name: "replace routing", method: "PATCH", path: path, body: map[string]any{"routing": map[string]any{"auto_assign": true, "team_id": 0}},
			status: 200, want: []string{`"routing":{"auto_assign":true,"ack":{"enabled":false},"survey":{"enabled":true,"csat":true,"cooldown_days":14,"delay_minutes":5}}`}, notWant: []string{"Europe/Paris", "requeue_on_away"}},
		{name: "survey settings, missing ones default", method: "PATCH", path: path, body: `{"routing": {"survey": {"enabled": false, "cooldown_days": 0}}}`,
			status: 200, want: []string{`"survey":{"enabled":false,"csat":true,"cooldown_days":0,"delay_minutes":5}`}},
		{name: "survey cooldown out of range", method: "PATCH", path: path, body: `{"routing": {"survey": {"cooldown_days": 400}}}`,
			status: 400, want: []string{"cooldown"}},
		{name: "hours back, with an en dash and midnight", method: "PATCH", path: path,
			body: withHours(map[string]any{"time_zone": "Asia/Ho_Chi_Minh", "week": map[string]any{"sat": []string{"20:00–24:00"}}}), status: 200,
			want: []string{"Asia/Ho_Chi_Minh"}, notWant: []string{`"auto_assign":true`}},
		{name: "hours null is always open", method: "PATCH", path: path, body: `{"routing": {"hours": null}}`, status: 200,
			notWant: []string{"hours"}},
		{name: "routing with other fields", method: "PATCH", path: path, body: map[string]any{"name": "Routed again", "routing": full}, status: 200,
			want: []string{`"Routed again"`, "Europe/Paris", `"requeue_on_away":true`}},
	})
}
