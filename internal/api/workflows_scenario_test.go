package api_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/connect/shop"
	"github.com/parleyhq/parley/internal/parley"
)

// testWorkflows: an admin saves a workflow (a refused document lists its
// problems and stores nothing), starts a run by hand against the
// simulated shop, and reads the run step by step; agents read but do not
// save or start.
func testWorkflows(t *testing.T, dialect string) {
	e := start(t, dialect)
	_, agent := e.agentToken("flow-agent@example.com", parley.RoleAgent)
	s := shop.New()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	in := e.createInbox(map[string]any{"name": "Shop"})
	conv := e.say(in.ID, "cust-blender", "My blender arrived broken").ConversationID

	doc := `name: Damaged item
trigger: {event: manual}
steps:
  - id: label
    kind: http
    method: POST
    url: "{{ input.shop }}/returns"
    body: {order_id: "{{ input.order_id }}", reason: damaged}
    keep: {url: label_url}
  - id: tell
    kind: note
    text: "Label: {{ steps.label.url }}"
`
	var wf struct{ ID, Version int64 }
	e.call("POST", "/api/v1/workflows", map[string]any{"source": doc}, 201, &wf)
	runs := fmt.Sprintf("/api/v1/workflows/%d/runs", wf.ID)
	e.run([]scenario{
		{name: "save: a refused document lists each problem with its line", method: "POST", path: "/api/v1/workflows",
			body: map[string]any{"source": "name: x\ntrigger: {event: manual}\nsteps:\n  - id: a\n    kind: teleport\n"}, status: 400,
			want: []string{`"code":"invalid"`, `"problems":[{"line":5,"field":"steps[0].kind"`, `unknown step kind`}},
		{name: "save: not a string", method: "POST", path: "/api/v1/workflows", body: map[string]any{"source": 5}, status: 400},
		{name: "save: agent refused", method: "POST", path: "/api/v1/workflows", token: agent, body: map[string]any{"source": doc}, status: 403},
		{name: "list", method: "GET", path: "/api/v1/workflows", token: agent, status: 200, want: []string{`"name":"Damaged item"`, `"version":1`}},
		{name: "get: with its document", method: "GET", path: fmt.Sprintf("/api/v1/workflows/%d", wf.ID), status: 200, want: []string{`"source":"name: Damaged item`}},
		{name: "get: unknown", method: "GET", path: "/api/v1/workflows/999", status: 404},
		{name: "start: agent refused", method: "POST", path: runs, token: agent, body: map[string]any{"key": "k"}, status: 403},
		{name: "dry run: what it would send, nothing sent", method: "POST", path: fmt.Sprintf("/api/v1/workflows/%d/dry-run", wf.ID),
			body: map[string]any{"conversation_id": conv, "input": map[string]any{"shop": "http://shop.example", "order_id": "A7"}}, status: 200,
			want: []string{`"starts":true`, `"url":"http://shop.example/returns"`, `"order_id":"A7"`, `"would":"add a note"`}},
		{name: "dry run: unknown conversation", method: "POST", path: fmt.Sprintf("/api/v1/workflows/%d/dry-run", wf.ID), body: map[string]any{"conversation_id": 999999}, status: 404},
		{name: "start: unknown conversation", method: "POST", path: runs, body: map[string]any{"key": "k", "conversation_id": 999999}, status: 404},
		{name: "start: input not an object", method: "POST", path: runs, body: map[string]any{"key": "k", "input": []int{1}}, status: 400},
		{name: "runs: bad status", method: "GET", path: "/api/v1/runs?status=sleeping", status: 400},
		{name: "run: unknown", method: "GET", path: "/api/v1/runs/999", status: 404},
		{name: "secret: saved", method: "PUT", path: "/api/v1/workflow-secrets/shop_token", body: map[string]any{"value": "tok-123"}, status: 204, mayWrite: true},
		{name: "secret: names only", method: "GET", path: "/api/v1/workflow-secrets", status: 200, want: []string{`"names":["shop_token"]`}, notWant: []string{"tok-123"}},
		{name: "secret: bad name", method: "PUT", path: "/api/v1/workflow-secrets/Shop-Token", body: map[string]any{"value": "x"}, status: 400},
		{name: "secret: no value", method: "PUT", path: "/api/v1/workflow-secrets/shop_token", body: map[string]any{"value": ""}, status: 400},
		{name: "secret: agent refused", method: "GET", path: "/api/v1/workflow-secrets", token: agent, status: 403},
		{name: "secret: removed", method: "DELETE", path: "/api/v1/workflow-secrets/shop_token", status: 204, mayWrite: true},
		{name: "templates", method: "GET", path: "/api/v1/workflow-templates", token: agent, status: 200,
			want: []string{`"name":"Damaged item"`, `"name":"Missing refund"`, `"name":"Where is my order"`, `"source":"name: `}},
	})
	var run struct {
		ID     int64
		Status string
	}
	start := map[string]any{"key": "blender-1", "input": map[string]any{"shop": srv.URL, "order_id": "A1001"}, "conversation_id": conv}
	e.call("POST", runs, start, 201, &run)
	var again struct{ ID int64 }
	e.call("POST", runs, start, 200, &again)
	if again.ID != run.ID {
		t.Fatalf("the same key started run %d after %d", again.ID, run.ID)
	}
	var got struct {
		Run   struct{ Status, Error string }
		Steps []struct {
			Step, State, Input string
			Attempts           int
		}
	}
	eventually(t, "the run to finish", func() bool {
		e.call("GET", fmt.Sprintf("/api/v1/runs/%d", run.ID), nil, 200, &got)
		return got.Run.Status != "running"
	})
	if got.Run.Status != "succeeded" || len(got.Steps) != 2 || got.Steps[0].State != "done" || !strings.Contains(got.Steps[0].Input, `"idempotency_key":"parley-run-`) {
		t.Fatalf("run: %+v", got)
	}
	if c := s.Counts(); c.Labels != 1 {
		t.Fatalf("shop: %+v", c)
	}
	ms := e.messages(conv)
	if last := ms[len(ms)-1]; last.Direction != parley.Note || !strings.Contains(last.Text, "https://labels.shop.example/") {
		t.Fatalf("note: %+v", last)
	}
	// An event from the shop's own systems starts the workflows waiting
	// for it, once per key.
	e.call("POST", "/api/v1/workflows", map[string]any{"source": "name: Delivered\ntrigger: {event: \"inbound:order.delivered\"}\nsteps:\n  - id: note\n    kind: note\n    text: \"Delivered: {{ input.event.data.order_id }}\"\n"}, 201, nil)
	ev := map[string]any{"name": "order.delivered", "key": "shop-evt-9", "data": map[string]any{"order_id": "A1001"}, "conversation_id": conv}
	var first, second struct{ Runs []struct{ ID int64 } }
	e.call("POST", "/api/v1/events/inbound", ev, 202, &first)
	e.call("POST", "/api/v1/events/inbound", ev, 202, &second)
	if len(first.Runs) != 1 || len(second.Runs) != 1 || first.Runs[0].ID != second.Runs[0].ID {
		t.Fatalf("inbound runs: %+v then %+v", first, second)
	}
	eventually(t, "the inbound run to finish", func() bool { // before the error scenarios snapshot the store
		var got struct{ Run struct{ Status string } }
		e.call("GET", fmt.Sprintf("/api/v1/runs/%d", first.Runs[0].ID), nil, 200, &got)
		return got.Run.Status == "succeeded"
	})
	// The same, signed instead of a token: a good signature starts (or
	// answers) the runs; a wrong or missing one changes nothing.
	e.call("PUT", "/api/v1/workflow-secrets/events_signing_key", map[string]any{"value": "sign-me"}, 204, nil)
	signedBody := `{"name":"order.delivered","key":"shop-evt-10","data":{"order_id":"A1003"}}`
	mac := hmac.New(sha256.New, []byte("sign-me"))
	mac.Write([]byte(signedBody))
	goodSig := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	e.run([]scenario{
		{name: "signed: a good signature", method: "POST", path: "/api/v1/events/signed", token: noToken, body: signedBody,
			header: map[string]string{"X-Parley-Signature": goodSig}, status: 202, want: []string{`"trigger_key":"inbound/order.delivered/shop-evt-10/`}},
		{name: "signed: a wrong signature", method: "POST", path: "/api/v1/events/signed", token: noToken, body: strings.Replace(signedBody, "A1003", "A1001", 1),
			header: map[string]string{"X-Parley-Signature": goodSig}, status: 401},
		{name: "signed: no signature", method: "POST", path: "/api/v1/events/signed", token: noToken, body: signedBody, status: 401},
	})
	eventually(t, "the signed event's run to finish", func() bool {
		var runs struct{ Runs []struct{ Status string } }
		e.call("GET", "/api/v1/runs?status=running", nil, 200, &runs)
		return len(runs.Runs) == 0
	})
	e.run([]scenario{
		{name: "inbound: no key", method: "POST", path: "/api/v1/events/inbound", body: map[string]any{"name": "order.delivered"}, status: 400},
		{name: "inbound: a bad name", method: "POST", path: "/api/v1/events/inbound", body: map[string]any{"name": "Order Delivered", "key": "k"}, status: 400},
		{name: "inbound: agent refused", method: "POST", path: "/api/v1/events/inbound", token: agent, body: ev, status: 403},
		{name: "inbound: nobody waits for it", method: "POST", path: "/api/v1/events/inbound", body: map[string]any{"name": "payment.failed", "key": "k"}, status: 202, want: []string{`"runs":[]`}},
	})
	// A finished run is neither cancelled nor retried; an agent may do neither.
	one := fmt.Sprintf("/api/v1/runs/%d", run.ID)
	e.run([]scenario{
		{name: "cancel: not running", method: "POST", path: one + "/cancel", status: 409},
		{name: "retry: not failed", method: "POST", path: one + "/retry", status: 409},
		{name: "cancel: agent refused", method: "POST", path: one + "/cancel", token: agent, status: 403},
		{name: "retry: unknown", method: "POST", path: "/api/v1/runs/999/retry", status: 404},
	})
	// A run that fails (the shop refuses once) is retried and finishes.
	s.FailNext("/returns", 400)
	var failing struct{ ID int64 }
	e.call("POST", runs, map[string]any{"key": "blender-2", "input": map[string]any{"shop": srv.URL, "order_id": "A1001"}, "conversation_id": conv}, 201, &failing)
	path := fmt.Sprintf("/api/v1/runs/%d", failing.ID)
	eventually(t, "the run to fail", func() bool {
		e.call("GET", path, nil, 200, &got)
		return got.Run.Status == "failed"
	})
	e.call("POST", path+"/retry", nil, 200, nil)
	eventually(t, "the retried run to finish", func() bool {
		e.call("GET", path, nil, 200, &got)
		return got.Run.Status == "succeeded"
	})
	if c := s.Counts(); c.Labels != 2 {
		t.Fatalf("shop after the retry: %+v", c)
	}
	// The period's figures: the runs above, none resolved yet; once the
	// conversation is resolved with no agent's message, workflows alone.
	e.run([]scenario{
		{name: "report: runs by outcome", method: "GET", path: "/api/v1/reports/workflows", status: 200,
			want: []string{`"succeeded":`, `"resolved_by_workflows":0`, `"median_seconds":`}},
		{name: "report: agent refused", method: "GET", path: "/api/v1/reports/workflows", token: agent, status: 403},
		{name: "report: bad period", method: "GET", path: "/api/v1/reports/workflows?from=yesterday", status: 400},
	})
	e.call("PATCH", fmt.Sprintf("/api/v1/conversations/%d", conv), map[string]any{"status": "resolved"}, 200, nil)
	var rep struct {
		Workflows struct {
			Succeeded           int `json:"succeeded"`
			ResolvedByWorkflows int `json:"resolved_by_workflows"`
			ResolvedByPeople    int `json:"resolved_by_people"`
		}
	}
	e.call("GET", "/api/v1/reports/workflows", nil, 200, &rep)
	if rep.Workflows.Succeeded < 2 || rep.Workflows.ResolvedByWorkflows != 1 || rep.Workflows.ResolvedByPeople != 0 {
		t.Fatalf("report: %+v", rep)
	}
	var list struct{ Runs []json.RawMessage }
	e.call("GET", fmt.Sprintf("/api/v1/runs?status=succeeded&conversation_id=%d", conv), nil, 200, &list)
	if len(list.Runs) < 1 {
		t.Fatalf("runs of the conversation: %d", len(list.Runs))
	}
}
