package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// slaPolicy is an SLA policy as the API shows it.
type slaPolicy struct {
	ID                   int64  `json:"id"`
	Name                 string `json:"name"`
	Priority             string `json:"priority"`
	InboxID              *int64 `json:"inbox_id"`
	TeamID               *int64 `json:"team_id"`
	Label                string `json:"label"`
	FirstResponseSeconds int64  `json:"first_response_seconds"`
	NextResponseSeconds  int64  `json:"next_response_seconds"`
	ResolutionSeconds    int64  `json:"resolution_seconds"`
	WarnPercent          int    `json:"warn_percent"`
}

func (e *env) createSLAPolicy(body map[string]any) slaPolicy {
	e.t.Helper()
	var p slaPolicy
	e.call("POST", "/api/v1/sla-policies", body, 201, &p)
	return p
}

// testSLAPolicies: creating, listing, changing and deleting SLA policies,
// and every way to get one wrong.
func testSLAPolicies(t *testing.T, dialect string) {
	e := start(t, dialect)
	_, agentTok := e.agentToken("agent@example.com", parley.RoleAgent)
	in := e.createInbox(map[string]any{"name": "Support"})
	var team parley.Team
	e.call("POST", "/api/v1/teams", map[string]any{"name": "Billing"}, 201, &team)

	e.run([]scenario{{name: "no policies yet", method: "GET", path: "/api/v1/sla-policies", status: 200, want: []string{`{"sla_policies":[]}`}}})
	urgent := e.createSLAPolicy(map[string]any{"name": " Urgent ", "priority": "urgent", "first_response_seconds": 900, "resolution_seconds": 86400})
	if urgent.Name != "Urgent" || urgent.Priority != "urgent" || urgent.FirstResponseSeconds != 900 || urgent.NextResponseSeconds != 0 ||
		urgent.ResolutionSeconds != 86400 || urgent.WarnPercent != 80 || urgent.InboxID != nil || urgent.TeamID != nil || urgent.Label != "" {
		t.Fatalf("created policy = %+v", urgent)
	}
	vip := e.createSLAPolicy(map[string]any{"name": "VIP billing", "inbox_id": in.ID, "team_id": team.ID, "label": " VIP ",
		"next_response_seconds": 3600, "warn_percent": 50})
	if vip.Label != "vip" || vip.InboxID == nil || *vip.InboxID != in.ID || vip.TeamID == nil || *vip.TeamID != team.ID || vip.Priority != "" {
		t.Fatalf("created policy = %+v", vip)
	}
	anyPolicy := e.createSLAPolicy(map[string]any{"name": "Any", "inbox_id": 0, "team_id": 0, "priority": "", "resolution_seconds": 365 * 24 * 3600})

	vipPath := fmt.Sprintf("/api/v1/sla-policies/%d", vip.ID)
	post := func(name string, body any, status int, want ...string) scenario {
		return scenario{name: "create " + name, method: "POST", path: "/api/v1/sla-policies", body: body, status: status, want: want}
	}
	patch := func(name string, body any, status int, want ...string) scenario {
		return scenario{name: "update " + name, method: "PATCH", path: vipPath, body: body, status: status, want: want}
	}
	ok := map[string]any{"name": "X", "first_response_seconds": 60}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for k, v := range ok {
			m[k] = v
		}
		m[k] = v
		return m
	}
	e.run([]scenario{
		{name: "list", method: "GET", path: "/api/v1/sla-policies", status: 200,
			want: []string{`"name":"Urgent"`, `"priority":"urgent"`, `"first_response_seconds":900`, `"resolution_seconds":86400`,
				`"inbox_id":null`, `"label":"vip"`, `"warn_percent":50`, `"resolution_seconds":31536000`}},
		{name: "agent lists", method: "GET", path: "/api/v1/sla-policies", token: agentTok, status: 200, want: []string{`"VIP billing"`}},

		{name: "create by an agent", method: "POST", path: "/api/v1/sla-policies", body: ok, token: agentTok, status: 403,
			want: []string{"only owners and admins"}},
		post("without a name", map[string]any{"first_response_seconds": 60}, 400, "name"),
		post("with a blank name", with("name", "   "), 400, "name"),
		post("with a long name", with("name", strings.Repeat("n", 101)), 400, "100 characters"),
		post("without a target", map[string]any{"name": "X"}, 400, "at least one target"),
		post("with zero targets", map[string]any{"name": "X", "first_response_seconds": 0, "resolution_seconds": 0}, 400, "at least one target"),
		post("with a negative target", with("next_response_seconds", -1), 400, "365 days"),
		post("with a target over a year", with("resolution_seconds", 365*24*3600+1), 400, "365 days"),
		post("with an overflowing target", with("first_response_seconds", int64(1)<<62), 400, "365 days"),
		post("with a fractional target", `{"name": "X", "first_response_seconds": 1.5}`, 400, "first_response_seconds"),
		post("with a target as text", `{"name": "X", "first_response_seconds": "60"}`, 400, "first_response_seconds"),
		post("with an unknown priority", with("priority", "critical"), 400, "critical"),
		post("with a priority of the wrong type", `{"name": "X", "first_response_seconds": 60, "priority": 3}`, 400, "priority"),
		post("with warn_percent 100", with("warn_percent", 100), 400, "warn_percent"),
		post("with a negative warn_percent", with("warn_percent", -5), 400, "warn_percent"),
		post("in an unknown inbox", with("inbox_id", 999999), 400, "does not exist"),
		post("for an unknown team", with("team_id", 999999), 400, "does not exist"),
		post("with a negative inbox", with("inbox_id", -1), 400, "inbox_id"),
		post("with a label holding a comma", with("label", "a,b"), 400, "comma"),
		post("with a long label", with("label", strings.Repeat("l", 65)), 400, "label"),
		post("with an id", with("id", 5), 400, `unknown field \"id\"`),
		post("with seconds in the wrong field", with("first_response", 60), 400, "unknown field"),

		{name: "update by an agent", method: "PATCH", path: vipPath, body: map[string]any{"name": "Mine"}, token: agentTok, status: 403},
		patch("with nothing", map[string]any{}, 400, "nothing to change"),
		patch("with nulls", `{"name": null, "label": null}`, 400, "nothing to change"),
		patch("to no target", map[string]any{"next_response_seconds": 0}, 400, "at least one target"),
		patch("to a blank name", map[string]any{"name": ""}, 400, "name"),
		patch("to an unknown team", map[string]any{"team_id": 424242}, 400, "does not exist"),
		patch("with an unknown field", map[string]any{"targets": []int{1}}, 400, "unknown field"),
		{name: "update an unknown policy", method: "PATCH", path: "/api/v1/sla-policies/999999", body: map[string]any{"name": "X"}, status: 404,
			want: []string{"SLA policy 999999 not found"}},
		{name: "update with a bad id", method: "PATCH", path: "/api/v1/sla-policies/vip", body: map[string]any{"name": "X"}, status: 400},
		{name: "delete by an agent", method: "DELETE", path: vipPath, token: agentTok, status: 403},
		{name: "delete an unknown policy", method: "DELETE", path: "/api/v1/sla-policies/999999", status: 404, want: []string{"999999"}},
		{name: "delete with a bad id", method: "DELETE", path: "/api/v1/sla-policies/0", status: 400},

		patch("name and targets", map[string]any{"name": "VIP", "first_response_seconds": 600, "warn_percent": 0}, 200,
			`"name":"VIP"`, `"first_response_seconds":600`, `"next_response_seconds":3600`, `"warn_percent":80`, `"label":"vip"`),
		patch("clear inbox and team", map[string]any{"inbox_id": 0, "team_id": 0, "label": ""}, 200,
			`"inbox_id":null`, `"team_id":null`, `"label":""`, `"name":"VIP"`),
		patch("set priority and label", map[string]any{"priority": "high", "label": "Gold"}, 200, `"priority":"high"`, `"label":"gold"`),
		{name: "delete", method: "DELETE", path: fmt.Sprintf("/api/v1/sla-policies/%d", anyPolicy.ID), status: 204},
		{name: "delete again", method: "DELETE", path: fmt.Sprintf("/api/v1/sla-policies/%d", anyPolicy.ID), status: 404},
		{name: "list after delete", method: "GET", path: "/api/v1/sla-policies", status: 200, want: []string{`"Urgent"`, `"VIP"`},
			notWant: []string{`"Any"`}},
	})
}

// testBreachingSoon: conversations whose SLA is due within the hour or
// overdue, soonest first; a policy's first-response target sets the
// promise the inbox makes.
func testBreachingSoon(t *testing.T, dialect string) {
	e := start(t, dialect)
	_, agentTok := e.agentToken("agent@example.com", parley.RoleAgent)
	in := e.createInbox(map[string]any{"name": "Support"})
	e.createSLAPolicy(map[string]any{"name": "Normal", "priority": "normal", "first_response_seconds": 2 * 3600})
	e.createSLAPolicy(map[string]any{"name": "Urgent", "priority": "urgent", "first_response_seconds": 600})

	slow := e.say(in.ID, "cust-1", "hello").ConversationID
	fast := e.say(in.ID, "cust-2", "hello there").ConversationID
	e.call("PATCH", fmt.Sprintf("/api/v1/conversations/%d", fast), map[string]any{"priority": "urgent"}, 200, nil)
	c := e.conversation(fast)
	if c.SLADueAt == nil || c.SLAState != "ok" || c.SLADueAt.Sub(c.CreatedAt) != 10*time.Minute {
		t.Fatalf("urgent conversation = %+v, want sla_due_at 10 minutes after it started and sla_state ok", c)
	}
	e.checkBreaching("", fast)
	e.run([]scenario{
		{name: "agent lists breaching", method: "GET", path: "/api/v1/conversations/breaching-soon", token: agentTok, status: 200,
			want: []string{fmt.Sprintf(`"id":%d`, fast), `"sla_due_at":"`, `"sla_state":"ok"`}, notWant: []string{fmt.Sprintf(`"id":%d`, slow)}},
		{name: "breaching limit zero", method: "GET", path: "/api/v1/conversations/breaching-soon?limit=0", status: 400, want: []string{"limit"}},
		{name: "breaching limit too large", method: "GET", path: "/api/v1/conversations/breaching-soon?limit=101", status: 400},
		{name: "breaching limit not a number", method: "GET", path: "/api/v1/conversations/breaching-soon?limit=x", status: 400},
		{name: "breaching without a token", method: "GET", path: "/api/v1/conversations/breaching-soon", token: noToken, status: 401},
		// The fixed path is not a conversation id, and ids still are.
		{name: "conversation by id still served", method: "GET", path: fmt.Sprintf("/api/v1/conversations/%d", slow), status: 200},
		{name: "breaching is not patchable", method: "PATCH", path: "/api/v1/conversations/breaching-soon", body: map[string]any{"priority": "low"},
			status: 400, want: []string{"positive integer id"}},
	})

	// 90 minutes on: the urgent one is overdue (and breached), the normal
	// one due in 30 minutes.
	e.advance(90 * time.Minute)
	eventually(t, "the urgent conversation's breach", func() bool { return e.conversation(fast).SLAState == "breached" })
	e.checkBreaching("", fast, slow)
	e.checkBreaching("?limit=1", fast)

	// A reply stops the first-response clock: off the list.
	e.call("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", fast), map[string]any{"text": "sorry for the wait"}, 201, nil)
	e.checkBreaching("", slow)
}

// checkBreaching wants GET /conversations/breaching-soon to list exactly
// these conversations, in this order.
func (e *env) checkBreaching(query string, want ...int64) {
	e.t.Helper()
	var out struct{ Conversations []parley.Conversation }
	e.call("GET", "/api/v1/conversations/breaching-soon"+query, nil, 200, &out)
	if got := convIDs(out.Conversations); fmt.Sprint(got) != fmt.Sprint(want) {
		e.t.Fatalf("breaching soon%s = %v, want %v", query, got, want)
	}
	for i := 1; i < len(out.Conversations); i++ {
		if out.Conversations[i].SLADueAt.Before(*out.Conversations[i-1].SLADueAt) {
			e.t.Fatalf("breaching soon is not soonest first: %v", out.Conversations)
		}
	}
}
