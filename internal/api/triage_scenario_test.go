package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// testTriageRules: reading, replacing and resetting the triage rules;
// invalid sets are refused whole and leave the rules in force.
func testTriageRules(t *testing.T, dialect string) {
	e := start(t, dialect)
	_, agentTok := e.agentToken("agent@example.com", parley.RoleAgent)
	in := e.createInbox(map[string]any{"name": "Support"})
	priorityOf := func(who, text string) parley.Priority {
		t.Helper()
		return e.conversation(e.say(in.ID, who, text).ConversationID).Priority
	}

	rule := func(name, priority string, extra map[string]any) map[string]any {
		r := map[string]any{"name": name, "priority": priority, "enabled": true, "phrases": []string{"vip customer"}}
		for k, v := range extra {
			if v == nil {
				delete(r, k)
			} else {
				r[k] = v
			}
		}
		return r
	}
	custom := []any{rule("VIP", "urgent", nil),
		rule(" Big spender ", "high", map[string]any{"phrases": nil, "min_amount": 1000, "currencies": []string{" usd"}}),
		rule("Kept for later", "high", map[string]any{"enabled": false, "phrases": []string{"maybe"}})}
	put := func(name string, body any, status int, want ...string) scenario {
		return scenario{name: "put " + name, method: "PUT", path: "/api/v1/triage-rules", body: body, status: status, want: want}
	}
	one := func(extra map[string]any) []any { return []any{rule("R", "urgent", extra)} }
	many := make([]any, 201)
	for i := range many {
		many[i] = rule(fmt.Sprintf("Rule %d", i), "high", nil)
	}
	e.run([]scenario{
		{name: "defaults", method: "GET", path: "/api/v1/triage-rules", status: 200,
			want: []string{`[{"name":"Payment failed","priority":"urgent"`, `"Charged twice"`, `"enabled":true`}},
		{name: "agent reads the rules", method: "GET", path: "/api/v1/triage-rules", token: agentTok, status: 200, want: []string{"Fraud"}},
		{name: "agent replaces the rules", method: "PUT", path: "/api/v1/triage-rules", body: custom, token: agentTok, status: 403,
			want: []string{"only owners and admins"}},
		{name: "agent sends bad rules", method: "PUT", path: "/api/v1/triage-rules", body: "{", token: agentTok, status: 403},
		{name: "agent resets the rules", method: "DELETE", path: "/api/v1/triage-rules", token: agentTok, status: 403},

		put("an object", map[string]any{"rules": custom}, 400, "JSON array"),
		put("null", "null", 400, "not null"),
		put("a string", `"fraud"`, 400, "JSON array"),
		put("malformed", `[{"name": "X",`, 400, "malformed JSON"),
		put("garbage after", `[] x`, 400, "one JSON array"),
		put("two arrays", `[] []`, 400, "one JSON array"),
		put("empty body", "", 400, "empty"),
		{name: "put no body", method: "PUT", path: "/api/v1/triage-rules", header: map[string]string{"Content-Type": "-"}, status: 400, want: []string{"empty"}},
		{name: "put as text/plain", method: "PUT", path: "/api/v1/triage-rules", body: mustJSON(custom), header: map[string]string{"Content-Type": "text/plain"},
			status: 400, want: []string{"Content-Type must be application/json"}},
		put("over the limit", `[{"name": "`+strings.Repeat("a", 1<<20)+`"}]`, 413, "limit"),
		put("a rule without enabled", one(map[string]any{"enabled": nil}), 400, `\"enabled\" is required`),
		put("an unknown field", one(map[string]any{"regex": "fr.*d"}), 400, `unknown field \"regex\"`),
		put("a rule that lowers", one(map[string]any{"priority": "low"}), 400, "only raise"),
		put("an unknown priority", one(map[string]any{"priority": "critical"}), 400, "critical"),
		put("a rule with nothing to match", one(map[string]any{"phrases": nil}), 400, "at least one phrase"),
		put("an empty phrase", one(map[string]any{"phrases": []string{"ok", "  "}}), 400, "phrase 2 is empty"),
		put("a phrase without words", one(map[string]any{"phrases": []string{"!!!"}}), 400, "no letters or digits"),
		put("a blank name", one(map[string]any{"name": " "}), 400, "rule 1: a name is required"),
		put("a name with a line break", one(map[string]any{"name": "a\nb"}), 400, "line breaks"),
		put("twice the same name", []any{rule("Same", "high", nil), rule("same", "urgent", nil)}, 400, "already used by rule 1"),
		put("an unknown currency", one(map[string]any{"min_amount": 5, "currencies": []string{"XYZ"}}), 400, "XYZ"),
		put("currencies without an amount", one(map[string]any{"currencies": []string{"USD"}}), 400, "min_amount"),
		put("a negative amount", one(map[string]any{"min_amount": -1}), 400, "min_amount"),
		put("an amount as text", `[{"name": "R", "priority": "high", "min_amount": "100", "enabled": true}]`, 400, "min_amount"),
		put("enabled as text", `[{"name": "R", "priority": "high", "phrases": ["x"], "enabled": "yes"}]`, 400, "enabled"),
		put("too many rules", many, 400, "at most 200"),

		put("custom rules", custom, 200, `"name":"VIP"`, `"name":"Big spender"`, `"currencies":["USD"]`, `"enabled":false`),
		{name: "custom rules in force", method: "GET", path: "/api/v1/triage-rules", status: 200, want: []string{`"VIP"`, `"Kept for later"`},
			notWant: []string{"Payment failed"}},
	})
	if p := priorityOf("cust-1", "Hi, I'm a VIP customer"); p != parley.PriorityUrgent {
		t.Fatalf("priority after a VIP message = %s, want urgent", p)
	}
	if p := priorityOf("cust-2", "I was charged twice!"); p != parley.PriorityNormal {
		t.Fatalf("priority after a default rule's phrase = %s, want normal: the defaults were replaced", p)
	}
	if p := priorityOf("cust-3", "I'd like 2,000 USD worth of chairs"); p != parley.PriorityHigh {
		t.Fatalf("priority after a large amount = %s, want high", p)
	}

	// An empty set turns triage off; DELETE brings the defaults back.
	var rules []map[string]any
	e.call("PUT", "/api/v1/triage-rules", []any{}, 200, &rules)
	if len(rules) != 0 {
		t.Fatalf("rules after PUT [] = %v", rules)
	}
	if p := priorityOf("cust-4", "this is fraud, my account was hacked"); p != parley.PriorityNormal {
		t.Fatalf("priority with no rules = %s, want normal", p)
	}
	e.run([]scenario{{name: "reset", method: "DELETE", path: "/api/v1/triage-rules", status: 200, want: []string{`"Payment failed"`, `"Fraud"`},
		notWant: []string{"VIP"}}})
	if p := priorityOf("cust-5", "my payment failed"); p != parley.PriorityUrgent {
		t.Fatalf("priority after reset = %s, want urgent", p)
	}
}

// expectedReply is the body of GET /inboxes/{id}/expected-reply.
type expectedReply struct {
	ReplyBy      *time.Time `json:"reply_by"`
	Text         string     `json:"text"`
	AfterHours   bool       `json:"after_hours"`
	Away         bool       `json:"away"`
	AgentsOnline int        `json:"agents_online"`
	Position     int        `json:"position"`
	AsOf         time.Time  `json:"as_of"`
}

func (e *env) expectedReply(inboxID int64) expectedReply {
	e.t.Helper()
	var out expectedReply
	r := e.call("GET", fmt.Sprintf("/api/v1/inboxes/%d/expected-reply", inboxID), nil, 200, &out)
	var raw map[string]json.RawMessage
	decodeInto(e.t, r, &raw)
	if len(raw) != 7 {
		e.t.Fatalf("expected reply = %s, want exactly reply_by, text, after_hours, away, agents_online, position, as_of", r)
	}
	return out
}

// testExpectedReply: what an inbox promises a customer writing now, from
// the defaults, an SLA policy and business hours.
func testExpectedReply(t *testing.T, dialect string) {
	e := start(t, dialect)
	agent, agentTok := e.agentToken("agent@example.com", parley.RoleAgent)
	e.call("PATCH", fmt.Sprintf("/api/v1/agents/%d", agent.ID), map[string]any{"availability": "online"}, 200, nil)
	plain := e.createInbox(map[string]any{"name": "Plain"})
	closed := e.createInbox(map[string]any{"name": "Never open", "routing": map[string]any{"hours": map[string]any{"time_zone": "UTC", "week": map[string]any{}}}})
	office := e.createInbox(map[string]any{"name": "Office", "routing": map[string]any{"hours": map[string]any{"time_zone": "Europe/Paris",
		"week": map[string]any{"mon": []string{"09:00-17:00"}, "tue": []string{"09:00-17:00"}, "wed": []string{"09:00-17:00"},
			"thu": []string{"09:00-17:00"}, "fri": []string{"09:00-17:00"}}}}})
	seq := e.lastSeq()

	before := e.clock.now()
	p := e.expectedReply(plain.ID)
	if p.Text != "within 4 hours" || p.AfterHours || p.Away || p.AgentsOnline != 1 || p.Position != 0 || p.ReplyBy == nil ||
		p.ReplyBy.Before(before.Add(4*time.Hour).Truncate(time.Second)) || p.ReplyBy.After(e.clock.now().Add(4*time.Hour)) {
		t.Fatalf("plain inbox promises %+v, want within 4 hours of %s", p, before)
	}
	if p := e.expectedReply(closed.ID); !p.AfterHours || p.Text == "" {
		t.Fatalf("never-open inbox promises %+v, want after hours", p)
	}

	e.run([]scenario{
		{name: "agent asks", method: "GET", path: fmt.Sprintf("/api/v1/inboxes/%d/expected-reply", plain.ID), token: agentTok, status: 200,
			want: []string{`"text":"within 4 hours"`, `"after_hours":false`, `"away":false`, `"agents_online":1`, `"position":0`, `"reply_by":"`, `"as_of":"`}},
		{name: "without a token", method: "GET", path: fmt.Sprintf("/api/v1/inboxes/%d/expected-reply", plain.ID), token: noToken, status: 401},
		{name: "unknown inbox", method: "GET", path: "/api/v1/inboxes/999999/expected-reply", status: 404, want: []string{"inbox 999999"}},
		{name: "bad inbox id", method: "GET", path: "/api/v1/inboxes/x/expected-reply", status: 400},
		{name: "not a write", method: "POST", path: fmt.Sprintf("/api/v1/inboxes/%d/expected-reply", plain.ID), body: "{}", status: 404},
	})

	// An SLA's first-response target is the promise while there is no
	// history to go by. (An answer is reused for up to 15 seconds, so ask
	// about an inbox not asked about before.)
	fast := e.createSLAPolicy(map[string]any{"name": "Fast", "priority": "normal", "first_response_seconds": 1800})
	fresh := e.createInbox(map[string]any{"name": "Fresh"})
	if p := e.expectedReply(fresh.ID); p.Text != "within 30 minutes" {
		t.Fatalf("with a 30-minute SLA the inbox promises %q", p.Text)
	}
	e.call("DELETE", fmt.Sprintf("/api/v1/sla-policies/%d", fast.ID), nil, 204, nil)

	// On Saturday at noon the office is closed: the reply comes Monday,
	// four business hours after it opens.
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	now := e.clock.now().In(paris)
	sat := time.Date(now.Year(), now.Month(), now.Day()+(int(time.Saturday-now.Weekday())+7)%7+7, 12, 0, 0, 0, paris)
	e.advance(sat.Sub(now))
	e.clock.freeze()
	p = e.expectedReply(office.ID)
	monday := time.Date(sat.Year(), sat.Month(), sat.Day()+2, 13, 0, 0, 0, paris)
	if !p.AfterHours || p.ReplyBy == nil || !p.ReplyBy.Equal(monday) || p.Text != "by Monday 13:00" {
		t.Fatalf("office on Saturday promises %+v, want after hours, by %s (Monday 13:00)", p, monday.UTC())
	}
	// Asking stores nothing.
	if evs := e.events(seq); len(evs) != 0 {
		t.Fatalf("asking for the expected reply logged %d events, the first %s", len(evs), evs[0].Type)
	}
}
