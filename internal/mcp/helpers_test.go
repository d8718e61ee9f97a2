package mcp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

var bg = context.Background()

// world is a running Parley with data to find: an API inbox with two
// customers' conversations, an article, two agents and tokens of every
// scope.
type world struct {
	e                *apptest.Env
	inboxID          int64
	ana, ben         int64 // conversations
	anaContact       int64
	annID, bobID     int64 // agents
	annTok, bobTok   string
	readTok, ingTok  string
	admin            string // the env's token: an admin, with no agent
	articleID        int64
	anaEmail, anaMsg string
}

func newWorld(t *testing.T, dialect string) *world {
	t.Helper()
	e := apptest.Start(t, dialect, nil)
	w := &world{e: e, admin: e.Token, anaEmail: "ana.lopez@example.com"}
	var in struct{ ID int64 }
	e.JSON("POST", "/api/v1/inboxes", map[string]any{"name": "Shop API"}, http.StatusCreated, &in)
	w.inboxID = in.ID
	w.anaMsg = "Hi, I want a refund for order 10423: the blender arrived broken. My email is " + w.anaEmail
	var got inbox.Received
	e.JSON("POST", fmt.Sprintf("/api/v1/inboxes/%d/incoming", in.ID), map[string]any{
		"contact":             map[string]string{"external_id": "ana", "name": "Ana Lopez"},
		"external_message_id": "ana-1", "text": w.anaMsg}, http.StatusCreated, &got)
	w.ana, w.anaContact = got.ConversationID, got.ContactID
	e.JSON("POST", fmt.Sprintf("/api/v1/inboxes/%d/incoming", in.ID), map[string]any{
		"contact":             map[string]string{"external_id": "ben", "name": "Ben Ode"},
		"external_message_id": "ben-1", "text": "My parcel is late, the tracking number has not moved"}, http.StatusCreated, &got)
	w.ben = got.ConversationID
	e.JSON("POST", fmt.Sprintf("/api/v1/conversations/%d/notes", w.ana), map[string]any{"text": "Checked the carrier: photo of the box needed"}, http.StatusCreated, nil)

	w.annID, w.annTok = w.agent(t, "ann@example.com", "Ann Agent", parley.ScopeFull)
	w.bobID, w.bobTok = w.agent(t, "bob@example.com", "Bob Agent", parley.ScopeFull)
	w.readTok = w.token(t, "reader", nil, parley.ScopeRead)
	w.ingTok = w.token(t, "form", nil, parley.ScopeIngest)
	a, err := e.App.Knowledge.CreateArticle(bg, parley.RoleOwner, parley.Article{Title: "Refunds for damaged items",
		Body: "When an item arrives broken, send a photo and we refund it to your card within 5 days."})
	if err != nil {
		t.Fatal(err)
	}
	w.articleID = a.ID
	return w
}

func (w *world) agent(t *testing.T, email, name string, scope parley.TokenScope) (int64, string) {
	t.Helper()
	a, _, err := w.e.App.Inbox.CreateAgent(bg, inbox.System, parley.Agent{Email: email, Name: name, Role: parley.RoleAgent}, "")
	if err != nil {
		t.Fatal(err)
	}
	return a.ID, w.token(t, name, &a.ID, scope)
}

func (w *world) token(t *testing.T, name string, agent *int64, scope parley.TokenScope) string {
	t.Helper()
	_, secret, err := w.e.App.Inbox.CreateToken(bg, inbox.System, parley.APIToken{Name: name, AgentID: agent, Scope: scope})
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// bearer adds a token to every request, as an MCP client configured
// with a header does.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// connect opens an MCP session with the go-sdk's own client against the
// running Parley's /mcp, as token.
func connect(t testing.TB, url, token string) *sdk.ClientSession {
	t.Helper()
	cs, err := dial(url, token)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

func dial(url, token string) (*sdk.ClientSession, error) {
	c := sdk.NewClient(&sdk.Implementation{Name: "parley-test", Version: "1"}, nil)
	hc := &http.Client{Transport: bearer{token, http.DefaultTransport}}
	return c.Connect(bg, &sdk.StreamableClientTransport{Endpoint: url + "/mcp", HTTPClient: hc}, nil)
}

// call calls a tool and fails the test on a protocol error (a tool's own
// error is a result, IsError).
func call(t testing.TB, cs *sdk.ClientSession, name string, args map[string]any) *sdk.CallToolResult {
	t.Helper()
	res, err := cs.CallTool(bg, &sdk.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s(%v): %v", name, args, err)
	}
	return res
}

// ok calls a tool that must succeed and decodes its structured content.
func ok[T any](t testing.TB, cs *sdk.ClientSession, name string, args map[string]any) T {
	t.Helper()
	res := call(t, cs, name, args)
	if res.IsError {
		t.Fatalf("%s(%v) failed: %s", name, args, text(res))
	}
	var out T
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: decode %s: %v", name, b, err)
	}
	return out
}

// refused calls a tool that must fail with a message containing want.
func refused(t testing.TB, cs *sdk.ClientSession, name string, args map[string]any, want string) {
	t.Helper()
	res := call(t, cs, name, args)
	if !res.IsError || !strings.Contains(text(res), want) {
		t.Fatalf("%s(%v) = error %v %q, want an error saying %q", name, args, res.IsError, text(res), want)
	}
}

func text(res *sdk.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*sdk.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// messages is the conversation's whole history, through the API.
func (w *world) messages(t *testing.T, conv int64) []parley.Message {
	t.Helper()
	var out struct{ Messages []parley.Message }
	w.e.JSON("GET", fmt.Sprintf("/api/v1/conversations/%d/messages", conv), nil, http.StatusOK, &out)
	return out.Messages
}

func count(msgs []parley.Message, dir parley.Direction) int {
	n := 0
	for _, m := range msgs {
		if m.Direction == dir {
			n++
		}
	}
	return n
}

// audit is the MCP rows of the agent-call audit, oldest first.
func (w *world) audit(t *testing.T) []store.AgentCall {
	t.Helper()
	rows, err := w.e.App.DB.AgentCalls(bg, store.AgentCallFilter{Protocol: "mcp", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
		rows[i], rows[j] = rows[j], rows[i]
	}
	return rows
}
