package mcp_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/parleyhq/parley/internal/approval"
	"github.com/parleyhq/parley/internal/mcp"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestReadTools: the go-sdk's client lists Parley's tools over the real
// /mcp endpoint and calls each read tool; the answers are checked
// against the data, with contact details masked (the workspace's
// default for models) and notes marked internal.
func TestReadTools(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		cs := connect(t, w.e.URL, w.annTok)

		if got := cs.InitializeResult(); got.ServerInfo.Name != "parley" || got.Capabilities.Tools == nil || got.Instructions == "" {
			t.Fatalf("initialize = %+v", got)
		}
		list, err := cs.ListTools(bg, nil)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, tl := range list.Tools {
			names = append(names, tl.Name)
			if tl.Description == "" || tl.InputSchema == nil || tl.OutputSchema == nil {
				t.Errorf("tool %s lacks a description or schema: %+v", tl.Name, tl)
			}
			write := tl.Name == "add_note" || tl.Name == "propose_action"
			if tl.Annotations == nil || tl.Annotations.ReadOnlyHint == write {
				t.Errorf("tool %s: annotations %+v", tl.Name, tl.Annotations)
			}
		}
		slices.Sort(names)
		if want := []string{"add_note", "draft_reply", "get_conversation", "propose_action", "search_conversations", "search_knowledge"}; !slices.Equal(names, want) {
			t.Fatalf("tools = %v, want %v", names, want)
		}
		var schema struct {
			Required   []string
			Properties map[string]struct{ Description string }
		}
		for _, tl := range list.Tools {
			if tl.Name == "search_conversations" {
				b, _ := json.Marshal(tl.InputSchema)
				json.Unmarshal(b, &schema)
			}
		}
		if !slices.Equal(schema.Required, []string{"query"}) || schema.Properties["status"].Description == "" {
			t.Errorf("search_conversations schema = %+v", schema)
		}

		// search_conversations finds Ana's message, masked.
		found := ok[mcp.SearchConversationsOut](t, cs, "search_conversations", map[string]any{"query": "refund blender"})
		if len(found.Results) != 1 || !found.Masked {
			t.Fatalf("search = %+v", found)
		}
		hit := found.Results[0]
		if hit.ConversationID != w.ana || hit.Author != "customer" || hit.Internal || hit.ConversationStatus != "open" ||
			!strings.Contains(hit.Text, "order 10423") || strings.Contains(hit.Text, w.anaEmail) || !strings.Contains(hit.Text, "[email]") {
			t.Errorf("hit = %+v", hit)
		}
		if none := ok[mcp.SearchConversationsOut](t, cs, "search_conversations", map[string]any{"query": "refund", "status": "resolved"}); len(none.Results) != 0 {
			t.Errorf("a resolved-only search found %+v", none.Results)
		}
		// Paging: one at a time, the next page from next_before_id.
		p1 := ok[mcp.SearchConversationsOut](t, cs, "search_conversations", map[string]any{"query": "the", "limit": 1})
		if len(p1.Results) != 1 || p1.NextBeforeID == 0 {
			t.Fatalf("page 1 = %+v", p1)
		}
		p2 := ok[mcp.SearchConversationsOut](t, cs, "search_conversations", map[string]any{"query": "the", "limit": 1, "before_id": p1.NextBeforeID})
		if len(p2.Results) != 1 || p2.Results[0].MessageID >= p1.Results[0].MessageID {
			t.Errorf("page 2 = %+v after %+v", p2, p1)
		}
		refused(t, cs, "search_conversations", map[string]any{"query": "refund", "status": "closed"}, "not one of open, pending")
		refused(t, cs, "search_conversations", map[string]any{"query": "refund", "limit": 500}, "limit must be from 1 to 50")

		// get_conversation: the history with the note marked internal,
		// the summary, the contact masked.
		conv := ok[mcp.GetConversationOut](t, cs, "get_conversation", map[string]any{"conversation_id": w.ana})
		if conv.Conversation.ID != w.ana || conv.Conversation.Status != "open" || conv.Conversation.InboxID != w.inboxID ||
			conv.Contact.ID != w.anaContact || conv.Contact.Name != "[name]" || conv.Contact.Email != "" || !conv.Masked {
			t.Errorf("conversation = %+v, contact %+v", conv.Conversation, conv.Contact)
		}
		if conv.MessagesTotal != 2 || len(conv.Messages) != 2 {
			t.Fatalf("messages = %d of %d: %+v", len(conv.Messages), conv.MessagesTotal, conv.Messages)
		}
		first, note := conv.Messages[0], conv.Messages[1]
		if first.Author != "customer" || first.Internal || strings.Contains(first.Text, w.anaEmail) || !strings.Contains(first.Text, "10423") {
			t.Errorf("first message = %+v", first)
		}
		if note.Author != "note" || !note.Internal || !strings.Contains(note.Text, "photo of the box") {
			t.Errorf("note = %+v", note)
		}
		if conv.Summary.Engine != "offline" || conv.Summary.Text == "" || strings.Contains(conv.Summary.Text, w.anaEmail) {
			t.Errorf("summary = %+v", conv.Summary)
		}
		if !slices.ContainsFunc(conv.Summary.Facts, func(f mcp.FactInfo) bool { return f.Kind == "order" && f.Value == "10423" }) ||
			slices.ContainsFunc(conv.Summary.Facts, func(f mcp.FactInfo) bool { return f.Kind == "email" }) {
			t.Errorf("summary facts = %+v", conv.Summary.Facts)
		}
		if last := ok[mcp.GetConversationOut](t, cs, "get_conversation", map[string]any{"conversation_id": w.ana, "messages": 1}); len(last.Messages) != 1 ||
			last.Messages[0].ID != note.ID || last.MessagesTotal != 2 {
			t.Errorf("newest 1 = %+v", last.Messages)
		}
		refused(t, cs, "get_conversation", map[string]any{"conversation_id": 999999}, "not found")
		refused(t, cs, "get_conversation", map[string]any{"conversation_id": -3}, "positive id")

		// Masking follows the workspace's model setting: off, the
		// details are given as they are.
		e := w.e
		e.JSON("PUT", "/api/v1/settings/ai-model", map[string]any{"enabled": false, "mask_contacts": false}, http.StatusOK, nil)
		clear := ok[mcp.GetConversationOut](t, cs, "get_conversation", map[string]any{"conversation_id": w.ana})
		if clear.Masked || clear.Contact.Name != "Ana Lopez" || !strings.Contains(clear.Messages[0].Text, w.anaEmail) {
			t.Errorf("unmasked = %+v %+v", clear.Contact, clear.Messages[0])
		}
		e.JSON("PUT", "/api/v1/settings/ai-model", map[string]any{"enabled": false, "mask_contacts": true}, http.StatusOK, nil)

		// search_knowledge finds the article.
		kb := ok[mcp.SearchKnowledgeOut](t, cs, "search_knowledge", map[string]any{"query": "my item arrived broken, can I get a refund?"})
		if len(kb.Sources) == 0 || kb.Sources[0].Kind != "article" || kb.Sources[0].ID != w.articleID ||
			kb.Sources[0].Title != "Refunds for damaged items" || !strings.Contains(kb.Sources[0].Text, "send a photo") || kb.Sources[0].Score <= 0 {
			t.Fatalf("knowledge = %+v", kb)
		}
		refused(t, cs, "search_knowledge", map[string]any{"query": "refund", "kinds": []string{"faq"}}, "kinds may hold article and answer")
		refused(t, cs, "search_knowledge", map[string]any{"query": "  "}, "query is required")

		// draft_reply: the assistant's drafts, the name as a variable,
		// nothing sent.
		before := w.messages(t, w.ana)
		d := ok[mcp.DraftReplyOut](t, cs, "draft_reply", map[string]any{"conversation_id": w.ana})
		if d.DraftSetID == 0 || d.Engine != "offline" || (len(d.Drafts) == 0 && d.NoAnswer == "") {
			t.Fatalf("drafts = %+v", d)
		}
		for _, dr := range d.Drafts {
			if strings.Contains(dr.Text, "Ana") || strings.Contains(dr.Text, w.anaEmail) || dr.Text == "" {
				t.Errorf("draft %q shows the contact's details", dr.Text)
			}
		}
		if len(d.Drafts) > 0 && !slices.ContainsFunc(d.Sources, func(s mcp.SourceInfo) bool { return s.ID == w.articleID }) {
			t.Errorf("the drafts cite %+v, not the article", d.Sources)
		}
		if after := w.messages(t, w.ana); len(after) != len(before) {
			t.Errorf("drafting stored messages: %d → %d", len(before), len(after))
		}
	})
}

// TestWriteTools: add_note stores an internal note as the token's agent;
// propose_action sends nothing and changes nothing: it makes pending
// approval requests (waiting even with no policy, or named by the
// policy that matches), which a person approves through the API, and
// only then does the reply go out, as the agent who proposed it.
func TestWriteTools(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		cs := connect(t, w.e.URL, w.annTok)

		n := ok[mcp.AddNoteOut](t, cs, "add_note", map[string]any{"conversation_id": w.ana, "text": "The customer sent a photo: box crushed."})
		msgs := w.messages(t, w.ana)
		last := msgs[len(msgs)-1]
		if n.MessageID != last.ID || !n.Internal || last.Direction != parley.Note || last.AuthorAgentID == nil || *last.AuthorAgentID != w.annID ||
			last.Text != "The customer sent a photo: box crushed." {
			t.Fatalf("note %+v stored as %+v", n, last)
		}
		refused(t, cs, "add_note", map[string]any{"conversation_id": w.ana, "text": ""}, "needs text")
		refused(t, cs, "add_note", map[string]any{"conversation_id": 424242, "text": "x"}, "not found")

		// A reply proposal with no policy: pending, with the MCP reason,
		// the name filled, nothing stored or queued.
		outgoing := count(w.messages(t, w.ana), parley.Outgoing)
		p := ok[mcp.ProposeActionOut](t, cs, "propose_action", map[string]any{"conversation_id": w.ana,
			"reply": "Hi {{contact.first_name}}, sorry about the blender. I have asked for your refund; it reaches your card within 5 days."})
		if p.Sent || len(p.Approvals) != 1 {
			t.Fatalf("proposal = %+v", p)
		}
		pa := p.Approvals[0]
		if pa.Kind != "reply" || pa.State != "pending" || pa.Reason != mcp.ProposalReason || pa.Policy != "" ||
			!strings.HasPrefix(pa.Text, "Hi Ana, sorry") {
			t.Fatalf("approval = %+v", pa)
		}
		if got := count(w.messages(t, w.ana), parley.Outgoing); got != outgoing {
			t.Fatalf("a proposal stored a reply: %d outgoing, want %d", got, outgoing)
		}
		var req struct{ Approval parley.ApprovalRequest }
		w.e.JSON("GET", fmt.Sprintf("/api/v1/approvals/%d", pa.ApprovalID), nil, http.StatusOK, &req)
		if a := req.Approval; a.State != parley.ApprovalPending || a.RequestedBy == nil || *a.RequestedBy != w.annID || a.PolicyID != nil {
			t.Fatalf("stored approval = %+v", a)
		} else if pl, err := approval.ReplyPayloadOf(a); err != nil || pl.Text != pa.Text {
			t.Fatalf("payload = %+v %v", pl, err)
		}
		// The agent who proposed it may not approve it; another agent
		// does not even see it; an admin approves, and the reply goes out
		// once, as Ann.
		if st, body := do(t, w.e.URL, "POST", fmt.Sprintf("/api/v1/approvals/%d/approve", pa.ApprovalID), w.annTok, "{}"); st != http.StatusForbidden {
			t.Errorf("self-approval = %d %s", st, body)
		}
		if st, _ := do(t, w.e.URL, "GET", fmt.Sprintf("/api/v1/approvals/%d", pa.ApprovalID), w.bobTok, ""); st != http.StatusNotFound {
			t.Errorf("another agent reads the proposal: %d", st)
		}
		w.e.JSON("POST", fmt.Sprintf("/api/v1/approvals/%d/approve", pa.ApprovalID), map[string]any{"note": "fine"}, http.StatusOK, nil)
		msgs = w.messages(t, w.ana)
		if got := count(msgs, parley.Outgoing); got != outgoing+1 {
			t.Fatalf("after approval: %d outgoing, want %d", got, outgoing+1)
		}
		sent := msgs[len(msgs)-1]
		if sent.Direction != parley.Outgoing || sent.Text != pa.Text || sent.AuthorAgentID == nil || *sent.AuthorAgentID != w.annID {
			t.Fatalf("sent = %+v", sent)
		}

		// A change proposal: pending; the conversation unchanged until
		// approved, then changed as proposed.
		c := ok[mcp.ProposeActionOut](t, cs, "propose_action", map[string]any{"conversation_id": w.ben, "priority": "urgent", "add_labels": []string{"Late-Delivery"}})
		if len(c.Approvals) != 1 || c.Approvals[0].Kind != mcp.KindChange || c.Approvals[0].State != "pending" ||
			c.Approvals[0].Text != "Set the priority to urgent; add the labels late-delivery." {
			t.Fatalf("change proposal = %+v", c)
		}
		var conv parley.Conversation
		w.e.JSON("GET", fmt.Sprintf("/api/v1/conversations/%d", w.ben), nil, http.StatusOK, &conv)
		if conv.Priority == parley.PriorityUrgent || len(conv.Labels) != 0 {
			t.Fatalf("a proposed change was applied: %+v", conv)
		}
		w.e.JSON("POST", fmt.Sprintf("/api/v1/approvals/%d/approve", c.Approvals[0].ApprovalID), nil, http.StatusOK, nil)
		w.e.JSON("GET", fmt.Sprintf("/api/v1/conversations/%d", w.ben), nil, http.StatusOK, &conv)
		if conv.Priority != parley.PriorityUrgent || !slices.Equal(conv.Labels, []string{"late-delivery"}) {
			t.Fatalf("after approval: %+v", conv)
		}

		// A change is bound to what it does, not to the world: approved
		// after someone else changed the priority and labels, it sets its
		// priority and keeps their label.
		c = ok[mcp.ProposeActionOut](t, cs, "propose_action", map[string]any{"conversation_id": w.ben, "priority": "low", "remove_labels": []string{"late-delivery"}})
		w.e.JSON("PATCH", fmt.Sprintf("/api/v1/conversations/%d", w.ben), map[string]any{"priority": "high", "labels": []string{"late-delivery", "vip"}}, http.StatusOK, nil)
		w.e.JSON("POST", fmt.Sprintf("/api/v1/approvals/%d/approve", c.Approvals[0].ApprovalID), nil, http.StatusOK, nil)
		w.e.JSON("GET", fmt.Sprintf("/api/v1/conversations/%d", w.ben), nil, http.StatusOK, &conv)
		if conv.Priority != parley.PriorityLow || !slices.Equal(conv.Labels, []string{"vip"}) {
			t.Fatalf("after a later approval: %+v", conv)
		}

		// A policy that matches names itself; the reply still waits.
		w.e.JSON("POST", "/api/v1/approval-policies", map[string]any{"name": "Large refunds", "condition": `action == "reply" && amount > 100`}, http.StatusCreated, nil)
		big := ok[mcp.ProposeActionOut](t, cs, "propose_action", map[string]any{"conversation_id": w.ana,
			"reply": "We will refund 250.00 EUR to your card by Friday.", "priority": "high"})
		if len(big.Approvals) != 2 || big.Approvals[0].Policy != "Large refunds" || !strings.HasPrefix(big.Approvals[0].Reason, "Large refunds:") ||
			big.Approvals[1].Reason != mcp.ProposalReason {
			t.Fatalf("policy proposal = %+v", big.Approvals)
		}

		// Refusals: a masked placeholder, an unknown variable, nothing to
		// propose, a bad priority; none stores a request.
		pending := len(w.pending(t))
		refused(t, cs, "propose_action", map[string]any{"conversation_id": w.ana, "reply": "Hi [name], done."}, "{{contact.first_name}}")
		refused(t, cs, "propose_action", map[string]any{"conversation_id": w.ana, "reply": "Hi {{contact.nickname}}"}, "does not fill")
		refused(t, cs, "propose_action", map[string]any{"conversation_id": w.ana}, "nothing to propose")
		refused(t, cs, "propose_action", map[string]any{"conversation_id": w.ana, "priority": "asap", "reply": "Hello"}, "not one of low, normal")
		refused(t, cs, "propose_action", map[string]any{"conversation_id": 9999999, "reply": "Hello"}, "not found")
		if got := len(w.pending(t)); got != pending {
			t.Errorf("refused proposals stored requests: %d pending, want %d", got, pending)
		}
	})
}

// pending lists the pending approval requests (as the admin sees them).
func (w *world) pending(t *testing.T) []parley.ApprovalRequest {
	t.Helper()
	var out struct{ Approvals []parley.ApprovalRequest }
	w.e.JSON("GET", "/api/v1/approvals", nil, http.StatusOK, &out)
	return out.Approvals
}

// do sends a raw request with token ("" for none) and returns the status
// and body.
func do(t testing.TB, base, method, path, token, body string) (int, string) {
	t.Helper()
	st, b, _ := doH(t, base, method, path, token, body, nil)
	return st, b
}

func doH(t testing.TB, base, method, path, token, body string, header map[string]string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String(), resp.Header
}

var _ = sdk.Implementation{}
