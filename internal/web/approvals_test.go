package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestApprovalPages: Settings → Approval policies refuses a bad condition
// inline and stores nothing; a composer reply above the policy is held
// (banner, no message); the owner sees the count and the queue, the agent
// cannot decide their own; a rejection needs a note and puts the text
// back on the agent's conversation with an "edit" button; approving from
// the queue sends the reply.
func TestApprovalPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		owner, agent := e.login("owner@example.com"), e.login("agent@example.com")
		conv := fmt.Sprintf("/app/conversations/%d", e.convID)

		if s, _ := agent.get("/app/admin/approvals"); s != 403 {
			t.Errorf("agent opens approval policies = %d", s)
		}
		s, body := owner.post("/app/admin/approvals", url.Values{"name": {"Big refunds"}, "condition": {"amount >> 100"}, "enabled": {"on"}})
		if s != 400 || !strings.Contains(body, `data-testid="approval-policy-error"`) || !strings.Contains(body, "amount &gt;&gt; 100") {
			t.Fatalf("bad condition = %d %.300s", s, body)
		}
		if list, _ := e.App.DB.ApprovalPolicies(bg); len(list) != 0 {
			t.Fatalf("a refused policy was stored: %+v", list)
		}
		if s, _ := owner.post("/app/admin/approvals", url.Values{"name": {"Big refunds"}, "condition": {`action == "reply" && amount > 100`}, "enabled": {"on"}}); s != 303 {
			t.Fatalf("create policy = %d", s)
		}
		if _, body := owner.get("/app/admin/approvals"); !strings.Contains(body, "Big refunds") || !strings.Contains(body, `data-testid="approval-variables"`) {
			t.Errorf("policies page lacks the policy or the variables")
		}

		// The agent's refund reply waits: a banner, no message.
		text := "Sorry Ana! We will refund $180.00 to your card today."
		s, body, _ = agent.do("POST", conv+"/reply", url.Values{"text": {text}}, true)
		if s != 200 || !strings.Contains(body, "Waiting for approval by an owner or admin") || !strings.Contains(body, "refund of 180.00 USD &gt; 100") {
			t.Fatalf("held reply = %d %.500s", s, body)
		}
		for _, m := range e.messages(e.convID) {
			if m.Direction == parley.Outgoing {
				t.Fatalf("a held reply was sent: %+v", m)
			}
		}
		// Notes never wait.
		if s, _, _ := agent.do("POST", conv+"/reply", url.Values{"text": {"refund 900 USD?"}, "kind": {"note"}}, true); s != 200 {
			t.Errorf("note = %d", s)
		}

		_, body = owner.get("/app/")
		if !strings.Contains(body, `data-testid="nav-approvals"`) || !strings.Contains(body, `data-testid="pending-approvals">1<`) {
			t.Errorf("owner's top bar lacks the pending count")
		}
		if _, body := agent.get("/app/"); strings.Contains(body, `data-testid="nav-approvals"`) {
			t.Errorf("an agent who approves nothing sees the queue link")
		}
		_, body = owner.get("/app/approvals")
		if !strings.Contains(body, text) || !strings.Contains(body, "Andy Agent") || !strings.Contains(body, `data-testid="approve">Approve and send<`) {
			t.Fatalf("queue = %.800s", body)
		}
		pending, _ := e.App.DB.ApprovalRequests(bg, store.ApprovalFilter{State: parley.ApprovalPending})
		if len(pending) != 1 {
			t.Fatalf("pending = %+v", pending)
		}
		id := pending[0].ID
		if _, body := agent.get("/app/approvals"); strings.Contains(body, `data-testid="approve"`) || !strings.Contains(body, text) {
			t.Errorf("the asker can decide, or does not see, their request")
		}
		if s, body := agent.post(fmt.Sprintf("/app/approvals/%d/approve", id), url.Values{}); s != 403 || !strings.Contains(body, "someone else") {
			t.Errorf("self-approval = %d", s)
		}

		// Reject: a note is needed; the agent gets the text back.
		if s, body := owner.post(fmt.Sprintf("/app/approvals/%d/reject", id), url.Values{"note": {""}}); s != 400 || !strings.Contains(body, "needs a note") {
			t.Errorf("reject without a note = %d", s)
		}
		if s, _ := owner.post(fmt.Sprintf("/app/approvals/%d/reject", id), url.Values{"note": {"Offer a replacement first."}}); s != 303 {
			t.Fatalf("reject = %d", s)
		}
		_, body = agent.get(conv)
		if !strings.Contains(body, "Not approved by Olivia Owner") || !strings.Contains(body, "Offer a replacement first.") ||
			!strings.Contains(body, `data-testid="restore-draft"`) || !strings.Contains(body, `data-text="Sorry Ana! We will refund $180.00 to your card today."`) {
			t.Fatalf("rejected banner missing: %.300s", body[strings.Index(body, `id="timeline"`):])
		}

		// Again, approved from the queue: sent as the agent.
		agent.do("POST", conv+"/reply", url.Values{"text": {text}}, true)
		pending, _ = e.App.DB.ApprovalRequests(bg, store.ApprovalFilter{State: parley.ApprovalPending})
		if len(pending) != 1 {
			t.Fatalf("pending after resend = %+v", pending)
		}
		if s, _ := owner.post(fmt.Sprintf("/app/approvals/%d/approve", pending[0].ID), url.Values{}); s != 303 {
			t.Fatalf("approve = %d", s)
		}
		var sent []parley.Message
		for _, m := range e.messages(e.convID) {
			if m.Direction == parley.Outgoing {
				sent = append(sent, m)
			}
		}
		if len(sent) != 1 || sent[0].Text != text || *sent[0].AuthorAgentID != e.agentID {
			t.Fatalf("sent = %+v", sent)
		}
		_, body = agent.get(conv)
		if strings.Contains(body, `data-testid="approval-banner"`) {
			t.Errorf("a banner stays after the reply was sent")
		}
		// The timeline says who approved it, and who sent the first back.
		if !strings.Contains(body, "Reply approved by Olivia Owner (Big refunds: refund of 180.00 USD &gt; 100)") ||
			!strings.Contains(body, "Reply sent back by Olivia Owner: Offer a replacement first.") {
			t.Errorf("timeline lacks the approval lines: %.1500s", body[strings.Index(body, `id="timeline"`):])
		}
	})
}

// TestApprovalChannelSend: on a WhatsApp inbox a held reply queues no
// channel.send job and reaches no provider; once approved, exactly one
// job sends it, once, to WhatsApp.
func TestApprovalChannelSend(t *testing.T) {
	e, conv, _, _, waFake, _ := channelEnv(t)
	if _, err := e.App.Approvals.CreatePolicy(bg, inbox.System, parley.ApprovalPolicy{Name: "Refunds",
		Condition: `amount > 100 && channel == "whatsapp"`, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	sends := func() int {
		jobs, err := e.App.DB.Jobs(bg, "", 500)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, j := range jobs {
			if j.Kind == inbox.JobChannelSend {
				n++
			}
		}
		return n
	}
	agent, owner := e.login("agent@example.com"), e.login("owner@example.com")
	text := "Hi Ben, we will refund USD 120 for the lost parcel today."
	if s, body, _ := agent.do("POST", fmt.Sprintf("/app/conversations/%d/reply", conv), url.Values{"text": {text}}, true); s != 200 ||
		!strings.Contains(body, "Waiting for approval") {
		t.Fatalf("held reply = %d %.300s", s, body)
	}
	time.Sleep(200 * time.Millisecond)
	for _, r := range waFake.Requests() {
		if r.JSON["type"] != nil {
			t.Fatalf("the held reply reached WhatsApp: %v", r.JSON)
		}
	}
	if n := sends(); n != 0 {
		t.Fatalf("held reply: %d channel.send jobs", n)
	}
	pending, _ := e.App.DB.ApprovalRequests(bg, store.ApprovalFilter{State: parley.ApprovalPending})
	if len(pending) != 1 {
		t.Fatalf("pending = %+v", pending)
	}
	if s, _ := owner.post(fmt.Sprintf("/app/approvals/%d/approve", pending[0].ID), url.Values{}); s != 303 {
		t.Fatalf("approve = %d", s)
	}
	// Messages only: read receipts for the customer's message go too.
	messages := func() (out []string) {
		for _, r := range waFake.Requests() {
			if r.JSON["type"] != nil {
				out = append(out, fmt.Sprint(r.JSON))
			}
		}
		return out
	}
	for deadline := time.Now().Add(5 * time.Second); len(messages()) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
	}
	time.Sleep(200 * time.Millisecond)
	reqs := messages()
	if n := sends(); n != 1 || len(reqs) != 1 || !strings.Contains(reqs[0], "refund USD 120") {
		t.Fatalf("after approval: %d channel.send jobs, WhatsApp requests %+v", n, reqs)
	}
}
