package flow

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

const onBroken = `
name: Broken on arrival
trigger:
  event: message.created
  when: input.message.lower contains "broken"
steps:
  - id: tell
    kind: note
    text: "Customer reports a broken item: {{ input.message.text }}"
`

// TestTriggerOncePerEvent: a customer's message that matches starts one
// run, however often the log is read; one that does not match starts
// none, and the run's own note (not a customer's message) starts nothing.
func TestTriggerOncePerEvent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		r := newRig(t, dialect)
		ctx := context.Background()
		w, err := r.engine.Save(ctx, onBroken)
		if err != nil {
			t.Fatal(err)
		}
		c := r.engine.Triggers()
		if err := c.Drain(ctx); err != nil { // first run: the cursor goes to the end
			t.Fatal(err)
		}
		svc := r.engine.Inbox
		in, err := svc.CreateInbox(ctx, inbox.System, parley.Inbox{Name: "Shop", ChannelType: parley.ChannelAPI}, nil)
		if err != nil {
			t.Fatal(err)
		}
		say := func(text string) inbox.Received {
			got, err := svc.Receive(ctx, in.ID, inbox.Incoming{Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "cust-1"}, Text: text})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		got := say("Hello, my blender arrived BROKEN.")
		say("Also, thanks for the quick delivery")
		for range 3 {
			if err := c.Drain(ctx); err != nil {
				t.Fatal(err)
			}
		}
		runs, err := r.db.FlowRuns(ctx, store.FlowRunFilter{WorkflowID: w.ID})
		if err != nil || len(runs) != 1 {
			t.Fatalf("runs: %+v %v", runs, err)
		}
		if runs[0].ConversationID == nil || *runs[0].ConversationID != got.ConversationID {
			t.Fatalf("the run's conversation: %+v", runs[0])
		}
		r.run(t)
		done := waitRun(t, r.db, runs[0].ID)
		if done.Status != "succeeded" {
			t.Fatalf("run: %+v", done)
		}
		if err := c.Drain(ctx); err != nil { // the note's event
			t.Fatal(err)
		}
		if runs, _ = r.db.FlowRuns(ctx, store.FlowRunFilter{WorkflowID: w.ID}); len(runs) != 1 {
			t.Fatalf("the workflow's own note started a run: %d runs", len(runs))
		}
		// A disabled workflow starts nothing.
		if err := r.db.Write(ctx, func(tx *store.Tx) error { return tx.SetWorkflowEnabled(w.ID, false) }); err != nil {
			t.Fatal(err)
		}
		say("It is broken again")
		if err := c.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		if runs, _ = r.db.FlowRuns(ctx, store.FlowRunFilter{WorkflowID: w.ID}); len(runs) != 1 {
			t.Fatalf("a disabled workflow started a run: %d runs", len(runs))
		}
	})
}

// TestInboundEvent: an event from the business's systems starts the
// workflows waiting for it, once per key.
func TestInboundEvent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		r := newRig(t, dialect)
		ctx := context.Background()
		doc := `
name: Delivered
trigger: {event: "inbound:order.delivered", when: '(input.event.data.order_id ?? "") != ""'}
steps:
  - id: remember
    kind: set
    values: {order: "{{ input.event.data.order_id }}"}
`
		if _, err := r.engine.Save(ctx, doc); err != nil {
			t.Fatal(err)
		}
		data := map[string]any{"order_id": "A1001"}
		a, err := r.engine.Inbound(ctx, "order.delivered", "evt-1", data, nil)
		if err != nil || len(a) != 1 {
			t.Fatalf("first: %+v %v", a, err)
		}
		b, err := r.engine.Inbound(ctx, "order.delivered", "evt-1", data, nil)
		if err != nil || len(b) != 1 || b[0].ID != a[0].ID {
			t.Fatalf("a retry started another run: %+v %v", b, err)
		}
		if none, err := r.engine.Inbound(ctx, "order.delivered", "evt-2", map[string]any{}, nil); err != nil || len(none) != 0 {
			t.Fatalf("the condition did not hold, yet: %+v %v", none, err)
		}
		if _, err := r.engine.Inbound(ctx, "Order Delivered!", "evt-3", nil, nil); parley.ErrorCode(err) != parley.EINVALID {
			t.Fatalf("a bad name: %v", err)
		}
		r.run(t)
		if got := waitRun(t, r.db, a[0].ID); got.Status != "succeeded" {
			t.Fatalf("run %+v", got)
		}
	})
}

// TestWaitForReply: a run waits for the customer's reply; when they write,
// the trigger consumer wakes it and the next step sees their words. A run
// whose customer stays silent goes on when the wait ends.
func TestWaitForReply(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		r := newRig(t, dialect)
		ctx := context.Background()
		svc := r.engine.Inbox
		in, err := svc.CreateInbox(ctx, inbox.System, parley.Inbox{Name: "Shop", ChannelType: parley.ChannelAPI}, nil)
		if err != nil {
			t.Fatal(err)
		}
		say := func(text string) inbox.Received {
			got, err := svc.Receive(ctx, in.ID, inbox.Incoming{Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "c-wait"}, Text: text})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		conv := say("Hello").ConversationID
		doc := `
name: Ask first
trigger: {event: manual}
steps:
  - {id: ask, kind: reply, text: "Which order is it about?"}
  - {id: answer, kind: wait, until: reply, for: 1h}
  - {id: tell, kind: note, text: "They said: {{ steps.answer.text }}"}
`
		w, err := r.engine.Save(ctx, doc)
		if err != nil {
			t.Fatal(err)
		}
		c := r.engine.Triggers()
		if err := c.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		run, _, err := r.engine.Start(ctx, w.ID, "t/ask", nil, &conv)
		if err != nil {
			t.Fatal(err)
		}
		r.run(t)
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			steps, _ := r.db.FlowSteps(ctx, run.ID)
			if len(steps) == 2 && steps[1].State == "started" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("not waiting: %+v", steps)
			}
		}
		say("Order A1001, the blender")
		if err := c.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		if got := waitRun(t, r.db, run.ID); got.Status != "succeeded" {
			t.Fatalf("run %+v", got)
		}
		msgs, _ := r.db.Messages(ctx, []int64{conv})
		if last := msgs[len(msgs)-1]; last.Text != "They said: Order A1001, the blender" {
			t.Fatalf("the note: %q", last.Text)
		}
	})
}

// TestSchedule: a workflow on a schedule starts one run per period,
// however often it is looked at, and the next when the next period comes.
func TestSchedule(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		r := newRig(t, dialect)
		ctx := context.Background()
		now := time.Date(2026, 12, 6, 10, 20, 0, 0, time.UTC)
		r.db.Now = func() time.Time { return now }
		w, err := r.engine.Save(ctx, "name: Hourly\ntrigger: {event: schedule, every: 1h}\nsteps:\n  - {id: s, kind: set, values: {at: \"{{ input.event.period_start }}\"}}\n")
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if _, err := r.engine.StartScheduled(ctx); err != nil {
				t.Fatal(err)
			}
		}
		runs, _ := r.db.FlowRuns(ctx, store.FlowRunFilter{WorkflowID: w.ID})
		if len(runs) != 1 || !strings.Contains(runs[0].Vars, "2026-12-06T10:00:00Z") {
			t.Fatalf("first period: %+v", runs)
		}
		now = now.Add(45 * time.Minute) // 11:05: the next period
		if n, err := r.engine.StartScheduled(ctx); err != nil || n != 1 {
			t.Fatalf("next period: %d %v", n, err)
		}
		if _, err := Parse("name: x\ntrigger: {event: schedule}\nsteps:\n  - {id: s, kind: set, values: {a: b}}\n"); err == nil || !strings.Contains(err.Error(), "trigger.every") {
			t.Fatalf("a schedule without every: %v", err)
		}
	})
}
