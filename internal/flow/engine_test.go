package flow

import (
	"context"
	"encoding/json"
	"maps"
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
