package mcp_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/parleyhq/parley/internal/mcp"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// rpcError is a JSON-RPC error answer.
type rpcError struct {
	JSONRPC string `json:"jsonrpc"`
	ID      any    `json:"id"`
	Error   *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func decodeRPC(t *testing.T, body string) rpcError {
	t.Helper()
	var e rpcError
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.JSONRPC != "2.0" || e.Error == nil {
		t.Fatalf("not a JSON-RPC error: %q (%v)", body, err)
	}
	return e
}

const initialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}`

var mcpHeaders = map[string]string{"Accept": "application/json, text/event-stream"}

// TestAuth: no token, a bad token and an ingest token are refused at the
// door with JSON-RPC errors (401 with the challenge, 403); a read token
// reads but gets a tool error for each write, storing nothing; the
// writes of a full token are its agent's.
func TestAuth(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		url := w.e.URL

		for _, tc := range []struct {
			name, token string
			status      int
			challenge   string
			says        string
		}{
			{"no token", "", 401, `Bearer realm="parley"`, "Authorization: Bearer"},
			{"unknown token", w.admin[:len(w.admin)-4] + "AAAA", 401, `Bearer realm="parley", error="invalid_token"`, "not valid"},
			{"ingest token", w.ingTok, 403, "", "ingest-only"},
		} {
			for _, method := range []string{"POST", "GET", "DELETE"} {
				body := ""
				if method == "POST" {
					body = initialize
				}
				st, got, h := doH(t, url, method, "/mcp", tc.token, body, mcpHeaders)
				if st != tc.status || h.Get("WWW-Authenticate") != tc.challenge {
					t.Errorf("%s %s: %d, challenge %q; want %d, %q", tc.name, method, st, h.Get("WWW-Authenticate"), tc.status, tc.challenge)
					continue
				}
				if e := decodeRPC(t, got); !strings.Contains(e.Error.Message, tc.says) {
					t.Errorf("%s %s: %q, want it to say %q", tc.name, method, e.Error.Message, tc.says)
				}
			}
			if tc.token != "" {
				if _, err := dial(url, tc.token); err == nil || !strings.Contains(err.Error(), tc.says) {
					t.Errorf("%s: the go-sdk client connected, or said %v", tc.name, err)
				}
			}
		}

		// A read token reads, and is refused each write with a tool error.
		rd := connect(t, url, w.readTok)
		if got := ok[mcp.SearchKnowledgeOut](t, rd, "search_knowledge", map[string]any{"query": "refund broken item"}); len(got.Sources) == 0 {
			t.Errorf("a read token found nothing")
		}
		ok[mcp.GetConversationOut](t, rd, "get_conversation", map[string]any{"conversation_id": w.ana})
		ok[mcp.DraftReplyOut](t, rd, "draft_reply", map[string]any{"conversation_id": w.ana})
		before, pending := w.messages(t, w.ana), len(w.pending(t))
		refused(t, rd, "add_note", map[string]any{"conversation_id": w.ana, "text": "from a read token"}, "this API token is read-only: add_note changes Parley")
		refused(t, rd, "propose_action", map[string]any{"conversation_id": w.ana, "reply": "Hello"}, "this API token is read-only: propose_action changes Parley")
		if after := w.messages(t, w.ana); len(after) != len(before) || len(w.pending(t)) != pending {
			t.Errorf("a read token's writes were stored: %d → %d messages, %d → %d approvals", len(before), len(after), pending, len(w.pending(t)))
		}

		// Every agent works every conversation (as in the API): Bob reads
		// and notes the conversation Ann has; what is Ann's alone is her
		// proposal, which Bob neither sees nor decides.
		w.e.JSON("PATCH", fmt.Sprintf("/api/v1/conversations/%d", w.ana), map[string]any{"assignee_id": w.annID}, http.StatusOK, nil)
		ann, bob := connect(t, url, w.annTok), connect(t, url, w.bobTok)
		p := ok[mcp.ProposeActionOut](t, ann, "propose_action", map[string]any{"conversation_id": w.ana, "reply": "Your refund is on its way."})
		ok[mcp.GetConversationOut](t, bob, "get_conversation", map[string]any{"conversation_id": w.ana})
		note := ok[mcp.AddNoteOut](t, bob, "add_note", map[string]any{"conversation_id": w.ana, "text": "Bob: carrier confirmed"})
		msgs := w.messages(t, w.ana)
		if m := msgs[len(msgs)-1]; m.ID != note.MessageID || m.AuthorAgentID == nil || *m.AuthorAgentID != w.bobID {
			t.Errorf("Bob's note = %+v", m)
		}
		path := fmt.Sprintf("/api/v1/approvals/%d", p.Approvals[0].ApprovalID)
		if st, _ := do(t, url, "GET", path, w.bobTok, ""); st != http.StatusNotFound {
			t.Errorf("Bob reads Ann's proposal: %d", st)
		}
		if st, _ := do(t, url, "POST", path+"/reject", w.bobTok, `{"note":"no"}`); st != http.StatusForbidden {
			t.Errorf("Bob rejects Ann's proposal: %d", st)
		}

		// A revoked token stops at once.
		var toks struct{ Tokens []parley.APIToken }
		w.e.JSON("GET", "/api/v1/tokens", nil, http.StatusOK, &toks)
		i := slices.IndexFunc(toks.Tokens, func(tk parley.APIToken) bool { return tk.Name == "reader" })
		w.e.JSON("POST", fmt.Sprintf("/api/v1/tokens/%d/revoke", toks.Tokens[i].ID), nil, http.StatusOK, nil)
		if _, err := rd.CallTool(bg, &sdk.CallToolParams{Name: "search_knowledge", Arguments: map[string]any{"query": "refund"}}); err == nil {
			t.Errorf("a revoked token still calls")
		}
	})
}

// TestBadInput: malformed JSON-RPC gets JSON-RPC's error codes, never a
// 500; an oversized body is refused unread; a tool called with
// arguments that do not match its schema, or an unknown tool, is an
// error result; GET and DELETE get 405 (no session or stream).
func TestBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		url, tok := w.e.URL, w.annTok
		for _, tc := range []struct {
			name, body string
			code       int
			id         any
		}{
			{"not JSON", `{"jsonrpc":"2.0","id":1,"method":"tools/list"`, -32700, nil},
			{"not an object", `"hello"`, -32600, nil},
			{"no version", `{"id":7,"method":"tools/list"}`, -32600, 7.0},
			{"bad id", `{"jsonrpc":"2.0","id":{"x":1},"method":"tools/list"}`, -32600, nil},
			{"no method", `{"jsonrpc":"2.0","id":"a"}`, -32600, "a"},
			{"empty batch", `[]`, -32600, nil},
			{"unknown method", `{"jsonrpc":"2.0","id":9,"method":"tools/explode","params":{}}`, -32601, 9.0},
		} {
			st, body, _ := doH(t, url, "POST", "/mcp", tok, tc.body, mcpHeaders)
			if st != http.StatusBadRequest {
				t.Errorf("%s: status %d %s", tc.name, st, body)
				continue
			}
			if e := decodeRPC(t, body); e.Error.Code != tc.code || e.ID != tc.id {
				t.Errorf("%s: %+v %+v, want code %d id %v", tc.name, e, e.Error, tc.code, tc.id)
			}
		}
		big := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add_note","arguments":{"conversation_id":1,"text":"` +
			strings.Repeat("x", 1<<20) + `"}}}`
		if st, body, _ := doH(t, url, "POST", "/mcp", tok, big, mcpHeaders); st != http.StatusRequestEntityTooLarge || decodeRPC(t, body).Error.Code != -32013 {
			t.Errorf("oversized: %d %s", st, body)
		}
		for _, m := range []string{"GET", "DELETE"} {
			if st, _, h := doH(t, url, m, "/mcp", tok, "", mcpHeaders); st != http.StatusMethodNotAllowed || h.Get("Allow") != "POST" {
				t.Errorf("%s: %d, Allow %q", m, st, h.Get("Allow"))
			}
		}
		// A well-formed initialize over plain HTTP answers JSON.
		if st, body, h := doH(t, url, "POST", "/mcp", tok, initialize, mcpHeaders); st != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/json") ||
			!strings.Contains(body, `"name":"parley"`) {
			t.Errorf("initialize = %d %s %s", st, h.Get("Content-Type"), body)
		}

		cs := connect(t, url, tok)
		refused(t, cs, "get_conversation", map[string]any{"conversation_id": "seven"}, "conversation_id")
		refused(t, cs, "search_conversations", map[string]any{}, "query")
		if res, err := cs.CallTool(bg, nil); err == nil && !res.IsError {
			t.Errorf("a call with no tool name succeeded: %+v", res)
		}
		st, body, _ := doH(t, url, "POST", "/mcp", tok, `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"nope","arguments":{}}}`, mcpHeaders)
		if st == http.StatusInternalServerError || !strings.Contains(body, "nope") {
			t.Errorf("unknown tool: %d %s", st, body)
		}

		// Every call above was audited, failures with their reason.
		rows := w.audit(t)
		var subjects []string
		for _, r := range rows {
			subjects = append(subjects, r.Subject+":"+r.Outcome)
			if r.Direction != "in" || r.Method != "tools/call" || r.TokenID == nil || r.AgentID == nil || *r.AgentID != w.annID {
				t.Errorf("audit row %+v", r)
			}
		}
		// (The call with no name is refused by the SDK before any tool is
		// dispatched, as invalid params.)
		want := []string{"get_conversation:error", "search_conversations:error", "nope:error"}
		if !slices.Equal(subjects, want) {
			t.Fatalf("audit = %v, want %v", subjects, want)
		}
		if !strings.Contains(rows[0].Error, "conversation_id") || !strings.Contains(rows[2].Error, "nope") {
			t.Errorf("audit errors = %q, %q", rows[0].Error, rows[3].Error)
		}
	})
}

// TestAudit: each tools/call is one audit row naming the tool, the token
// and its agent, the outcome and the duration; other methods are not
// audited.
func TestAudit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		cs := connect(t, w.e.URL, w.annTok)
		cs.ListTools(bg, nil)
		ok[mcp.SearchKnowledgeOut](t, cs, "search_knowledge", map[string]any{"query": "refund"})
		ok[mcp.AddNoteOut](t, cs, "add_note", map[string]any{"conversation_id": w.ana, "text": "seen"})
		refused(t, cs, "get_conversation", map[string]any{"conversation_id": 123456}, "not found")
		admin := connect(t, w.e.URL, w.admin)
		ok[mcp.SearchConversationsOut](t, admin, "search_conversations", map[string]any{"query": "parcel"})

		rows := w.audit(t)
		if len(rows) != 4 {
			t.Fatalf("%d audit rows: %+v", len(rows), rows)
		}
		for i, want := range []struct{ tool, outcome, err string }{
			{"search_knowledge", "ok", ""}, {"add_note", "ok", ""}, {"get_conversation", "error", "not found"}, {"search_conversations", "ok", ""},
		} {
			r := rows[i]
			if r.Subject != want.tool || r.Outcome != want.outcome || !strings.Contains(r.Error, want.err) || (want.err == "" && r.Error != "") ||
				r.Protocol != "mcp" || r.Method != "tools/call" || r.Direction != "in" || r.TokenID == nil || r.DurationUS <= 0 {
				t.Errorf("row %d = %+v, want %+v", i, r, want)
			}
			if agent := i < 3; agent != (r.AgentID != nil) || agent && *r.AgentID != w.annID {
				t.Errorf("row %d agent = %v", i, r.AgentID)
			}
		}
		if *rows[0].TokenID == *rows[3].TokenID {
			t.Errorf("two tokens recorded as one: %d", *rows[0].TokenID)
		}
	})
}
