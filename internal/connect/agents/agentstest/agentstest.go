// Package agentstest is an A2A agent on the official SDK's server, for
// tests of Parley asking agents: it answers with data about the order it
// is asked of (or fails when the text says "fail"), and counts what it
// did per message id.
package agentstest

import (
	"context"
	"iter"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/a2aproject/a2a-go/v2/a2a"
	"github.com/a2aproject/a2a-go/v2/a2asrv"
)

// Agent is an A2A agent on the official SDK's server: it answers
// with data about the order it is asked of, or fails when asked to, and
// counts what it did per message id. Like Parley's own agents, it
// answers a repeated message id with the task it already made, so a
// question asked again after a lost answer is done once.
type Agent struct {
	// URL is the agent's base URL: its card is at
	// URL/.well-known/agent-card.json.
	URL  string
	srv  *httptest.Server
	mu   sync.Mutex
	runs map[string]int       // message id → executions
	seen map[string]*a2a.Task // message id → its task
	h    a2asrv.RequestHandler
}

func New(t *testing.T, name string) *Agent {
	ta := &Agent{runs: map[string]int{}, seen: map[string]*a2a.Task{}}
	ta.h = a2asrv.NewHandler(ta)
	mux := http.NewServeMux()
	ta.srv = httptest.NewServer(mux)
	ta.URL = ta.srv.URL
	t.Cleanup(ta.srv.Close)
	card := &a2a.AgentCard{Name: name, Description: "a test agent", Version: "1",
		SupportedInterfaces: []*a2a.AgentInterface{{URL: ta.srv.URL + "/rpc", ProtocolBinding: a2a.TransportProtocolJSONRPC, ProtocolVersion: a2a.Version}},
		DefaultInputModes:   []string{"text/plain"}, DefaultOutputModes: []string{"text/plain"},
		Skills: []a2a.AgentSkill{{ID: "check", Name: "Check", Description: "checks an order", Tags: []string{"test"}}}}
	mux.Handle(a2asrv.WellKnownAgentCardPath, a2asrv.NewStaticAgentCardHandler(card))
	mux.Handle("/rpc", a2asrv.NewJSONRPCHandler(dedupe{ta}))
	return ta
}

// dedupe answers a message id seen before with its task.
type dedupe struct{ *Agent }

func (d dedupe) SendMessage(ctx context.Context, req *a2a.SendMessageRequest) (a2a.SendMessageResult, error) {
	d.mu.Lock()
	if t, ok := d.seen[req.Message.ID]; ok {
		d.mu.Unlock()
		return d.h.GetTask(ctx, &a2a.GetTaskRequest{ID: t.ID})
	}
	d.mu.Unlock()
	res, err := d.h.SendMessage(ctx, req)
	if t, ok := res.(*a2a.Task); ok && err == nil {
		d.mu.Lock()
		d.seen[req.Message.ID] = t
		d.mu.Unlock()
	}
	return res, err
}

func (d dedupe) GetTask(ctx context.Context, r *a2a.GetTaskRequest) (*a2a.Task, error) {
	return d.h.GetTask(ctx, r)
}
func (d dedupe) ListTasks(ctx context.Context, r *a2a.ListTasksRequest) (*a2a.ListTasksResponse, error) {
	return d.h.ListTasks(ctx, r)
}
func (d dedupe) CancelTask(ctx context.Context, r *a2a.CancelTaskRequest) (*a2a.Task, error) {
	return d.h.CancelTask(ctx, r)
}
func (d dedupe) SubscribeToTask(ctx context.Context, r *a2a.SubscribeToTaskRequest) iter.Seq2[a2a.Event, error] {
	return d.h.SubscribeToTask(ctx, r)
}
func (d dedupe) SendStreamingMessage(ctx context.Context, r *a2a.SendMessageRequest) iter.Seq2[a2a.Event, error] {
	return d.h.SendStreamingMessage(ctx, r)
}
func (d dedupe) GetTaskPushConfig(ctx context.Context, r *a2a.GetTaskPushConfigRequest) (*a2a.PushConfig, error) {
	return d.h.GetTaskPushConfig(ctx, r)
}
func (d dedupe) ListTaskPushConfigs(ctx context.Context, r *a2a.ListTaskPushConfigRequest) (*a2a.ListTaskPushConfigResponse, error) {
	return d.h.ListTaskPushConfigs(ctx, r)
}
func (d dedupe) CreateTaskPushConfig(ctx context.Context, r *a2a.PushConfig) (*a2a.PushConfig, error) {
	return d.h.CreateTaskPushConfig(ctx, r)
}
func (d dedupe) DeleteTaskPushConfig(ctx context.Context, r *a2a.DeleteTaskPushConfigRequest) error {
	return d.h.DeleteTaskPushConfig(ctx, r)
}
func (d dedupe) GetExtendedAgentCard(ctx context.Context, r *a2a.GetExtendedAgentCardRequest) (*a2a.AgentCard, error) {
	return d.h.GetExtendedAgentCard(ctx, r)
}

func (ta *Agent) Execute(ctx context.Context, ec *a2asrv.ExecutorContext) iter.Seq2[a2a.Event, error] {
	return func(yield func(a2a.Event, error) bool) {
		ta.mu.Lock()
		ta.runs[ec.Message.ID]++
		ta.mu.Unlock()
		order := ""
		for _, p := range ec.Message.Parts {
			if m, ok := p.Data().(map[string]any); ok {
				order, _ = m["order_id"].(string)
			}
		}
		if !yield(a2a.NewSubmittedTask(ec, ec.Message), nil) {
			return
		}
		if strings.Contains(ec.Message.Parts[0].Text(), "fail") {
			yield(a2a.NewStatusUpdateEvent(ec, a2a.TaskStateFailed, a2a.NewMessage(a2a.MessageRoleAgent, a2a.NewTextPart("the gateway has no order "+order))), nil)
			return
		}
		if !yield(a2a.NewArtifactEvent(ec, a2a.NewTextPart("Order "+order+" was paid: 249.00 EUR, captured."),
			a2a.NewDataPart(map[string]any{"order_id": order, "status": "captured", "amount": 249.0})), nil) {
			return
		}
		yield(a2a.NewStatusUpdateEvent(ec, a2a.TaskStateCompleted, nil), nil)
	}
}

func (ta *Agent) Cancel(ctx context.Context, ec *a2asrv.ExecutorContext) iter.Seq2[a2a.Event, error] {
	return func(yield func(a2a.Event, error) bool) {
		yield(a2a.NewStatusUpdateEvent(ec, a2a.TaskStateCanceled, nil), nil)
	}
}

// Runs returns how many times the agent worked on each message id.
func (ta *Agent) Runs() map[string]int {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	out := make(map[string]int, len(ta.runs))
	for k, v := range ta.runs {
		out[k] = v
	}
	return out
}

// Close stops the agent's server (an agent that went down).
func (ta *Agent) Close() { ta.srv.Close() }
