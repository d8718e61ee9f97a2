package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

// authedRoutes is every route that needs a token, with ids filled in.
var authedRoutes = []struct{ method, path string }{
	{"GET", "/api/v1/inboxes"},
	{"POST", "/api/v1/inboxes"},
	{"GET", "/api/v1/inboxes/1"},
	{"PATCH", "/api/v1/inboxes/1"},
	{"POST", "/api/v1/inboxes/1/incoming"},
	{"GET", "/api/v1/inboxes/1/expected-reply"},
	{"GET", "/api/v1/contacts"},
	{"GET", "/api/v1/contacts/1"},
	{"PATCH", "/api/v1/contacts/1"},
	{"POST", "/api/v1/contacts/1/merge"},
	{"POST", "/api/v1/contacts/1/unmerge"},
	{"GET", "/api/v1/contacts/1/merges"},
	{"GET", "/api/v1/conversations"},
	{"GET", "/api/v1/conversations/breaching-soon"},
	{"GET", "/api/v1/conversations/1"},
	{"PATCH", "/api/v1/conversations/1"},
	{"POST", "/api/v1/conversations/1/snooze"},
	{"GET", "/api/v1/conversations/1/messages"},
	{"POST", "/api/v1/conversations/1/messages"},
	{"POST", "/api/v1/conversations/1/notes"},
	{"POST", "/api/v1/messages/1/retry"},
	{"POST", "/api/v1/uploads"},
	{"GET", "/api/v1/attachments/1"},
	{"GET", "/api/v1/search?q=x"},
	{"GET", "/api/v1/events"},
	{"GET", "/api/v1/agents"},
	{"POST", "/api/v1/agents"},
	{"PATCH", "/api/v1/agents/1"},
	{"GET", "/api/v1/queue"},
	{"GET", "/api/v1/sla-policies"},
	{"POST", "/api/v1/sla-policies"},
	{"PATCH", "/api/v1/sla-policies/1"},
	{"DELETE", "/api/v1/sla-policies/1"},
	{"GET", "/api/v1/triage-rules"},
	{"PUT", "/api/v1/triage-rules"},
	{"DELETE", "/api/v1/triage-rules"},
	{"GET", "/api/v1/teams"},
	{"POST", "/api/v1/teams"},
	{"GET", "/api/v1/jobs"},
	{"POST", "/api/v1/jobs/1/retry"},
	{"GET", "/api/v1/tokens"},
	{"POST", "/api/v1/tokens"},
	{"POST", "/api/v1/tokens/1/revoke"},
}

func testAuth(t *testing.T, dialect string) {
	e := start(t, dialect)
	in := e.createInbox(map[string]any{"name": "Support"})
	r := e.say(in.ID, "cust-1", "hello")
	_ = r

	unknown := "prly_" + strings.Repeat("A", 43)
	var scs []scenario
	for _, rt := range authedRoutes {
		var body any
		if rt.method != "GET" {
			body = "{}"
		}
		scs = append(scs,
			scenario{name: "no token " + rt.method + " " + rt.path, method: rt.method, path: rt.path, body: body, token: noToken,
				status: 401, want: []string{`"code":"unauthorized"`, "Authorization: Bearer"},
				wantHeader: map[string]string{"WWW-Authenticate": `Bearer realm="parley"`}},
			scenario{name: "unknown token " + rt.method + " " + rt.path, method: rt.method, path: rt.path, body: body, token: unknown,
				status: 401, want: []string{`"code":"unauthorized"`, "not valid"},
				wantHeader: map[string]string{"WWW-Authenticate": `error="invalid_token"`}},
		)
	}
	// Malformed Authorization headers, on a read and on a write.
	for _, h := range []string{
		"Basic dXNlcjpwYXNzd29yZA==",
		"Bearer",
		"Bearer ",
		"Bearer prly_short",
		"Bearer not-a-parley-token-at-all-but-long-enough",
		"Token " + e.Token,
		e.Token, // no scheme
		"Bearer" + e.Token,
		"Bearer " + strings.Repeat("x", 4000),
	} {
		for _, rt := range []struct{ method, path string }{{"GET", "/api/v1/conversations"}, {"PATCH", fmt.Sprintf("/api/v1/conversations/%d", r.ConversationID)}} {
			var body any
			if rt.method == "PATCH" {
				body = map[string]any{"priority": "urgent"}
			}
			scs = append(scs, scenario{name: fmt.Sprintf("malformed %.30q %s", h, rt.method), method: rt.method, path: rt.path, body: body,
				token: noToken, header: map[string]string{"Authorization": h},
				status: 401, want: []string{`"code":"unauthorized"`}, notWant: []string{e.Token},
				wantHeader: map[string]string{"WWW-Authenticate": "Bearer"}})
		}
	}
	// An unknown token that looks right, with spaces around it: still refused.
	scs = append(scs,
		scenario{name: "unknown token with spaces", method: "GET", path: "/api/v1/inboxes", token: noToken,
			header: map[string]string{"Authorization": "Bearer   " + unknown + "  "}, status: 401},
		// The real token with surrounding spaces is accepted.
		scenario{name: "real token with spaces", method: "GET", path: "/api/v1/inboxes", token: noToken,
			header: map[string]string{"Authorization": "Bearer  " + e.Token + " "}, status: 200, want: []string{`"Support"`}},
		scenario{name: "real token", method: "GET", path: "/api/v1/inboxes", status: 200, want: []string{`"Support"`}},
	)
	e.run(scs)

	// The refused write above did not happen.
	if c := e.conversation(r.ConversationID); c.Priority != parley.PriorityNormal {
		t.Fatalf("priority = %s after unauthorized PATCHes", c.Priority)
	}
}

func testPublic(t *testing.T, dialect string) {
	e := start(t, dialect)
	e.run([]scenario{
		{name: "healthz without token", method: "GET", path: "/healthz", token: noToken, status: 200,
			want: []string{`"status":"ok"`, fmt.Sprintf(`"database":%q`, dialect)}},
		{name: "healthz with a bad token", method: "GET", path: "/healthz", token: "prly_" + strings.Repeat("z", 43), status: 200},
		{name: "openapi without token", method: "GET", path: "/api/v1/openapi.json", token: noToken, status: 200,
			want: []string{`"openapi"`, `"/api/v1/conversations"`}, wantHeader: map[string]string{"Content-Type": "application/json"}},
		{name: "unknown API route", method: "GET", path: "/api/v1/nothing-here", status: 404, want: []string{"no API route"}},
		{name: "unknown API route without token", method: "GET", path: "/api/v1/nothing-here", token: noToken, status: 404},
		{name: "unserved method", method: "DELETE", path: "/api/v1/inboxes", status: 404, want: []string{"no API route"}},
		{name: "unserved method on an item", method: "PUT", path: "/api/v1/conversations/1", body: "{}", status: 404},
		{name: "path beyond a route", method: "GET", path: "/api/v1/inboxes/1/nope", status: 404},
	})
	// The OpenAPI document is one valid JSON object.
	r := e.send("GET", "/api/v1/openapi.json", nil, nil, noToken)
	var doc map[string]any
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	// JSON answers are not sniffed or cached.
	r = e.send("GET", "/api/v1/inboxes", nil, nil, "")
	if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("JSON answer headers = %v", r.header)
	}
}

// testAgentRole: a token acting for an agent whose role is "agent" works
// conversations but cannot administer the workspace.
func testAgentRole(t *testing.T, dialect string) {
	e := start(t, dialect)
	hook := e.createInbox(map[string]any{"name": "Hooked", "webhook_url": "http://127.0.0.1:1/hook"})
	in := e.createInbox(map[string]any{"name": "Support"})
	agent, agentTok := e.agentToken("agent@example.com", parley.RoleAgent)
	_, adminTok := e.agentToken("admin@example.com", parley.RoleAdmin)
	_, ownerTok := e.agentToken("owner@example.com", parley.RoleOwner)
	r := e.say(in.ID, "cust-1", "hello")

	// Make a job (a delivery to a closed port) for the agent to try to retry.
	var reply parley.Message
	e.call("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", e.say(hook.ID, "cust-2", "hi").ConversationID),
		map[string]any{"text": "hello back"}, 201, &reply)
	var someJob int64
	eventually(t, "the undeliverable reply's job", func() bool {
		var out struct{ Jobs []struct{ ID int64 } }
		e.call("GET", "/api/v1/jobs", nil, 200, &out)
		if len(out.Jobs) > 0 {
			someJob = out.Jobs[0].ID
			return true
		}
		return false
	})

	e.run([]scenario{
		{name: "agent creates inbox", method: "POST", path: "/api/v1/inboxes", body: map[string]any{"name": "Mine"}, token: agentTok,
			status: 403, want: []string{"only owners and admins"}},
		{name: "agent edits inbox", method: "PATCH", path: fmt.Sprintf("/api/v1/inboxes/%d", in.ID), body: map[string]any{"name": "Renamed"},
			token: agentTok, status: 403},
		{name: "agent creates agent", method: "POST", path: "/api/v1/agents", body: map[string]any{"email": "x@example.com", "name": "X"},
			token: agentTok, status: 403},
		{name: "agent creates team", method: "POST", path: "/api/v1/teams", body: map[string]any{"name": "Team"}, token: agentTok, status: 403},
		{name: "agent lists jobs", method: "GET", path: "/api/v1/jobs", token: agentTok, status: 403},
		{name: "agent lists failed jobs", method: "GET", path: "/api/v1/jobs?status=failed", token: agentTok, status: 403},
		{name: "agent retries job", method: "POST", path: fmt.Sprintf("/api/v1/jobs/%d/retry", someJob), token: agentTok, status: 403},
		{name: "agent retries unknown job", method: "POST", path: "/api/v1/jobs/999999/retry", token: agentTok, status: 403},
		{name: "admin creates owner", method: "POST", path: "/api/v1/agents", body: map[string]any{"email": "o2@example.com", "name": "O", "role": "owner"},
			token: adminTok, status: 403, want: []string{"only an owner"}},
		{name: "plain admin token creates owner", method: "POST", path: "/api/v1/agents",
			body: map[string]any{"email": "o3@example.com", "name": "O", "role": "owner"}, status: 403},

		// What an agent may do.
		{name: "agent reads inbox without secret", method: "GET", path: fmt.Sprintf("/api/v1/inboxes/%d", hook.ID), token: agentTok,
			status: 200, want: []string{`"Hooked"`}, notWant: []string{"webhook_secret"}},
		{name: "agent lists inboxes without secrets", method: "GET", path: "/api/v1/inboxes", token: agentTok, status: 200, notWant: []string{"webhook_secret"}},
		{name: "admin lists inboxes without secrets", method: "GET", path: "/api/v1/inboxes", status: 200, notWant: []string{"webhook_secret"}},
		{name: "admin reads inbox with secret", method: "GET", path: fmt.Sprintf("/api/v1/inboxes/%d", hook.ID), status: 200, want: []string{`"webhook_secret"`}},
		{name: "agent lists agents", method: "GET", path: "/api/v1/agents", token: agentTok, status: 200, want: []string{"agent@example.com"}, notWant: []string{`"password"`, "password_hash", "$2a$"}},
		{name: "agent lists teams", method: "GET", path: "/api/v1/teams", token: agentTok, status: 200},
		{name: "agent assigns to self", method: "PATCH", path: fmt.Sprintf("/api/v1/conversations/%d", r.ConversationID),
			body: map[string]any{"assignee_id": agent.ID}, token: agentTok, status: 200, want: []string{fmt.Sprintf(`"assignee_id":%d`, agent.ID)}},
		{name: "agent reads events", method: "GET", path: "/api/v1/events", token: agentTok, status: 200},
		{name: "admin agent creates inbox", method: "POST", path: "/api/v1/inboxes", body: map[string]any{"name": "By admin"}, token: adminTok, status: 201},
		{name: "admin agent lists jobs", method: "GET", path: "/api/v1/jobs", token: adminTok, status: 200},
		{name: "owner creates owner", method: "POST", path: "/api/v1/agents", body: map[string]any{"email": "o4@example.com", "name": "O", "role": "owner"},
			token: ownerTok, status: 201, want: []string{`"role":"owner"`, `"password"`}},
	})

	// A reply sent with the agent's token is authored by the agent.
	var m parley.Message
	rr := e.send("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", r.ConversationID), nil, map[string]any{"text": "on it"}, agentTok)
	if rr.status != 201 {
		t.Fatalf("agent reply = %s", rr)
	}
	json.Unmarshal(rr.body, &m)
	if m.AuthorAgentID == nil || *m.AuthorAgentID != agent.ID {
		t.Fatalf("agent reply author = %v, want %d", m.AuthorAgentID, agent.ID)
	}
	// The admin token acts for no agent.
	e.call("POST", fmt.Sprintf("/api/v1/conversations/%d/notes", r.ConversationID), map[string]any{"text": "fyi"}, 201, &m)
	if m.AuthorAgentID != nil {
		t.Fatalf("note by the plain admin token has author %d", *m.AuthorAgentID)
	}
}
