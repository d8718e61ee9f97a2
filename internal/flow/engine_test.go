package flow

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/connect/shop"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/jobs"
	"github.com/parleyhq/parley/internal/outbound"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/secret"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// damaged is the damaged-item story against the simulated shop: check the
// order and the stock, make a return label, tell the warehouse, and note
// what was done on the conversation.
const damaged = `
name: Damaged item
trigger:
  event: manual
steps:
  - id: order
    kind: http
    method: GET
    url: "{{ input.shop }}/orders/{{ input.order_id }}"
    keep: { sku: sku, amount: amount }
  - id: stock
    kind: http
    method: GET
    url: "{{ input.shop }}/inventory/{{ steps.order.sku }}"
    keep: { available: available }
  - id: in_stock
    kind: if
    when: steps.stock.available > 0
    else: sorry
  - id: label
    kind: http
    method: POST
    url: "{{ input.shop }}/returns"
    body: { order_id: "{{ input.order_id }}", reason: damaged }
    keep: { url: label_url, id: return_id }
  - id: warehouse
    kind: http
    method: POST
    url: "{{ input.shop }}/warehouse/notices"
    body: { order_id: "{{ input.order_id }}", kind: return, return_id: "{{ steps.label.id }}" }
  - id: tell
    kind: note
    text: "Return label {{ steps.label.id }}: {{ steps.label.url }}; the warehouse expects it."
    next: end
  - id: sorry
    kind: note
    text: "{{ steps.order.sku }} is out of stock: offer a refund."
`

// meter counts what the engine reports, as /metrics does.
type meter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (m *meter) add(k string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts == nil {
		m.counts = map[string]int{}
	}
	m.counts[k]++
}
func (m *meter) get(k string) int { m.mu.Lock(); defer m.mu.Unlock(); return m.counts[k] }
func (m *meter) snapshot() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.counts)
}
func (m *meter) RunStarted()                       { m.add("started") }
func (m *meter) RunEnded(status string)            { m.add(status) }
func (m *meter) StepFinished(kind, outcome string) { m.add(kind + "/" + outcome) }
func (m *meter) ApprovalWait()                     { m.add("approval") }

type rig struct {
	db     *store.DB
	engine *Engine
	shop   *shop.Shop
	url    string
	conv   int64
	runner *jobs.Runner
}

func newRig(t testing.TB, dialect string) *rig {
	t.Helper()
	db := storetest.Open(t, dialect)
	s := shop.New()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	guard, err := outbound.New(outbound.Options{Allow: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	r := jobs.New(db)
	r.Backoff = func(int) time.Duration { return 20 * time.Millisecond }
	e := &Engine{DB: db, Inbox: &inbox.Service{DB: db}, HTTP: guard.HTTPClient(5 * time.Second), Wake: r.Wake}
	e.RegisterJobs(r)
	seeded, err := db.Seed(context.Background(), store.SeedOptions{Conversations: 1})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{db: db, engine: e, shop: s, url: srv.URL, conv: seeded.FirstID, runner: r}
}

// run starts the job runner until the test ends.
func (r *rig) run(t testing.TB) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.runner.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func (r *rig) start(t *testing.T, src, key string, input map[string]any) store.FlowRun {
	t.Helper()
	w, err := r.engine.Save(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	input["shop"] = r.url
	run, started, err := r.engine.Start(context.Background(), w.ID, key, input, &r.conv)
	if err != nil || !started {
		t.Fatalf("start: %v %v", started, err)
	}
	return run
}

func waitRun(t *testing.T, db *store.DB, id int64) store.FlowRun {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		run, err := db.FlowRun(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if run.Status != "running" {
			return run
		}
		if time.Now().After(deadline) {
			steps, _ := db.FlowSteps(context.Background(), id)
			t.Fatalf("run %d still running at %q; steps %+v", id, run.Step, steps)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestDamagedItemRuns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		r := newRig(t, dialect)
		r.run(t)
		run := waitRun(t, r.db, r.start(t, damaged, "t/1", map[string]any{"order_id": "A1001"}).ID)
		if run.Status != "succeeded" || run.Error != "" {
			t.Fatalf("run: %+v", run)
		}
		steps, err := r.db.FlowSteps(context.Background(), run.ID)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range steps {
			ids = append(ids, s.Step+":"+s.State)
		}
		if got := strings.Join(ids, " "); got != "order:done stock:done in_stock:done label:done warehouse:done tell:done" {
			t.Fatalf("steps: %s", got)
		}
		if c := r.shop.Counts(); c.Labels != 1 || c.Notices != 1 || c.Refunds != 0 {
			t.Fatalf("shop counts %+v", c)
		}
		var label request
		if err := json.Unmarshal([]byte(steps[3].Input), &label); err != nil || label.Key == "" || label.Body.(map[string]any)["order_id"] != "A1001" {
			t.Fatalf("label request %s: %v", steps[3].Input, err)
		}
		msgs, err := r.db.Messages(context.Background(), []int64{r.conv})
		if err != nil {
			t.Fatal(err)
		}
		last := msgs[len(msgs)-1]
		if last.Direction != parley.Note || !strings.Contains(last.Text, "Return label R") || !strings.Contains(last.Text, ".pdf") {
			t.Fatalf("the note: %+v", last)
		}
		// The timeline's lines: started, each step, finished.
		evs, err := r.db.ConversationActivity(context.Background(), []int64{r.conv})
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, ev := range evs {
			var d struct{ State, Summary string }
			if ev.Type == parley.EventFlowStep && json.Unmarshal(ev.Data, &d) == nil {
				lines = append(lines, d.Summary)
			}
		}
		if len(lines) != 8 || lines[0] != "started" || !strings.HasPrefix(lines[4], "label: POST 127.0.0.1:") || !strings.HasSuffix(lines[4], "/returns answered 201") ||
			lines[6] != "tell: added a note" || lines[7] != "finished" {
			t.Fatalf("timeline lines: %q", lines)
		}
		// Out of stock takes the else branch.
		run = waitRun(t, r.db, r.start(t, damaged, "t/2", map[string]any{"order_id": "A1002"}).ID)
		steps, _ = r.db.FlowSteps(context.Background(), run.ID)
		if run.Status != "succeeded" || steps[len(steps)-1].Step != "sorry" || r.shop.Counts().Labels != 1 {
			t.Fatalf("out of stock: %+v %+v", run, steps)
		}
	})
}

// TestStartOncePerTrigger: a trigger key starts one run, however often.
func TestStartOncePerTrigger(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		r := newRig(t, dialect)
		first := r.start(t, damaged, "event/42", map[string]any{"order_id": "A1001"})
		w, _ := r.db.Workflow(context.Background(), first.WorkflowID)
		again, started, err := r.engine.Start(context.Background(), w.ID, "event/42", map[string]any{"order_id": "A1003"}, nil)
		if err != nil || started || again.ID != first.ID {
			t.Fatalf("second start: %+v %v %v", again, started, err)
		}
	})
}

// TestLostAnswerActsOnce: the shop makes the label, then the connection
// drops before Parley hears the answer. The step is retried with the same
// Idempotency-Key, and the shop answers from memory: one label.
func TestLostAnswerActsOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		r := newRig(t, dialect)
		m := &meter{}
		r.engine.Meter = m
		r.shop.LoseAnswers("/returns", 1)
		r.shop.FailNext("/warehouse/notices", 503, 502)
		r.run(t)
		run := waitRun(t, r.db, r.start(t, damaged, "t/lost", map[string]any{"order_id": "A1001"}).ID)
		if run.Status != "succeeded" {
			t.Fatalf("run: %+v", run)
		}
		c := r.shop.Counts()
		if c.Labels != 1 || c.Notices != 1 || c.Replays != 1 {
			t.Fatalf("shop counts %+v: want one label, one notice, one replay", c)
		}
		// net/http itself resends a request that carries an
		// Idempotency-Key when the connection drops before an answer, so
		// the lost answer is recovered inside one attempt; the 5xx took
		// three of Parley's own.
		steps, _ := r.db.FlowSteps(context.Background(), run.ID)
		if steps[4].Attempts != 3 || steps[4].Error != "" {
			t.Fatalf("warehouse step: %+v", steps[4])
		}
		// The meter is told after each commit, so it may trail the run's
		// row by a moment.
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			if m.get("started") == 1 && m.get("succeeded") == 1 && m.get("http/retry") == 2 && m.get("http/done") == 4 && m.get("note/done") == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("metered %v", m.snapshot())
			}
		}
	})
}

// TestCrashBetweenCallAndRecord: the step's handler dies after the shop
// acted and before the outcome was written, and the process stops. A new
// process (a new runner and engine on the same database) retries the
// step from its started record, with the same request and key, and
// finishes the run; the shop acted once. (Here the runner catches the
// panic and schedules the retry; after a kill -9 the job's lease running
// out does the same.)
func TestCrashBetweenCallAndRecord(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		r := newRig(t, dialect)
		r.runner.Lease = 300 * time.Millisecond
		var crashed atomic.Bool
		r.engine.afterCall = func(run store.FlowRun, s *Step) {
			if s.ID == "label" && crashed.CompareAndSwap(false, true) {
				panic("the handler dies here: nothing after the call is recorded")
			}
		}
		run := r.start(t, damaged, "t/crash", map[string]any{"order_id": "A1001"})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); r.runner.Run(ctx) }()
		deadline := time.Now().Add(10 * time.Second)
		for !crashed.Load() && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
		<-done
		if !crashed.Load() {
			t.Fatal("never reached the label step")
		}
		// A new process: its own runner and engine, the same database.
		r2 := jobs.New(r.db)
		r2.Backoff = r.runner.Backoff
		e2 := &Engine{DB: r.db, Inbox: r.engine.Inbox, HTTP: r.engine.HTTP, Wake: r2.Wake}
		e2.RegisterJobs(r2)
		r.runner = r2
		r.run(t)
		got := waitRun(t, r.db, run.ID)
		if got.Status != "succeeded" {
			t.Fatalf("after the restart: %+v", got)
		}
		if c := r.shop.Counts(); c.Labels != 1 || c.Notices != 1 {
			t.Fatalf("shop counts %+v: want one label and one notice", c)
		}
	})
}

// TestClientErrorFailsAtOnce: a 4xx is not retried; the run fails with
// the body's reason on the step.
func TestClientErrorFailsAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		r := newRig(t, dialect)
		r.run(t)
		run := waitRun(t, r.db, r.start(t, damaged, "t/4xx", map[string]any{"order_id": "Z9"}).ID)
		steps, _ := r.db.FlowSteps(context.Background(), run.ID)
		if run.Status != "failed" || !strings.Contains(run.Error, `no order Z9`) || len(steps) != 1 || steps[0].State != "failed" || steps[0].Attempts != 1 {
			t.Fatalf("run %+v steps %+v", run, steps)
		}
	})
}

// TestVersionKept: a run finishes on the version it started with, even
// when the workflow is saved again meanwhile.
func TestVersionKept(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		r := newRig(t, dialect)
		run := r.start(t, damaged, "t/v1", map[string]any{"order_id": "A1001"})
		v2 := strings.Replace(damaged, "Return label", "Label v2", 1)
		w, err := r.engine.Save(context.Background(), v2)
		if err != nil || w.Version != 2 {
			t.Fatalf("save v2: %+v %v", w, err)
		}
		r.run(t)
		got := waitRun(t, r.db, run.ID)
		msgs, _ := r.db.Messages(context.Background(), []int64{r.conv})
		if got.Version != 1 || !strings.Contains(msgs[len(msgs)-1].Text, "Return label") {
			t.Fatalf("run %+v, note %q", got, msgs[len(msgs)-1].Text)
		}
	})
}

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
	})
}
