package api_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// testHonestPromise: GET /inboxes/{id}/expected-reply counts the queue a
// customer writing now would join, exactly as the acknowledgement a moment
// later does; it names no time when every agent chose to be offline; and
// it says how old it may be.
func testHonestPromise(t *testing.T, dialect string) {
	e := start(t, dialect)
	agent, _ := e.agentToken("agent@example.com", parley.RoleAgent)
	setAgent := func(body map[string]any) {
		e.call("PATCH", fmt.Sprintf("/api/v1/agents/%d", agent.ID), body, 200, nil)
	}
	setAgent(map[string]any{"capacity": 1, "availability": "online"})
	in := e.createInbox(map[string]any{"name": "Busy", "routing": map[string]any{"auto_assign": true, "ack": map[string]any{"enabled": true}}})
	ackOf := func(conv int64) string {
		t.Helper()
		var text string
		eventually(t, "the acknowledgement", func() bool {
			for _, m := range e.messages(conv) {
				if m.Direction == parley.Outgoing && m.AuthorAgentID == nil {
					text = m.Text
					return true
				}
			}
			return false
		})
		return text
	}

	// The agent has room: no queue, the 4-hour default.
	if p := e.expectedReply(in.ID); p.Position != 0 || p.Text != "within 4 hours" || p.AgentsOnline != 1 {
		t.Fatalf("with room: %+v", p)
	}
	first := e.say(in.ID, "cust-1", "hello").ConversationID
	eventually(t, "the first conversation assigned", func() bool { return e.conversation(first).AssigneeID != nil })
	ackOf(first)

	// Now the only agent is full: a newcomer would be number 1 in line,
	// with nobody ahead: still 4 hours. (The answer is reused for up to
	// 15 seconds, so move past that.)
	e.advance(16 * time.Second)
	if p := e.expectedReply(in.ID); p.Position != 1 || p.Text != "within 4 hours" {
		t.Fatalf("full, empty queue: %+v, want number 1 within 4 hours", p)
	}
	second := e.say(in.ID, "cust-2", "me too").ConversationID
	if got := ackOf(second); !strings.Contains(got, "We'll reply within 4 hours") || !strings.Contains(got, "(You're number 1 in line.)") {
		t.Fatalf("acknowledgement of number 1: %q", got)
	}
	// With one waiting, a newcomer is number 2: 4 h + 1 × 4 h / 1 agent =
	// 8 h, and the acknowledgement a moment later says the same.
	e.advance(16 * time.Second)
	p := e.expectedReply(in.ID)
	if p.Position != 2 || p.Text != "within 8 hours" {
		t.Fatalf("one waiting: %+v, want number 2 within 8 hours", p)
	}
	third := e.say(in.ID, "cust-3", "and me").ConversationID
	if got := ackOf(third); !strings.Contains(got, "We'll reply within 8 hours") || !strings.Contains(got, "(You're number 2 in line.)") {
		t.Fatalf("acknowledgement of number 2: %q (the API promised %q, number %d)", got, p.Text, p.Position)
	}

	// Asked again at once, the same answer, said to be reused: as_of is
	// when it was computed and Cache-Control bounds the rest.
	r := e.send("GET", fmt.Sprintf("/api/v1/inboxes/%d/expected-reply", in.ID), nil, nil, "")
	cc := r.header.Get("Cache-Control")
	age, err := strconv.Atoi(strings.TrimPrefix(cc, "private, max-age="))
	if r.status != http.StatusOK || err != nil || age < 0 || age > 15 {
		t.Fatalf("Cache-Control = %q (%d)", cc, r.status)
	}
	e.advance(16 * time.Second)
	if q := e.expectedReply(in.ID); !q.AsOf.After(p.AsOf) {
		t.Fatalf("after 16 s the answer is still from %v", q.AsOf)
	}

	// Every agent offline (a tab still open counts for nothing): nobody
	// can say when, and the API does not pretend to. Going offline drops
	// the reused answer at once.
	setAgent(map[string]any{"availability": "offline"})
	e.App.Inbox.TouchPresence(t.Context(), agent.ID)
	if p := e.expectedReply(in.ID); !p.Away || p.AgentsOnline != 0 || p.ReplyBy != nil || p.Text != "as soon as we're back" {
		t.Fatalf("everyone offline: %+v", p)
	}
	e.run([]scenario{{name: "offline promise in JSON", method: "GET", path: fmt.Sprintf("/api/v1/inboxes/%d/expected-reply", in.ID), status: 200,
		want: []string{`"reply_by":null`, `"away":true`, `"agents_online":0`}, notWant: []string{"within"}}})
}
