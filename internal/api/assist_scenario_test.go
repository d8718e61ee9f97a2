package api_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/parleyhq/parley/internal/llm/llmtest"
	"github.com/parleyhq/parley/internal/parley"
)

// testAssist: the assistant's routes: a summary, drafts with their
// sources, coaching (as hints on a reply, and blocking when an inbox says
// so), rewrites, an inbox's settings, and the drafts report.
func testAssist(t *testing.T, dialect string) {
	e := start(t, dialect)
	in := e.createInbox(map[string]any{"name": "Support"})
	_, agentTok := e.agentToken("drafter@example.com", parley.RoleAgent)
	r := e.say(in.ID, "c-1", "Hello, my blender arrived broken. Order #10234.")
	e.say(in.ID, "c-1", "The jar is cracked and it leaks. What can you do?")
	conv := fmt.Sprintf("/api/v1/conversations/%d", r.ConversationID)
	e.run([]scenario{
		{name: "summary", method: "GET", path: conv + "/summary", status: 200,
			want: []string{`"summary":`, `"engine":"offline"`, "10234", `"turns":2`}},
		{name: "summary of an unknown conversation", method: "GET", path: "/api/v1/conversations/424242/summary", status: 404},
		{name: "summary with a bad id", method: "GET", path: "/api/v1/conversations/x/summary", status: 400},
		{name: "drafts of an unknown conversation", method: "POST", path: "/api/v1/conversations/424242/drafts", status: 404},
		{name: "check: an empty greeting variable", method: "POST", path: "/api/v1/assist/check", body: map[string]any{"text": "Thanks, !"},
			status: 200, want: []string{`"check":"template.empty_variable"`, `"blocked":false`}},
		{name: "check: a complete reply", method: "POST", path: "/api/v1/assist/check",
			body: map[string]any{"conversation_id": r.ConversationID, "text": "Hello Ana, I'm so sorry your blender arrived broken. " +
				"I've sent a replacement today: it arrives within 3 working days, and I will email you the tracking number tomorrow morning. " +
				"You can keep the broken one. Have a lovely day!"},
			status: 200, want: []string{`"findings":[]`}},
		{name: "check: a bare promise", method: "POST", path: "/api/v1/assist/check",
			body: map[string]any{"conversation_id": r.ConversationID, "text": "I'll check."}, status: 200, want: []string{`"check":"one_shot.`}},
		{name: "check: unknown field", method: "POST", path: "/api/v1/assist/check", body: map[string]any{"txt": "x"}, status: 400},
		{name: "check: bad JSON", method: "POST", path: "/api/v1/assist/check", body: `{"text":`, status: 400},
		{name: "check: unknown conversation", method: "POST", path: "/api/v1/assist/check",
			body: map[string]any{"text": "hi", "conversation_id": 424242}, status: 404},
		{name: "rewrite: grammar", method: "POST", path: "/api/v1/assist/rewrite",
			body: map[string]any{"text": "i will  send it tomorrow", "kind": "grammar"}, status: 200,
			want: []string{`"done":true`, `"engine":"offline"`, "I will send it tomorrow"}},
		{name: "rewrite: translation needs a model", method: "POST", path: "/api/v1/assist/rewrite",
			body: map[string]any{"text": "Your parcel left today.", "kind": "translate", "lang": "fr"}, status: 200,
			want: []string{`"done":false`, "model"}},
		{name: "rewrite: unknown kind", method: "POST", path: "/api/v1/assist/rewrite",
			body: map[string]any{"text": "x", "kind": "louder"}, status: 400, want: []string{"louder"}},
		{name: "rewrite: no text", method: "POST", path: "/api/v1/assist/rewrite",
			body: map[string]any{"text": " ", "kind": "warmer"}, status: 400},
		{name: "inbox settings: defaults", method: "GET", path: fmt.Sprintf("/api/v1/inboxes/%d/assist", in.ID), status: 200,
			want: []string{`"model":false`, `"blocking_checks":[]`}},
		{name: "inbox settings: unknown inbox", method: "GET", path: "/api/v1/inboxes/424242/assist", status: 404},
		{name: "inbox settings: an agent may not change them", method: "PUT", path: fmt.Sprintf("/api/v1/inboxes/%d/assist", in.ID),
			token: agentTok, body: map[string]any{"blocking_checks": []string{"template.empty_variable"}}, status: 403},
		{name: "inbox settings: unknown check", method: "PUT", path: fmt.Sprintf("/api/v1/inboxes/%d/assist", in.ID),
			body: map[string]any{"blocking_checks": []string{"tone.rude"}}, status: 400, want: []string{"tone.rude"}},
		{name: "reply: hints come back with it", method: "POST", path: conv + "/messages", body: map[string]any{"text": "Thanks, !"},
			status: 201, want: []string{`"checks":[`, "template.empty_variable"}},
		{name: "inbox settings: make the empty variable blocking", method: "PUT", path: fmt.Sprintf("/api/v1/inboxes/%d/assist", in.ID),
			body: map[string]any{"blocking_checks": []string{"template.empty_variable"}}, status: 200,
			want: []string{`"blocking_checks":["template.empty_variable"]`}},
		{name: "reply: a blocking finding stops it", method: "POST", path: conv + "/messages", body: map[string]any{"text": "Thanks, !"},
			status: 400, want: []string{"does not send"}},
		{name: "check: says when a finding blocks", method: "POST", path: "/api/v1/assist/check",
			body: map[string]any{"text": "Thanks, !", "conversation_id": r.ConversationID}, status: 200, want: []string{`"blocked":true`}},
		{name: "reply: a draft of another conversation", method: "POST", path: conv + "/messages",
			body: map[string]any{"text": "Hello", "draft": map[string]any{"set_id": 424242, "index": 0}}, status: 404},
		{name: "drafts report: agents may not read it", method: "GET", path: "/api/v1/reports/drafts", token: agentTok, status: 403},
		{name: "drafts report: bad period", method: "GET", path: "/api/v1/reports/drafts?from=yesterday", status: 400},
	})

	// Drafts, one sent after an edit, then the report counts it.
	var set struct {
		ID     int64 `json:"id"`
		Engine string
		Drafts []struct{ Kind, Text string }
	}
	e.call("POST", conv+"/drafts", nil, 200, &set)
	if set.ID == 0 || set.Engine != "offline" {
		t.Fatalf("drafts = %+v", set)
	}
	if len(set.Drafts) > 0 {
		var sent struct {
			ID     int64
			Checks []json.RawMessage
		}
		e.call("POST", conv+"/messages", map[string]any{"text": set.Drafts[0].Text + " Thank you for your patience.",
			"draft": map[string]any{"set_id": set.ID, "index": 0}}, 201, &sent)
		var rep struct {
			Drafts []struct {
				InboxID   int64   `json:"inbox_id"`
				Requests  int     `json:"requests"`
				Used      int     `json:"used"`
				EditRatio float64 `json:"mean_edit_ratio"`
			}
		}
		e.call("GET", "/api/v1/reports/drafts", nil, 200, &rep)
		if len(rep.Drafts) != 1 || rep.Drafts[0].InboxID != in.ID || rep.Drafts[0].Requests != 1 || rep.Drafts[0].Used != 1 ||
			rep.Drafts[0].EditRatio <= 0 || rep.Drafts[0].EditRatio >= 0.5 {
			t.Fatalf("drafts report = %+v", rep)
		}
	}
}

// testAssistModel: with a model connected (the in-repo fake) and the
// inbox letting it read, the summary is the model's; when the model
// answers nonsense, the agent gets the offline summary and a note, never
// an error.
func testAssistModel(t *testing.T, dialect string) {
	e := start(t, dialect)
	srv := llmtest.New(t)
	srv.Handle(func(r llmtest.Request) llmtest.Reply {
		return llmtest.Reply{Content: `{"wants":"A new jar for the blender","facts":[],"done":[],"open_questions":[],"next_step":"Ship a jar","text":"Wants a new jar."}`}
	})
	e.call("PUT", "/api/v1/settings/ai-model", map[string]any{"base_url": srv.URL, "model": srv.Model, "timeout_seconds": 5}, 200, nil)
	in := e.createInbox(map[string]any{"name": "Support"})
	r := e.say(in.ID, "c-1", "Hello, the jar of my blender is cracked.")
	conv := fmt.Sprintf("/api/v1/conversations/%d", r.ConversationID)
	e.call("GET", conv+"/summary", nil, 200, nil)
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("the model was asked %d times for an inbox that keeps it off", n)
	}
	e.call("PUT", fmt.Sprintf("/api/v1/inboxes/%d/assist", in.ID), map[string]any{"model": true}, 200, nil)
	e.say(in.ID, "c-1", "Can you send a new jar?")
	e.run([]scenario{{name: "the model's summary", method: "GET", path: conv + "/summary", status: 200,
		want: []string{`"engine":"model:fake-model"`, "A new jar for the blender"}}})
	srv.Handle(func(r llmtest.Request) llmtest.Reply { return llmtest.Reply{Content: "I am not JSON"} })
	e.say(in.ID, "c-1", "Hello?")
	e.run([]scenario{{name: "nonsense from the model: the offline summary, with a note", method: "GET", path: conv + "/summary", status: 200,
		want: []string{`"engine":"offline"`, `"note":"The language model did not answer usably`}}})
}
