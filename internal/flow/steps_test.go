package flow

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/llm"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/secret"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestReplyAndWait: a reply goes to the customer on the conversation's
// channel as Parley's own message; a wait holds the run until its time,
// kept in the database.
func TestReplyAndWait(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		r := newRig(t, dialect)
		doc := `
name: Reply later
trigger: {event: manual}
steps:
  - id: pause
    kind: wait
    for: 1s
  - id: answer
    kind: reply
    text: "Your return label for {{ input.order_id }} is on its way."
`
		begin := time.Now()
		run := r.start(t, doc, "t/reply", map[string]any{"order_id": "A1001"})
		r.run(t)
		got := waitRun(t, r.db, run.ID)
		if got.Status != "succeeded" {
			t.Fatalf("run %+v", got)
		}
		if took := time.Since(begin); took < time.Second {
			t.Fatalf("the run ended after %v, before its 1 s wait", took)
		}
		steps, _ := r.db.FlowSteps(context.Background(), run.ID)
		if len(steps) != 2 || steps[0].State != "done" || !strings.Contains(steps[0].Input, `"until"`) {
			t.Fatalf("steps %+v", steps)
		}
		msgs, _ := r.db.Messages(context.Background(), []int64{r.conv})
		last := msgs[len(msgs)-1]
		if last.Direction != parley.Outgoing || !last.Automated || last.Text != "Your return label for A1001 is on its way." {
			t.Fatalf("the reply: %+v", last)
		}
	})
}

// TestRetryAndCancel: a failed run is retried from its failed step with
// the same request; a waiting run is cancelled and does nothing more.
func TestRetryAndCancel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		r := newRig(t, dialect)
		ctx := context.Background()
		r.shop.FailNext("/returns", 400)
		r.run(t)
		run := waitRun(t, r.db, r.start(t, damaged, "t/retry", map[string]any{"order_id": "A1001"}).ID)
		if run.Status != "failed" || !strings.Contains(run.Error, "label") && !strings.Contains(run.Error, "/returns") {
			t.Fatalf("first try: %+v", run)
		}
		before, _ := r.db.FlowSteps(ctx, run.ID)
		if _, err := r.engine.Retry(ctx, run.ID, "an admin"); err != nil {
			t.Fatal(err)
		}
		if _, err := r.engine.Retry(ctx, run.ID, "an admin"); parley.ErrorCode(err) != parley.ECONFLICT {
			t.Fatalf("retrying a running run: %v", err)
		}
		run = waitRun(t, r.db, run.ID)
		after, _ := r.db.FlowSteps(ctx, run.ID)
		if run.Status != "succeeded" || r.shop.Counts().Labels != 1 {
			t.Fatalf("after retry: %+v, shop %+v", run, r.shop.Counts())
		}
		if before[3].Input != after[3].Input || after[3].Seq != before[3].Seq || after[3].State != "done" {
			t.Fatalf("the retried step: before %+v, after %+v", before[3], after[3])
		}

		waiting := r.start(t, "name: Later\ntrigger: {event: manual}\nsteps:\n  - {id: pause, kind: wait, for: 1h}\n  - {id: tell, kind: note, text: hi}\n", "t/cancel", map[string]any{})
		deadline := time.Now().Add(5 * time.Second)
		for {
			steps, _ := r.db.FlowSteps(ctx, waiting.ID)
			if len(steps) == 1 || time.Now().After(deadline) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		got, err := r.engine.Cancel(ctx, waiting.ID, "an admin")
		if err != nil || got.Status != "cancelled" || got.FinishedAt == nil {
			t.Fatalf("cancel: %+v %v", got, err)
		}
		if _, err := r.engine.Cancel(ctx, waiting.ID, "an admin"); parley.ErrorCode(err) != parley.ECONFLICT {
			t.Fatalf("cancelling twice: %v", err)
		}
	})
}

// TestSecretsInHeaders: a secret named in a header authenticates the call
// and is never stored with the run; it is sealed at rest; a missing one
// fails the step with its name; anywhere but a header it is refused on
// save.
func TestSecretsInHeaders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		r := newRig(t, dialect)
		ctx := context.Background()
		box, err := secret.New("a key for this test only, long enough")
		if err != nil {
			t.Fatal(err)
		}
		r.db.Secrets = box
		var seen atomic.Value
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			seen.Store(req.Header.Get("Authorization"))
			r.shop.ServeHTTP(w, req)
		}))
		t.Cleanup(srv.Close)
		doc := `
name: With a token
trigger: {event: manual}
steps:
  - id: label
    kind: http
    method: POST
    url: "{{ input.shop }}/returns"
    headers: {Authorization: "Bearer {{ secrets.shop_token }}", X-Order: "{{ input.order_id }}"}
    body: {order_id: "{{ input.order_id }}"}
`
		if err := r.engine.SetSecret(ctx, "shop_token", "s3cr3t-value"); err != nil {
			t.Fatal(err)
		}
		var raw string
		if ok, err := r.db.Setting(ctx, "flow.secrets", &raw); !ok || err != nil || !secret.IsSealed(raw) || strings.Contains(raw, "s3cr3t") {
			t.Fatalf("stored %q (%v %v): not sealed", raw, ok, err)
		}
		if names, _ := r.engine.SecretNames(ctx); len(names) != 1 || names[0] != "shop_token" {
			t.Fatalf("names %v", names)
		}
		r.run(t)
		w, err := r.engine.Save(ctx, doc)
		if err != nil {
			t.Fatal(err)
		}
		run, _, err := r.engine.Start(ctx, w.ID, "t/secret", map[string]any{"shop": srv.URL, "order_id": "A1001"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := waitRun(t, r.db, run.ID); got.Status != "succeeded" || seen.Load() != "Bearer s3cr3t-value" {
			t.Fatalf("run %+v, header %v", got, seen.Load())
		}
		steps, _ := r.db.FlowSteps(ctx, run.ID)
		if strings.Contains(steps[0].Input, "s3cr3t") || !strings.Contains(steps[0].Input, "secrets.shop_token") {
			t.Fatalf("the stored request: %s", steps[0].Input)
		}
		// A secret that is not saved: the step fails, naming it.
		if err := r.engine.SetSecret(ctx, "shop_token", ""); err != nil {
			t.Fatal(err)
		}
		run, _, _ = r.engine.Start(ctx, w.ID, "t/secret-2", map[string]any{"shop": srv.URL, "order_id": "A1001"}, nil)
		if got := waitRun(t, r.db, run.ID); got.Status != "failed" || !strings.Contains(got.Error, "secrets.shop_token, which is not saved") {
			t.Fatalf("without the secret: %+v", got)
		}
		// In a body (stored, shown) it is refused on save.
		if _, err := Parse(strings.Replace(doc, `body: {order_id: "{{ input.order_id }}"}`, `body: {token: "{{ secrets.shop_token }}"}`, 1)); err == nil ||
			!strings.Contains(err.Error(), "body.token") {
			t.Fatalf("a secret in a body: %v", err)
		}
	})
}

// TestUpdateStep: an update step labels the conversation (keeping the
// labels it had), raises its priority and sets its status, with the step.
func TestUpdateStep(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		r := newRig(t, dialect)
		ctx := context.Background()
		ch := inbox.Change{Labels: &[]string{"vip"}}
		if c, _ := r.db.Conversation(ctx, r.conv); c.Status != parley.StatusOpen {
			open := parley.StatusOpen
			ch.Status = &open // seeded conversations may be resolved: pending needs an open one
		}
		if _, err := r.engine.Inbox.Update(ctx, inbox.System, r.conv, ch); err != nil {
			t.Fatal(err)
		}
		r.run(t)
		doc := "name: Triage\ntrigger: {event: manual}\nsteps:\n  - {id: tag, kind: update, add_labels: [return, damaged], priority: high, status: pending}\n"
		if got := waitRun(t, r.db, r.start(t, doc, "t/update", map[string]any{}).ID); got.Status != "succeeded" {
			t.Fatalf("run %+v", got)
		}
		c, err := r.db.Conversation(ctx, r.conv)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(c.Labels, ",") != "damaged,return,vip" || c.Priority != parley.PriorityHigh || c.Status != parley.StatusPending {
			t.Fatalf("conversation %+v", c)
		}
		if _, err := Parse(strings.Replace(doc, "priority: high", "priority: extreme", 1)); err == nil || !strings.Contains(err.Error(), "priority") {
			t.Fatalf("a bad priority: %v", err)
		}
		// A team by name and an agent by email; an unknown one fails the step.
		team, err := r.engine.Inbox.CreateTeam(ctx, inbox.System, parley.Team{Name: "Returns"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var ana parley.Agent
		if err := r.db.Write(ctx, func(tx *store.Tx) error {
			ana = parley.Agent{Email: "ana@example.com", Name: "Ana", Role: parley.RoleAgent}
			return tx.CreateAgent(&ana, "!")
		}); err != nil {
			t.Fatal(err)
		}
		move := "name: Move\ntrigger: {event: manual}\nsteps:\n  - {id: move, kind: update, team: returns, assignee: ana@example.com}\n"
		if got := waitRun(t, r.db, r.start(t, move, "t/move", map[string]any{}).ID); got.Status != "succeeded" {
			t.Fatalf("move: %+v", got)
		}
		if c, _ = r.db.Conversation(ctx, r.conv); c.TeamID == nil || *c.TeamID != team.ID || c.AssigneeID == nil || *c.AssigneeID != ana.ID {
			t.Fatalf("after the move: %+v", c)
		}
		bad := strings.Replace(move, "team: returns", "team: nowhere", 1)
		if got := waitRun(t, r.db, r.start(t, bad, "t/move-2", map[string]any{}).ID); got.Status != "failed" || !strings.Contains(got.Error, `no team "nowhere"`) {
			t.Fatalf("an unknown team: %+v", got)
		}
	})
}

// TestDryRun: a dry run of the damaged-item workflow against a
// conversation shows each step with the request it would send and the
// text it would write, follows the branch the given answers choose, and
// touches nothing: no call, no run, no message.
func TestDryRun(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		r := newRig(t, dialect)
		ctx := context.Background()
		w, err := r.engine.Save(ctx, damaged)
		if err != nil {
			t.Fatal(err)
		}
		before, _ := r.db.Messages(ctx, []int64{r.conv})
		in := map[string]any{"shop": "http://shop.example", "order_id": "A1002"}
		plan, err := r.engine.DryRun(ctx, w.ID, DryRun{ConversationID: r.conv, Input: in,
			Outputs: map[string]map[string]any{"order": {"sku": "ESPRESSO-2"}, "stock": {"available": 0}}})
		if err != nil {
			t.Fatal(err)
		}
		var path []string
		for _, s := range plan.Steps {
			path = append(path, s.Step)
		}
		if !plan.Starts || strings.Join(path, " ") != "order stock in_stock sorry" {
			t.Fatalf("plan %+v", plan)
		}
		if plan.Steps[1].Request == nil || plan.Steps[1].Request.URL != "http://shop.example/inventory/ESPRESSO-2" ||
			plan.Steps[3].Text != "ESPRESSO-2 is out of stock: offer a refund." {
			t.Fatalf("steps %+v", plan.Steps)
		}
		runs, _ := r.db.FlowRuns(ctx, store.FlowRunFilter{})
		after, _ := r.db.Messages(ctx, []int64{r.conv})
		if c := r.shop.Counts(); c.Calls != 0 || len(runs) != 0 || len(after) != len(before) {
			t.Fatalf("a dry run touched something: shop %+v, %d runs, %d → %d messages", c, len(runs), len(before), len(after))
		}

		// The AI steps plan by their rules, with no model asked; an email
		// with no email inbox to send from is where the run would fail.
		sorting, err := r.engine.Save(ctx, `
name: Sort and write
trigger: {event: manual}
steps:
  - id: intent
    kind: classify
    text: "{{ input.text }}"
    classes: [{name: refund, match: "refund|money back"}]
  - id: found
    kind: extract
    text: "{{ input.text }}"
    fields: [{name: order, match: '\b([A-Z]\d{4})\b'}]
  - id: tell
    kind: email
    text: "About {{ steps.found.order }}: it is a {{ steps.intent.class }}."
`)
		if err != nil {
			t.Fatal(err)
		}
		called := false
		r.engine.Model = func(context.Context) (*llm.Client, bool, error) { called = true; return nil, false, nil }
		defer func() { r.engine.Model = nil }()
		plan, err = r.engine.DryRun(ctx, sorting.ID, DryRun{ConversationID: r.conv, Input: map[string]any{"text": "Refund for C3003 please"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(plan.Steps) != 3 || plan.Steps[0].Would != "classify it as refund (by its rules; with a model configured, a real run asks the model first)" ||
			!strings.HasPrefix(plan.Steps[1].Would, "found order") || plan.Steps[2].Text != "About C3003: it is a refund." ||
			!strings.Contains(plan.Steps[2].Problem, "no email inbox") || called {
			t.Fatalf("plan %+v (model asked: %v)", plan.Steps, called)
		}
	})
}
