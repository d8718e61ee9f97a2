package flow

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/approval"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

const refund = `
name: Missing refund
trigger: {event: manual}
steps:
  - id: refund
    kind: http
    method: POST
    url: "{{ input.shop }}/refunds"
    body: {order_id: "{{ input.order_id }}", amount: "{{ input.amount }}"}
    approve:
      amount: "{{ input.amount }}"
      currency: EUR
      text: "Refund {{ input.amount }} EUR for order {{ input.order_id }}"
    keep: {id: refund_id}
  - id: tell
    kind: note
    text: "Refund {{ steps.refund.id }} made."
`

// TestApprovalGatesRiskyCall: a refund under the policy's amount is made
// at once; one above it waits for a person, and is made when approved,
// or ends the run with the approver's note when rejected. Nothing reaches
// the shop before the approval.
func TestApprovalGatesRiskyCall(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		r := newRig(t, dialect)
		ctx := context.Background()
		approvals := approval.New(r.db, r.engine.Inbox)
		r.engine.RegisterApprovals(approvals)
		var admin parley.Agent
		if err := r.db.Write(ctx, func(tx *store.Tx) error {
			admin = parley.Agent{Email: "lead@example.com", Name: "Lead", Role: parley.RoleAdmin}
			return tx.CreateAgent(&admin, "!")
		}); err != nil {
			t.Fatal(err)
		}
		lead := inbox.Actor{AgentID: &admin.ID, Role: parley.RoleAdmin}
		if _, err := approvals.CreatePolicy(ctx, inbox.System, parley.ApprovalPolicy{Name: "Big refunds",
			Condition: `action == "flow.step" && amount > 100`, Enabled: true}); err != nil {
			t.Fatal(err)
		}
		r.run(t)

		small := waitRun(t, r.db, r.start(t, refund, "t/small", map[string]any{"order_id": "A1003", "amount": 35}).ID)
		if small.Status != "succeeded" || r.shop.Counts().Refunds != 1 {
			t.Fatalf("a small refund: %+v, shop %+v", small, r.shop.Counts())
		}

		big := r.start(t, refund, "t/big", map[string]any{"order_id": "A1002", "amount": 249})
		pending := waitApproval(t, approvals, lead)
		if got, _ := r.db.FlowRun(ctx, big.ID); got.Status != "running" || r.shop.Counts().Refunds != 1 {
			t.Fatalf("before approval: %+v, shop %+v", got, r.shop.Counts())
		}
		var p stepApproval
		if err := json.Unmarshal(pending.Payload, &p); err != nil || p.Text != "Refund 249 EUR for order A1002" || p.Request.Key == "" {
			t.Fatalf("the request shows %s: %v", pending.Payload, err)
		}
		if _, err := approvals.Approve(ctx, lead, pending.ID, "ok, damaged twice"); err != nil {
			t.Fatal(err)
		}
		if got := waitRun(t, r.db, big.ID); got.Status != "succeeded" || r.shop.Counts().Refunds != 2 {
			t.Fatalf("after approval: %+v, shop %+v", got, r.shop.Counts())
		}

		no := r.start(t, refund, "t/no", map[string]any{"order_id": "A1002", "amount": 200})
		pending = waitApproval(t, approvals, lead)
		if _, err := approvals.Reject(ctx, lead, pending.ID, "the parcel was never returned"); err != nil {
			t.Fatal(err)
		}
		got := waitRun(t, r.db, no.ID) // the rejection woke it
		if got.Status != "failed" || !strings.Contains(got.Error, "the parcel was never returned") || r.shop.Counts().Refunds != 2 {
			t.Fatalf("after rejection: %+v, shop %+v", got, r.shop.Counts())
		}
	})
}

func waitApproval(t *testing.T, a *approval.Service, who inbox.Actor) parley.ApprovalRequest {
	t.Helper()
	for range 500 {
		list, err := a.List(context.Background(), who, store.ApprovalFilter{State: parley.ApprovalPending})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 1 {
			return list[0]
		}
		if len(list) > 1 {
			t.Fatalf("%d pending requests", len(list))
		}
		waitABit()
	}
	t.Fatal("no approval request")
	return parley.ApprovalRequest{}
}

func waitABit() { <-time.After(10 * time.Millisecond) }

// TestApprovalEscalates: a request no one decides within escalate.after
// is handed to the named agent as well (a supervisor no policy names),
// who may then approve it; the timeline says so, and the run goes on.
// Before the escalation that agent may not decide.
func TestApprovalEscalates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		r := newRig(t, dialect)
		ctx := context.Background()
		approvals := approval.New(r.db, r.engine.Inbox)
		r.engine.RegisterApprovals(approvals)
		var admin, lead parley.Agent
		if err := r.db.Write(ctx, func(tx *store.Tx) error {
			admin = parley.Agent{Email: "owner@example.com", Name: "Owner", Role: parley.RoleAdmin, Active: true}
			lead = parley.Agent{Email: "lead@example.com", Name: "Lead", Role: parley.RoleAgent, Active: true}
			if err := tx.CreateAgent(&admin, "!"); err != nil {
				return err
			}
			return tx.CreateAgent(&lead, "!")
		}); err != nil {
			t.Fatal(err)
		}
		leadActor := inbox.Actor{AgentID: &lead.ID, Role: parley.RoleAgent}
		if _, err := approvals.CreatePolicy(ctx, inbox.System, parley.ApprovalPolicy{Name: "Big refunds",
			Condition: `action == "flow.step" && amount > 100`, Enabled: true}); err != nil {
			t.Fatal(err)
		}
		doc := strings.Replace(refund, "      text: \"Refund", "      escalate: {after: 1s, to: lead@example.com}\n      text: \"Refund", 1)
		r.run(t)
		run := r.start(t, doc, "t/esc", map[string]any{"order_id": "A1002", "amount": 249})
		pending := waitApproval(t, approvals, inbox.Actor{AgentID: &admin.ID, Role: parley.RoleAdmin})
		if ok, _ := approvals.IsApprover(ctx, leadActor); ok {
			t.Fatal("the lead is an approver before the escalation")
		}
		if _, err := approvals.Approve(ctx, leadActor, pending.ID, "too early"); parley.ErrorCode(err) != parley.EFORBIDDEN {
			t.Fatalf("the lead approving before the escalation: %v", err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			got, _ := r.db.ApprovalRequest(ctx, pending.ID)
			if approval.CanApprove(leadActor, got) {
				if !approval.CanApprove(inbox.Actor{AgentID: &admin.ID, Role: parley.RoleAdmin}, got) {
					t.Fatalf("the escalation left out the admins: %v", got.ApproverIDs)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("not escalated: %+v", got)
			}
			waitABit()
		}
		if ok, _ := approvals.IsApprover(ctx, leadActor); !ok {
			t.Fatal("the lead does not see the request as theirs to decide")
		}
		if _, err := approvals.Approve(ctx, leadActor, pending.ID, "go ahead"); err != nil {
			t.Fatal(err)
		}
		if got := waitRun(t, r.db, run.ID); got.Status != "succeeded" || r.shop.Counts().Refunds != 1 {
			t.Fatalf("after the lead's approval: %+v, shop %+v", got, r.shop.Counts())
		}
		events, _ := r.db.Events(ctx, 0, 1000)
		found := false
		for _, ev := range events {
			found = found || ev.Type == parley.EventFlowStep && strings.Contains(string(ev.Data), "no decision in 1s; escalated to lead@example.com")
		}
		if !found {
			t.Fatal("the timeline does not show the escalation")
		}
	})
}

// TestDraftWaitsForAPerson: a draft step's reply is held for a person
// with no policy asking for it; nothing reaches the customer until an
// admin approves it, and then exactly that text does.
func TestDraftWaitsForAPerson(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		r := newRig(t, dialect)
		ctx := context.Background()
		approvals := approval.New(r.db, r.engine.Inbox)
		r.engine.RegisterApprovals(approvals)
		var admin parley.Agent
		if err := r.db.Write(ctx, func(tx *store.Tx) error {
			admin = parley.Agent{Email: "lead@example.com", Name: "Lead", Role: parley.RoleAdmin, Active: true}
			return tx.CreateAgent(&admin, "!")
		}); err != nil {
			t.Fatal(err)
		}
		r.run(t)
		doc := "name: Draft\ntrigger: {event: manual}\nsteps:\n  - {id: answer, kind: draft, text: \"Your refund for {{ input.order_id }} left today.\"}\n"
		before, _ := r.db.Messages(ctx, []int64{r.conv})
		run := waitRun(t, r.db, r.start(t, doc, "t/draft", map[string]any{"order_id": "A1002"}).ID)
		if run.Status != "succeeded" {
			t.Fatalf("run %+v", run)
		}
		lead := inbox.Actor{AgentID: &admin.ID, Role: parley.RoleAdmin}
		pending := waitApproval(t, approvals, lead)
		if after, _ := r.db.Messages(ctx, []int64{r.conv}); len(after) != len(before) {
			t.Fatalf("a draft reached the conversation before anyone approved it: %+v", after[len(after)-1])
		}
		if !strings.Contains(pending.Reason, "drafted by the workflow Draft") || !strings.Contains(string(pending.Payload), "Your refund for A1002 left today.") {
			t.Fatalf("the request: %+v %s", pending, pending.Payload)
		}
		if _, err := approvals.Approve(ctx, lead, pending.ID, ""); err != nil {
			t.Fatal(err)
		}
		after, _ := r.db.Messages(ctx, []int64{r.conv})
		if last := after[len(after)-1]; last.Direction != parley.Outgoing || last.Text != "Your refund for A1002 left today." {
			t.Fatalf("after approval: %+v", last)
		}
	})
}
