package api_test

// Helpers for the scenario tests: snapshots of what the store holds, and
// short ways to make and read inboxes, messages and conversations.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// snapshot is what the API shows of the store, to prove a request wrote nothing.
type snapshot struct {
	LastSeq                                               int64
	Inboxes, Agents, Teams, Jobs, Contacts, Conversations int
	// Settings digests what changes without an event: inboxes' and
	// agents' settings, SLA policies, triage rules and knowledge articles.
	Settings string
}

func (e *env) snapshot() snapshot {
	e.t.Helper()
	s := snapshot{LastSeq: e.lastSeq()}
	h := sha256.New()
	var ib struct{ Inboxes []json.RawMessage }
	h.Write(e.call("GET", "/api/v1/inboxes", nil, 200, &ib).body)
	var ag struct{ Agents []json.RawMessage }
	h.Write(e.call("GET", "/api/v1/agents", nil, 200, &ag).body)
	h.Write(e.call("GET", "/api/v1/sla-policies", nil, 200, nil).body)
	h.Write(e.call("GET", "/api/v1/triage-rules", nil, 200, nil).body)
	h.Write(e.call("GET", "/api/v1/knowledge?limit=500", nil, 200, nil).body)
	s.Settings = hex.EncodeToString(h.Sum(nil))
	var tm struct{ Teams []json.RawMessage }
	e.call("GET", "/api/v1/teams", nil, 200, &tm)
	var jb struct{ Jobs []json.RawMessage }
	e.call("GET", "/api/v1/jobs?limit=500", nil, 200, &jb)
	s.Inboxes, s.Agents, s.Teams, s.Jobs = len(ib.Inboxes), len(ag.Agents), len(tm.Teams), len(jb.Jobs)
	s.Contacts = len(e.allContacts())
	s.Conversations = len(e.allConversations(""))
	return s
}

// lastSeq is the newest event's seq, read by paging through the log.
func (e *env) lastSeq() int64 {
	e.t.Helper()
	var after int64
	for {
		var page struct {
			Events  []parley.Event `json:"events"`
			LastSeq int64          `json:"last_seq"`
		}
		e.call("GET", fmt.Sprintf("/api/v1/events?after=%d&limit=1000", after), nil, 200, &page)
		if len(page.Events) == 0 {
			return after
		}
		after = page.LastSeq
	}
}

// events returns the events after seq.
func (e *env) events(after int64) []parley.Event {
	e.t.Helper()
	var out []parley.Event
	for {
		var page struct {
			Events  []parley.Event `json:"events"`
			LastSeq int64          `json:"last_seq"`
		}
		e.call("GET", fmt.Sprintf("/api/v1/events?after=%d&limit=1000", after), nil, 200, &page)
		if len(page.Events) == 0 {
			return out
		}
		out = append(out, page.Events...)
		after = page.LastSeq
	}
}

func (e *env) allContacts() []parley.Contact {
	e.t.Helper()
	var out []parley.Contact
	path := "/api/v1/contacts?limit=100"
	for {
		var page struct {
			Contacts     []parley.Contact `json:"contacts"`
			NextBeforeID int64            `json:"next_before_id"`
		}
		e.call("GET", path, nil, 200, &page)
		out = append(out, page.Contacts...)
		if page.NextBeforeID == 0 {
			return out
		}
		path = fmt.Sprintf("/api/v1/contacts?limit=100&before_id=%d", page.NextBeforeID)
	}
}

// allConversations pages through the list with the given filter query.
func (e *env) allConversations(filter string) []parley.Conversation {
	e.t.Helper()
	var out []parley.Conversation
	cursor := ""
	for range 1000 {
		q := url.Values{}
		if filter != "" {
			var err error
			if q, err = url.ParseQuery(filter); err != nil {
				e.t.Fatal(err)
			}
		}
		q.Set("limit", "100")
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page store.ConversationPage
		e.call("GET", "/api/v1/conversations?"+q.Encode(), nil, 200, &page)
		out = append(out, page.Conversations...)
		if page.NextCursor == "" {
			return out
		}
		cursor = page.NextCursor
	}
	e.t.Fatal("conversation list never ended")
	return nil
}

// ---------------------------------------------------------------- fixtures

type inboxJSON struct {
	parley.Inbox
	ReopenWindowSeconds int64  `json:"reopen_window_seconds"`
	WebhookSecret       string `json:"webhook_secret"`
}

func (e *env) createInbox(body map[string]any) inboxJSON {
	e.t.Helper()
	var in inboxJSON
	e.call("POST", "/api/v1/inboxes", body, 201, &in)
	return in
}

// message is an incoming message request.
type message struct {
	Contact           map[string]string `json:"contact"`
	ExternalMessageID string            `json:"external_message_id,omitempty"`
	Text              string            `json:"text"`
	Attachments       []map[string]any  `json:"attachments,omitempty"`
}

// receive posts a customer message and wants status (201 or 200).
func (e *env) receive(inboxID int64, m message, want int) inbox.Received {
	e.t.Helper()
	var r inbox.Received
	e.call("POST", fmt.Sprintf("/api/v1/inboxes/%d/incoming", inboxID), m, want, &r)
	return r
}

// say posts a message from the contact with external id who.
func (e *env) say(inboxID int64, who, text string) inbox.Received {
	e.t.Helper()
	return e.receive(inboxID, message{Contact: map[string]string{"external_id": who}, Text: text}, 201)
}

func (e *env) conversation(id int64) parley.Conversation {
	e.t.Helper()
	var c parley.Conversation
	e.call("GET", fmt.Sprintf("/api/v1/conversations/%d", id), nil, 200, &c)
	return c
}

func (e *env) messages(conversationID int64) []parley.Message {
	e.t.Helper()
	var out struct{ Messages []parley.Message }
	e.call("GET", fmt.Sprintf("/api/v1/conversations/%d/messages", conversationID), nil, 200, &out)
	return out.Messages
}

func (e *env) message(conversationID, messageID int64) parley.Message {
	e.t.Helper()
	for _, m := range e.messages(conversationID) {
		if m.ID == messageID {
			return m
		}
	}
	e.t.Fatalf("message %d not in conversation %d", messageID, conversationID)
	return parley.Message{}
}

// eventually polls f until it returns true or the deadline passes.
func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ids[T any](list []T, id func(T) int64) []int64 {
	out := make([]int64, len(list))
	for i, v := range list {
		out[i] = id(v)
	}
	return out
}

func convIDs(list []parley.Conversation) []int64 {
	return ids(list, func(c parley.Conversation) int64 { return c.ID })
}

func sortedCopy(s []int64) []int64 {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

func decodeInto(t *testing.T, r response, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r, err)
	}
}
