package flow

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/parleyhq/parley/internal/connect/agents"
	"github.com/parleyhq/parley/internal/connect/agents/agentstest"
	"github.com/parleyhq/parley/internal/outbound"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// losing passes questions on, but loses the first answer, as a process
// killed while the agent answered would.
type losing struct {
	agents.Service
	once sync.Once
}

func (l *losing) Ask(ctx context.Context, name string, q agents.Question) (agents.Answer, error) {
	ans, err := l.Service.Ask(ctx, name, q)
	lost := false
	l.once.Do(func() { lost = true })
	if lost {
		return agents.Answer{}, &lostError{}
	}
	return ans, err
}

type lostError struct{}

func (*lostError) Error() string        { return "the connection dropped" }
func (*lostError) Is(target error) bool { return target == agents.ErrUnavailable }

const askBoth = `
name: Ask both
trigger: {event: manual}
steps:
  - id: team
    kind: agent
    ask:
      - {name: payment, agent: payments, text: "Check the payment of {{ input.order_id }}", data: {order_id: "{{ input.order_id }}"}}
      - {name: parcel, agent: carrier, text: "Where is {{ input.order_id }}?", data: {order_id: "{{ input.order_id }}"}}
  - id: tell
    kind: note
    text: "{{ steps.team.payment.text }} Paid {{ steps.team.payment.data.amount }}; parcel: {{ steps.team.parcel.state }}."
`

// TestAgentStep: a workflow asks two agents at once over A2A and uses
// their answers; an answer lost on the way is asked again under the
// same message id and done once; an agent that fails fails the step with
// its reason; an unknown agent is said by name.
func TestAgentStep(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		r := newRig(t, dialect)
		ctx := context.Background()
		pay, carrier := agentstest.New(t, "Payments"), agentstest.New(t, "Carrier")
		guard, err := outbound.New(outbound.Options{Allow: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		svc := agents.Service{DB: r.db, HTTP: guard.HTTPClient(0)}
		if _, err := svc.Register(ctx, "payments", pay.URL, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Register(ctx, "carrier", carrier.URL+"/.well-known/agent-card.json", ""); err != nil {
			t.Fatal(err)
		}
		l := &losing{Service: svc}
		r.engine.Agents = l
		r.run(t)

		run := waitRun(t, r.db, r.start(t, askBoth, "t/both", map[string]any{"order_id": "A1002"}).ID)
		steps, _ := r.db.FlowSteps(ctx, run.ID)
		if run.Status != "succeeded" || len(steps) != 2 {
			t.Fatalf("run %+v steps %+v", run, steps)
		}
		msgs, _ := r.db.Messages(ctx, []int64{r.conv})
		if note := msgs[len(msgs)-1].Text; note != "Order A1002 was paid: 249.00 EUR, captured. Paid 249; parcel: completed." {
			t.Fatalf("the note: %q", note)
		}
		// One answer was lost and asked again: each agent worked once.
		for _, a := range []*agentstest.Agent{pay, carrier} {
			for id, n := range a.Runs() {
				if n != 1 || !strings.HasPrefix(id, "parley-run-") {
					t.Fatalf("executions by message id: %v", a.Runs())
				}
			}
		}
		if steps[0].Attempts < 2 || !strings.Contains(steps[0].Input, `"task_id"`) {
			t.Fatalf("the step's record: attempts %d, input %s", steps[0].Attempts, steps[0].Input)
		}

		failing := strings.Replace(askBoth, "Check the payment of", "fail for", 1)
		failing = strings.Replace(failing, "name: Ask both", "name: Ask and fail", 1)
		run = waitRun(t, r.db, r.start(t, failing, "t/fail", map[string]any{"order_id": "Z9999"}).ID)
		if run.Status != "failed" || !strings.Contains(run.Error, "the agent payments could not answer (failed): the gateway has no order Z9999") {
			t.Fatalf("a failing agent: %+v", run)
		}

		unknown := "name: Unknown\ntrigger: {event: manual}\nsteps:\n  - {id: ask, kind: agent, agent: nobody, text: hi}\n"
		run = waitRun(t, r.db, r.start(t, unknown, "t/unknown", map[string]any{}).ID)
		if run.Status != "failed" || !strings.Contains(run.Error, `no remote agent named "nobody"`) {
			t.Fatalf("an unknown agent: %+v", run)
		}
		// An agent that went down: retried with backoff, then the step
		// fails with the reason.
		down := agentstest.New(t, "Gone")
		if _, err := svc.Register(ctx, "gone", down.URL, ""); err != nil {
			t.Fatal(err)
		}
		down.Close()
		gone := "name: Gone\ntrigger: {event: manual}\nsteps:\n  - {id: ask, kind: agent, agent: gone, text: hi}\n"
		run = waitRun(t, r.db, r.start(t, gone, "t/gone", map[string]any{}).ID)
		if run.Status != "failed" || !strings.Contains(run.Error, "gave up after") || !strings.Contains(run.Error, "the agent gone") {
			t.Fatalf("an agent that is down: %+v", run)
		}
		calls, _ := r.db.AgentCalls(ctx, store.AgentCallFilter{Protocol: "a2a"})
		if len(calls) < 4 || calls[0].Direction != "out" {
			t.Fatalf("audit: %+v", calls)
		}
	})
}
