package api_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/parleyhq/parley/internal/approval"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// approvalJSON is the answer of the approval routes.
type approvalJSON struct {
	Approval parley.ApprovalRequest `json:"approval"`
	Audit    []parley.ApprovalAudit `json:"audit"`
}

// deliverJobs counts the jobs that would deliver a reply (webhook.deliver
// on an API inbox with a webhook; channel.send on a provider's).
func (e *env) deliverJobs() int {
	e.t.Helper()
	var out struct{ Jobs []store.Job }
	e.call("GET", "/api/v1/jobs?limit=500", nil, 200, &out)
	n := 0
	for _, j := range out.Jobs {
		if j.Kind == inbox.JobWebhookDeliver || j.Kind == inbox.JobChannelSend {
			n++
		}
	}
	return n
}

func outgoing(list []parley.Message) []parley.Message {
	var out []parley.Message
	for _, m := range list {
		if m.Direction == parley.Outgoing {
			out = append(out, m)
		}
	}
	return out
}

// testApprovals: a reply committing a refund above the policy is held (202,
// no message, no delivery job) until an admin approves it; then exactly
// one message is sent, as the agent who wrote it, and the log names the
// approver. The asker cannot approve; a rejection returns the text with
// a note; a conversation that changed voids the approval (409); two
// approvals at once send one message; a bad condition stores nothing.
func testApprovals(t *testing.T, dialect string) {
	e := start(t, dialect)
	hook := newHookServer(t)
	in := e.createInbox(map[string]any{"name": "Hooked", "webhook_url": hook.URL + "/parley"})
	asker, askerTok := e.agentToken("asker@example.com", parley.RoleAgent)
	boss, bossTok := e.agentToken("boss@example.com", parley.RoleAdmin)
	other, otherTok := e.agentToken("other@example.com", parley.RoleAgent)

	// Policies: only admins write them; a bad condition is refused with
	// the compiler's message and nothing is stored.
	before := e.snapshot()
	for _, bad := range []struct{ cond, want string }{
		{`amount >`, "unexpected token"},
		{`refund > 100`, "unknown name refund"},
		{`amount > "100"`, "invalid operation"},
		{`amount`, "expected bool"},
	} {
		r := e.send("POST", "/api/v1/approval-policies", nil, map[string]any{"name": "Bad", "condition": bad.cond}, "")
		if r.status != 400 || !strings.Contains(string(r.body), bad.want) {
			t.Errorf("bad condition %q = %s, want 400 with %q", bad.cond, r, bad.want)
		}
	}
	if r := e.send("POST", "/api/v1/approval-policies", nil, map[string]any{"name": "X", "condition": "amount > 1"}, askerTok); r.status != 403 {
		t.Errorf("agent creates a policy = %s", r)
	}
	if r := e.send("POST", "/api/v1/approval-policies", nil, map[string]any{"name": "X", "condition": "amount > 1", "approver_ids": []int64{99999}}, ""); r.status != 400 {
		t.Errorf("unknown approver = %s", r)
	}
	var list struct {
		Policies  []parley.ApprovalPolicy `json:"approval_policies"`
		Variables []approval.Variable     `json:"variables"`
	}
	e.call("GET", "/api/v1/approval-policies", nil, 200, &list)
	if len(list.Policies) != 0 || len(list.Variables) != 10 || list.Variables[1].Name != "amount" || list.Variables[1].About == "" {
		t.Fatalf("after refusals: %+v", list)
	}
	if after := e.snapshot(); after != before {
		t.Errorf("refused policies changed the store: %+v → %+v", before, after)
	}
	var policy parley.ApprovalPolicy
	e.call("POST", "/api/v1/approval-policies", map[string]any{"name": "Large refunds", "condition": `action == "reply" && amount > 100`}, 201, &policy)
	if !policy.Enabled || policy.InboxID != nil || len(policy.ApproverIDs) != 0 {
		t.Fatalf("created policy %+v", policy)
	}
	policyPath := fmt.Sprintf("/api/v1/approval-policies/%d", policy.ID)
	if r := e.send("PATCH", policyPath, nil, map[string]any{"condition": "amount >>> 1"}, ""); r.status != 400 {
		t.Errorf("patch with a bad condition = %s", r)
	}
	if r := e.send("PATCH", policyPath, nil, map[string]any{"enabled": false}, askerTok); r.status != 403 {
		t.Errorf("agent patches a policy = %s", r)
	}

	conv := e.say(in.ID, "cust-1", "The parcel never came, I want my money back").ConversationID
	base := fmt.Sprintf("/api/v1/conversations/%d", conv)
	reply := func(text string, want int, out any) response {
		t.Helper()
		r := e.send("POST", base+"/messages", nil, map[string]any{"text": text}, askerTok)
		if r.status != want {
			t.Fatalf("reply %q = %s, want %d", text, r, want)
		}
		if out != nil {
			decodeInto(t, r, out)
		}
		return r
	}

	// Below the threshold, and notes whatever they say, go at once.
	var small parley.Message
	reply("So sorry! We will refund the 20 EUR shipping fee today.", 201, &small)
	e.call("POST", base+"/notes", map[string]any{"text": "Thinking of a refund of 900 EUR"}, 201, nil)
	e.waitDelivery(conv, small.ID, parley.DeliverySent)
	e.waitIdle()
	jobs0, sent0 := e.deliverJobs(), len(outgoing(e.messages(conv)))

	// Above it: held. No message, no delivery job, an approval.requested.
	seq := e.lastSeq()
	text := "I'm sorry for the trouble. We will refund 250.00 EUR to your card by Friday."
	var held approvalJSON
	reply(text, 202, &held)
	a := held.Approval
	if a.State != parley.ApprovalPending || a.Kind != "reply" || *a.RequestedBy != asker.ID || *a.ConversationID != conv ||
		a.Reason != "Large refunds: refund of 250.00 EUR > 100" || !strings.Contains(string(a.Payload), "250.00 EUR") || a.Binding == "" {
		t.Fatalf("held = %+v", a)
	}
	if n := len(outgoing(e.messages(conv))); n != sent0 {
		t.Fatalf("a held reply was stored: %d outgoing, want %d", n, sent0)
	}
	if n := e.deliverJobs(); n != jobs0 {
		t.Fatalf("a held reply queued a delivery: %d jobs, want %d", n, jobs0)
	}
	if evs := e.events(seq); len(evs) != 1 || evs[0].Type != parley.EventApprovalRequested || *evs[0].AgentID != asker.ID {
		t.Fatalf("events after a held reply = %+v", evs)
	}
	approvalPath := fmt.Sprintf("/api/v1/approvals/%d", a.ID)

	// Who sees and who decides.
	var queue struct{ Approvals []parley.ApprovalRequest }
	if r := e.send("GET", "/api/v1/approvals", nil, nil, askerTok); r.status != 200 {
		t.Fatalf("agent lists = %s", r)
	} else if decodeInto(t, r, &queue); len(queue.Approvals) != 1 || queue.Approvals[0].ID != a.ID {
		t.Errorf("agent's own queue = %+v", queue.Approvals)
	}
	decodeInto(t, e.send("GET", "/api/v1/approvals", nil, nil, otherTok), &queue)
	if len(queue.Approvals) != 0 {
		t.Errorf("another agent sees %+v", queue.Approvals)
	}
	if r := e.send("GET", approvalPath, nil, nil, otherTok); r.status != 404 {
		t.Errorf("another agent reads the request = %s", r)
	}
	if r := e.send("POST", approvalPath+"/approve", nil, nil, askerTok); r.status != 403 || !strings.Contains(string(r.body), "someone else") {
		t.Errorf("self-approval = %s", r)
	}
	if r := e.send("POST", approvalPath+"/approve", nil, nil, otherTok); r.status != 403 {
		t.Errorf("an agent who is no approver approves = %s", r)
	}
	if n := len(outgoing(e.messages(conv))); n != sent0 {
		t.Fatalf("refused approvals sent something")
	}

	// The admin approves: one message, as the asker, delivered once; the
	// event names the approver and the message.
	seq = e.lastSeq()
	var done approvalJSON
	if r := e.send("POST", approvalPath+"/approve", nil, map[string]any{"note": "ok, carrier lost it"}, bossTok); r.status != 200 {
		t.Fatalf("approve = %s", r)
	} else {
		decodeInto(t, r, &done)
	}
	if done.Approval.State != parley.ApprovalApproved || *done.Approval.DecidedBy != boss.ID || done.Approval.ResultMessage == nil {
		t.Fatalf("approved = %+v", done.Approval)
	}
	sent := e.waitDelivery(conv, *done.Approval.ResultMessage, parley.DeliverySent)
	if sent.Text != text || sent.AuthorAgentID == nil || *sent.AuthorAgentID != asker.ID {
		t.Errorf("sent = %+v", sent)
	}
	e.waitIdle()
	if n := len(outgoing(e.messages(conv))); n != sent0+1 {
		t.Errorf("%d outgoing after approval, want %d", n, sent0+1)
	}
	if n := e.deliverJobs(); n != jobs0+1 {
		t.Errorf("%d delivery jobs after approval, want %d", n, jobs0+1)
	}
	if got := hook.forMessage(t, sent.ID); len(got) != 1 || got[0].Message.Text != text {
		t.Errorf("webhook deliveries of the approved reply: %+v", got)
	}
	var approvedEv *parley.Event
	for _, ev := range e.events(seq) {
		if ev.Type == parley.EventApprovalApproved {
			approvedEv = &ev
		}
	}
	if approvedEv == nil || *approvedEv.AgentID != boss.ID || *approvedEv.MessageID != sent.ID {
		t.Errorf("approval.approved event = %+v", approvedEv)
	}
	if r := e.send("POST", approvalPath+"/approve", nil, nil, ""); r.status != 409 {
		t.Errorf("second approval = %s", r)
	}
	var got approvalJSON
	e.call("GET", approvalPath, nil, 200, &got)
	if len(got.Audit) != 2 || got.Audit[1].To != parley.ApprovalApproved || *got.Audit[1].AgentID != boss.ID || got.Audit[1].Note != "ok, carrier lost it" {
		t.Errorf("audit = %+v", got.Audit)
	}

	// Reject: a note is required; the agent reads it with their text.
	var second approvalJSON
	reply("Nous vous remboursons 180,00 € aujourd'hui.", 202, &second)
	rejectPath := fmt.Sprintf("/api/v1/approvals/%d/reject", second.Approval.ID)
	if r := e.send("POST", rejectPath, nil, map[string]any{"note": "  "}, bossTok); r.status != 400 {
		t.Errorf("reject without a note = %s", r)
	}
	e.call("POST", rejectPath, map[string]any{"note": "Offer a replacement first."}, 200, nil)
	decodeInto(t, e.send("GET", "/api/v1/approvals?state=rejected", nil, nil, askerTok), &queue)
	if len(queue.Approvals) != 1 ||
		queue.Approvals[0].Note != "Offer a replacement first." || !strings.Contains(string(queue.Approvals[0].Payload), "180,00 €") {
		t.Errorf("agent's rejected requests = %+v", queue.Approvals)
	}
	if r := e.send("POST", fmt.Sprintf("/api/v1/approvals/%d/approve", second.Approval.ID), nil, nil, bossTok); r.status != 409 {
		t.Errorf("approving a rejected request = %s", r)
	}

	// The conversation changes before the approval: refused, nothing sent,
	// and the request goes back to the agent.
	var stale approvalJSON
	reply("Le devolveremos 300 € mañana.", 202, &stale)
	e.say(in.ID, "cust-1", "Actually it just arrived!")
	count := len(outgoing(e.messages(conv)))
	r := e.send("POST", fmt.Sprintf("/api/v1/approvals/%d/approve", stale.Approval.ID), nil, nil, bossTok)
	if r.status != 409 || !strings.Contains(string(r.body), "new message arrived") {
		t.Errorf("approval after a new message = %s", r)
	}
	if n := len(outgoing(e.messages(conv))); n != count {
		t.Errorf("a stale approval sent a message")
	}
	e.call("GET", fmt.Sprintf("/api/v1/approvals/%d", stale.Approval.ID), nil, 200, &got)
	if got.Approval.State != parley.ApprovalCancelled || !strings.Contains(got.Approval.Note, "new message arrived") {
		t.Errorf("stale request = %+v", got.Approval)
	}

	// Two approvers at once: one message.
	var race approvalJSON
	reply("We will refund $400 now.", 202, &race)
	count = len(outgoing(e.messages(conv)))
	var wg sync.WaitGroup
	statuses := make([]int, 4)
	for i, tok := range []string{bossTok, "", bossTok, ""} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = e.send("POST", fmt.Sprintf("/api/v1/approvals/%d/approve", race.Approval.ID), nil, nil, tok).status
		}()
	}
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		switch s {
		case 200:
			ok++
		case 409:
		default:
			t.Errorf("concurrent approval answered %d", s)
		}
	}
	if n := len(outgoing(e.messages(conv))); ok != 1 || n != count+1 {
		t.Errorf("concurrent approvals: %d won, %d messages sent (want 1, 1)", ok, n-count)
	}

	// A policy naming its approvers: only they decide.
	e.call("PATCH", policyPath, map[string]any{"approver_ids": []int64{other.ID}}, 200, nil)
	var named approvalJSON
	reply("We'll refund 150 USD.", 202, &named)
	namedPath := fmt.Sprintf("/api/v1/approvals/%d", named.Approval.ID)
	if r := e.send("POST", namedPath+"/reject", nil, map[string]any{"note": "no"}, bossTok); r.status != 403 {
		t.Errorf("admin decides a request naming another approver = %s", r)
	}
	decodeInto(t, e.send("GET", "/api/v1/approvals", nil, nil, otherTok), &queue)
	if len(queue.Approvals) != 1 {
		t.Errorf("named approver's queue = %+v", queue.Approvals)
	}
	if r := e.send("POST", namedPath+"/approve", nil, nil, otherTok); r.status != 200 {
		t.Errorf("named approver approves = %s", r)
	}

	// Disabled, then deleted: replies go at once.
	e.call("PATCH", policyPath, map[string]any{"enabled": false}, 200, nil)
	reply("We will refund 999 EUR.", 201, nil)
	e.call("DELETE", policyPath, nil, 204, nil)
	if r := e.send("DELETE", policyPath, nil, nil, ""); r.status != 404 {
		t.Errorf("deleting twice = %s", r)
	}
}
