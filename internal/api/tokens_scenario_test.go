package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
)

type tokenJSON struct {
	parley.APIToken
	Status string `json:"status"`
}

// newToken creates a token through the API with the admin token and
// returns it with its secret.
func (e *env) newToken(body map[string]any) (tokenJSON, string) {
	e.t.Helper()
	var out struct {
		Token  tokenJSON `json:"token"`
		Secret string    `json:"secret"`
	}
	e.call("POST", "/api/v1/tokens", body, 201, &out)
	if !strings.HasPrefix(out.Secret, "prly_") || out.Token.ID == 0 {
		e.t.Fatalf("created token = %+v", out)
	}
	return out.Token, out.Secret
}

func (e *env) tokens() map[int64]tokenJSON {
	e.t.Helper()
	var out struct{ Tokens []tokenJSON }
	e.call("GET", "/api/v1/tokens", nil, 200, &out)
	m := map[int64]tokenJSON{}
	for _, t := range out.Tokens {
		m[t.ID] = t
	}
	return m
}

// testTokens: scopes limit tokens by route, revoked and expired tokens are
// refused like unknown ones, and only admins manage tokens.
func testTokens(t *testing.T, dialect string) {
	e := start(t, dialect)
	hooked := e.createInbox(map[string]any{"name": "Hooked", "webhook_url": "http://127.0.0.1:1/hook"})
	in := e.createInbox(map[string]any{"name": "Support"})
	conv := e.say(in.ID, "cust-1", "hello").ConversationID
	agent, agentTok := e.agentToken("agent@example.com", parley.RoleAgent)
	_, adminTok := e.agentToken("admin@example.com", parley.RoleAdmin)
	owner, _ := e.agentToken("owner@example.com", parley.RoleOwner)

	read, readTok := e.newToken(map[string]any{"name": "Dashboard", "scope": "read"})
	ingest, ingestTok := e.newToken(map[string]any{"name": "Contact form", "scope": "ingest"})
	if read.Scope != parley.ScopeRead || ingest.Scope != parley.ScopeIngest || read.Status != "active" || read.AgentID != nil {
		t.Fatalf("created read %+v, ingest %+v", read, ingest)
	}
	agentFull, _ := e.newToken(map[string]any{"name": "Bot", "agent_id": agent.ID})
	if agentFull.Scope != parley.ScopeFull || agentFull.AgentID == nil || *agentFull.AgentID != agent.ID {
		t.Fatalf("token without a scope = %+v", agentFull)
	}
	before := len(e.tokens())
	incoming := fmt.Sprintf("/api/v1/inboxes/%d/incoming", in.ID)
	msg := map[string]any{"contact": map[string]string{"external_id": "form-1"}, "text": "from the form"}
	past := e.clock.now().Add(-time.Minute).Format(time.RFC3339)

	e.run([]scenario{
		// Read scope: reads, never writes.
		{name: "read token lists conversations", method: "GET", path: "/api/v1/conversations", token: readTok, status: 200, want: []string{fmt.Sprint(conv)}},
		{name: "read token reads inbox without its secret", method: "GET", path: fmt.Sprintf("/api/v1/inboxes/%d", hooked.ID), token: readTok,
			status: 200, want: []string{`"Hooked"`}, notWant: []string{"webhook_secret", hooked.WebhookSecret}},
		{name: "read token posts incoming", method: "POST", path: incoming, body: msg, token: readTok, status: 403, want: []string{"read-only"}},
		{name: "read token edits conversation", method: "PATCH", path: fmt.Sprintf("/api/v1/conversations/%d", conv),
			body: map[string]any{"priority": "urgent"}, token: readTok, status: 403, want: []string{"read-only"}},
		{name: "read token uploads", method: "POST", path: "/api/v1/uploads", header: map[string]string{"Content-Type": "application/octet-stream"},
			body: pngBytes, token: readTok, status: 403},
		{name: "read token lists tokens", method: "GET", path: "/api/v1/tokens", token: readTok, status: 403},
		{name: "read token creates token", method: "POST", path: "/api/v1/tokens", body: map[string]any{"name": "escalate"}, token: readTok, status: 403},

		// Ingest scope: messages and their files in, nothing out.
		{name: "ingest token lists conversations", method: "GET", path: "/api/v1/conversations", token: ingestTok, status: 403, want: []string{"ingest-only"}},
		{name: "ingest token reads a conversation", method: "GET", path: fmt.Sprintf("/api/v1/conversations/%d", conv), token: ingestTok, status: 403},
		{name: "ingest token reads events", method: "GET", path: "/api/v1/events", token: ingestTok, status: 403},
		{name: "ingest token replies", method: "POST", path: fmt.Sprintf("/api/v1/conversations/%d/messages", conv),
			body: map[string]any{"text": "hi"}, token: ingestTok, status: 403},
		{name: "ingest token creates inbox", method: "POST", path: "/api/v1/inboxes", body: map[string]any{"name": "X"}, token: ingestTok, status: 403},
		{name: "ingest token revokes a token", method: "POST", path: fmt.Sprintf("/api/v1/tokens/%d/revoke", read.ID), token: ingestTok, status: 403},
		{name: "ingest token posts incoming", method: "POST", path: incoming, body: msg, token: ingestTok, status: 201},
		{name: "ingest token uploads", method: "POST", path: "/api/v1/uploads", header: map[string]string{"Content-Type": "application/octet-stream"},
			body: pngBytes, token: ingestTok, status: 201, want: []string{`"upload_id"`}},
		{name: "ingest token reads expected reply", method: "GET", path: fmt.Sprintf("/api/v1/inboxes/%d/expected-reply", in.ID), token: ingestTok, status: 200},

		// Only admins manage tokens, and only owners make owners' tokens.
		{name: "agent lists tokens", method: "GET", path: "/api/v1/tokens", token: agentTok, status: 403, want: []string{"only owners and admins"}},
		{name: "agent creates token", method: "POST", path: "/api/v1/tokens", body: map[string]any{"name": "mine"}, token: agentTok, status: 403},
		{name: "agent revokes token", method: "POST", path: fmt.Sprintf("/api/v1/tokens/%d/revoke", read.ID), token: agentTok, status: 403},
		{name: "admin makes an owner's token", method: "POST", path: "/api/v1/tokens", body: map[string]any{"name": "as owner", "agent_id": owner.ID},
			token: adminTok, status: 403, want: []string{"only an owner"}},
		{name: "admin agent lists tokens", method: "GET", path: "/api/v1/tokens", token: adminTok, status: 200, want: []string{`"Dashboard"`},
			notWant: []string{readTok, "token_hash"}},

		// Bad requests change nothing.
		{name: "unknown scope", method: "POST", path: "/api/v1/tokens", body: map[string]any{"name": "x", "scope": "write"}, status: 400, want: []string{"scope"}},
		{name: "expiry in the past", method: "POST", path: "/api/v1/tokens", body: map[string]any{"name": "x", "expires_at": past}, status: 400, want: []string{"future"}},
		{name: "expiry not a time", method: "POST", path: "/api/v1/tokens", body: map[string]any{"name": "x", "expires_at": "30d"}, status: 400},
		{name: "no name", method: "POST", path: "/api/v1/tokens", body: map[string]any{"scope": "read"}, status: 400, want: []string{"name"}},
		{name: "control character in name", method: "POST", path: "/api/v1/tokens", body: map[string]any{"name": "a\x00b"}, status: 400},
		{name: "unknown agent", method: "POST", path: "/api/v1/tokens", body: map[string]any{"name": "x", "agent_id": 999999}, status: 404},
		{name: "unknown field", method: "POST", path: "/api/v1/tokens", body: map[string]any{"name": "x", "role": "owner"}, status: 400},
		{name: "revoke unknown token", method: "POST", path: "/api/v1/tokens/999999/revoke", status: 404},
		{name: "revoke bad id", method: "POST", path: "/api/v1/tokens/abc/revoke", status: 400},
	})
	if n := len(e.tokens()); n != before {
		t.Fatalf("refused requests changed the tokens: %d, want %d", n, before)
	}
	if c := e.conversation(conv); c.Priority != parley.PriorityNormal {
		t.Fatalf("a read token's PATCH changed the conversation: %s", c.Priority)
	}

	// Revoked: refused like an unknown token at once, though it was just
	// used (and so is in the API's cache of checked tokens).
	e.call("GET", "/api/v1/inboxes", nil, 200, nil)
	e.send("GET", "/api/v1/conversations", nil, nil, readTok)
	var revoked tokenJSON
	e.call("POST", fmt.Sprintf("/api/v1/tokens/%d/revoke", read.ID), nil, 200, &revoked)
	if revoked.Status != "revoked" || revoked.RevokedAt == nil {
		t.Fatalf("revoke answered %+v", revoked)
	}
	unauthorized := func(what, token string) {
		t.Helper()
		r := e.send("GET", "/api/v1/conversations", nil, nil, token)
		if r.status != 401 || !strings.Contains(string(r.body), "not valid") || !strings.Contains(r.header.Get("WWW-Authenticate"), "invalid_token") {
			t.Fatalf("%s token = %s %v, want 401 like an unknown token", what, r, r.header)
		}
	}
	unauthorized("revoked", readTok)
	var again tokenJSON
	e.call("POST", fmt.Sprintf("/api/v1/tokens/%d/revoke", read.ID), nil, 200, &again)
	if !again.RevokedAt.Equal(*revoked.RevokedAt) {
		t.Errorf("revoking twice moved revoked_at from %v to %v", revoked.RevokedAt, again.RevokedAt)
	}
	// The other tokens still work.
	if r := e.send("POST", incoming, nil, msg, ingestTok); r.status != 200 && r.status != 201 {
		t.Fatalf("ingest token after another's revocation = %s", r)
	}

	// Revoked outside the API (the CLI and the admin page use the same
	// use case): refused too.
	if _, err := e.App.Inbox.RevokeToken(t.Context(), inbox.System, ingest.ID); err != nil {
		t.Fatal(err)
	}
	if r := e.send("POST", incoming, nil, msg, ingestTok); r.status != 401 {
		t.Fatalf("ingest token revoked by the use case = %s", r)
	}

	// Expired: works until its time, then refused like an unknown token,
	// whether or not it was checked a moment ago.
	expiring, expiringTok := e.newToken(map[string]any{"name": "Temp", "expires_at": e.clock.now().Add(time.Hour).Format(time.RFC3339)})
	if expiring.ExpiresAt == nil || expiring.Status != "active" {
		t.Fatalf("expiring token = %+v", expiring)
	}
	if r := e.send("GET", "/api/v1/conversations", nil, nil, expiringTok); r.status != 200 {
		t.Fatalf("token before its expiry = %s", r)
	}
	e.advance(2 * time.Hour)
	unauthorized("expired", expiringTok)

	// The list shows each token's standing and when it was last used.
	eventually(t, "the expiring token's last use", func() bool {
		return e.tokens()[expiring.ID].LastUsedAt != nil
	})
	list := e.tokens()
	for id, want := range map[int64]string{read.ID: "revoked", ingest.ID: "revoked", expiring.ID: "expired", agentFull.ID: "active"} {
		if list[id].Status != want {
			t.Errorf("token %d (%s) status = %q, want %q", id, list[id].Name, list[id].Status, want)
		}
	}
}
