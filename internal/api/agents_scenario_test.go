package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/connect/agents/agentstest"
	"github.com/parleyhq/parley/internal/parley"
)

// testRemoteAgents: an admin registers an outside A2A agent by its card
// (a card that cannot be read is refused, storing nothing), everyone
// reads the list with its skills and never its token, an agent asks it
// about a conversation and its answer arrives as a note naming it, and
// the calls out are in the audit.
func testRemoteAgents(t *testing.T, dialect string) {
	e := start(t, dialect)
	_, agent := e.agentToken("asker@example.com", parley.RoleAgent)
	pay := agentstest.New(t, "Payments")
	in := e.createInbox(map[string]any{"name": "Shop"})
	conv := e.say(in.ID, "cust-refund", "Where is my refund for A1002?").ConversationID
	var created struct{ ID int64 }
	e.call("POST", "/api/v1/remote-agents", map[string]any{"name": "payments", "card_url": pay.URL, "token": "agent-secret-1"}, 201, &created)
	one := fmt.Sprintf("/api/v1/remote-agents/%d", created.ID)
	ask := fmt.Sprintf("/api/v1/conversations/%d/ask-agent", conv)
	e.run([]scenario{
		{name: "register: a bad name", method: "POST", path: "/api/v1/remote-agents", body: map[string]any{"name": "Pay Ments", "card_url": pay.URL}, status: 400},
		{name: "register: no card there", method: "POST", path: "/api/v1/remote-agents", body: map[string]any{"name": "ghost", "card_url": "http://127.0.0.1:1/"}, status: 400,
			want: []string{"could not read an agent card"}},
		{name: "register: not a URL", method: "POST", path: "/api/v1/remote-agents", body: map[string]any{"name": "ghost", "card_url": "ftp://x"}, status: 400},
		{name: "register: agents may not", method: "POST", path: "/api/v1/remote-agents", token: agent, body: map[string]any{"name": "p2", "card_url": pay.URL}, status: 403},
		{name: "register: the name is taken", method: "POST", path: "/api/v1/remote-agents", body: map[string]any{"name": "payments", "card_url": pay.URL}, status: 409},
		{name: "list: skills, never the token", method: "GET", path: "/api/v1/remote-agents", token: agent, status: 200,
			want: []string{`"name":"payments"`, `"has_token":true`, `"id":"check"`, `"name":"Payments"`}, notWant: []string{"agent-secret-1"}},
		{name: "refresh", method: "POST", path: one + "/refresh", status: 200, want: []string{`"skills":[{"id":"check"`}, mayWrite: true},
		{name: "refresh: agents may not", method: "POST", path: one + "/refresh", token: agent, status: 403},
		{name: "ask: an unknown agent", method: "POST", path: ask, token: agent, body: map[string]any{"agent": "nobody", "text": "hi"}, status: 400, want: []string{`no remote agent named \"nobody\"`}},
		{name: "ask: no text", method: "POST", path: ask, token: agent, body: map[string]any{"agent": "payments", "text": "  "}, status: 400},
		{name: "ask: an unknown conversation", method: "POST", path: "/api/v1/conversations/999999/ask-agent", body: map[string]any{"agent": "payments", "text": "hi"}, status: 404},
		{name: "audit: agents may not", method: "GET", path: "/api/v1/agent-calls", token: agent, status: 403},
		{name: "audit: a bad protocol", method: "GET", path: "/api/v1/agent-calls?protocol=smtp", status: 400},
	})
	var note struct{ ID int64 }
	e.call("POST", ask, map[string]any{"agent": "payments", "text": "Was order A1002 paid?"}, 201, &note)
	deadline := time.Now().Add(10 * time.Second)
	for {
		msgs := e.messages(conv)
		last := msgs[len(msgs)-1]
		if last.Direction == parley.Note && strings.HasPrefix(last.Text, "Answer from the agent payments (A2A task ") {
			if !strings.Contains(last.Text, "249.00 EUR") || !strings.Contains(last.Text, "• status: \"captured\"") {
				t.Fatalf("the answer: %q", last.Text)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no answer note; last %+v", last)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if runs := pay.Runs(); runs[fmt.Sprintf("parley-ask-%d", note.ID)] != 1 {
		t.Fatalf("the agent's work by message id: %v", runs)
	}
	e.run([]scenario{
		{name: "audit: the calls out", method: "GET", path: "/api/v1/agent-calls?protocol=a2a", status: 200,
			want: []string{`"direction":"out"`, `"remote":"payments"`, `"method":"SendMessage"`, `"outcome":"ok"`}},
		{name: "delete", method: "DELETE", path: one, status: 204, mayWrite: true},
		{name: "delete: gone", method: "DELETE", path: one, status: 404},
		{name: "delete: agents may not", method: "DELETE", path: one, token: agent, status: 403},
	})
}
