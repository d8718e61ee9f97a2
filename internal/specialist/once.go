package specialist

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/a2aproject/a2a-go/v2/a2a"
	"github.com/a2aproject/a2a-go/v2/a2asrv"
)

// Why this file exists: a2a-go v2.3.1's default request handler does not
// deduplicate by messageId. A SendMessage without a taskId always gets a
// fresh task id (taskexec's localManager.Execute calls a2a.NewTaskID;
// its createExecution carries a TODO "handle idempotency once spec
// establishes the key"), so a retry of the same message would run the
// check again and answer with a second task. The SDK's only messageId
// check keeps a message sent to an existing task (with its taskId) from
// entering that task's history twice; the agent still runs again, and
// if the first attempt ended the task, the retry is refused as sent to
// a task in a terminal state. Parley's "ask an agent" step retries with
// the same messageId after a crash, so these agents remember which task
// each messageId started and answer a retry with that task.

// ledger remembers, per messageId, the task that message started. It is
// in memory, like the SDK's task store it points into: a restarted agent
// has neither.
type ledger struct {
	mu    sync.Mutex
	max   int
	byID  map[string]*sent
	order []*sent // oldest first, for forgetting finished ones
}

// sent is one message and what became of it.
type sent struct {
	id        string
	sum       [32]byte   // digest: tells a retry from a reused id
	task      a2a.TaskID // set once the executor started on it
	started   chan struct{}
	done      chan struct{} // the execution stopped: finished, or waits for input
	isStarted bool
	isDone    bool
}

func newLedger(max int) *ledger {
	return &ledger{max: max, byID: map[string]*sent{}}
}

// digest is what makes a message the same message: who says what, in
// which task. Metadata and extensions are left out, since a client may
// put a trace id there that differs between attempts.
func digest(m *a2a.Message) [32]byte {
	b, _ := json.Marshal(struct {
		Role      a2a.MessageRole
		Parts     a2a.ContentParts
		TaskID    a2a.TaskID
		ContextID string
		Refs      []a2a.TaskID
	}{m.Role, m.Parts, m.TaskID, m.ContextID, m.ReferenceTasks})
	return sha256.Sum256(b)
}

// claim returns the record of m's id and whether this call is the first
// to send it (and so must run it). A different message under a known id
// is refused: answering it with another message's task would mislead.
func (l *ledger) claim(m *a2a.Message) (*sent, bool, error) {
	sum := digest(m)
	l.mu.Lock()
	defer l.mu.Unlock()
	if s, ok := l.byID[m.ID]; ok {
		if s.sum != sum {
			return nil, false, a2a.NewError(a2a.ErrInvalidParams,
				fmt.Sprintf("messageId %q was already used for a different message: a retry must repeat the message exactly, and a new message needs a new messageId", m.ID))
		}
		return s, false, nil
	}
	return l.add(m.ID, sum), true, nil
}

// add records a new message; the caller holds l.mu.
func (l *ledger) add(id string, sum [32]byte) *sent {
	s := &sent{id: id, sum: sum, started: make(chan struct{}), done: make(chan struct{})}
	l.byID[id] = s
	l.order = append(l.order, s)
	// Forget the oldest finished messages beyond max. One still running
	// stops the sweep: its retry must still find it.
	for len(l.byID) > l.max && len(l.order) > 0 {
		old := l.order[0]
		if l.byID[old.id] == old {
			if !old.isDone {
				break
			}
			delete(l.byID, old.id)
		}
		l.order = l.order[1:]
	}
	return s
}

// begin records the task the executor started for m.
func (l *ledger) begin(m *a2a.Message, task a2a.TaskID) {
	if m == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.byID[m.ID]
	if s == nil {
		// The first caller went away before the task started, and its
		// record was dropped (settle): record the task after all.
		s = l.add(m.ID, digest(m))
	}
	if !s.isStarted {
		s.task, s.isStarted = task, true
		close(s.started)
	}
}

// end records that the execution of message id stopped.
func (l *ledger) end(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.byID[id]; s != nil && s.isStarted && !s.isDone {
		s.isDone = true
		close(s.done)
	}
}

// startGrace is how long a first caller that went away waits for its
// task to start before forgetting the message: the SDK starts the
// execution on its own goroutine, so it may start just after.
const startGrace = time.Second

// settle is the first caller's part once the SDK answered: a message
// that started no task (refused before the executor ran) is forgotten,
// so its retry runs it, and anyone waiting on it tries again.
func (l *ledger) settle(ctx context.Context, s *sent) {
	if ctx.Err() != nil {
		select {
		case <-s.started:
		case <-time.After(startGrace):
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if s.isStarted {
		return
	}
	if l.byID[s.id] == s {
		delete(l.byID, s.id)
	}
	s.isStarted = true
	close(s.started)
}

// taskOf waits until s's task is known; "" means the first attempt made
// none and the caller should run the message itself.
func (l *ledger) taskOf(ctx context.Context, s *sent) (a2a.TaskID, error) {
	select {
	case <-s.started:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return s.task, nil
}

// onceHandler is the SDK's request handler with SendMessage and
// SendStreamingMessage answering a repeated messageId with the task the
// first one started, once that task stopped (as the first answer did),
// rather than starting another. Every other method is the SDK's.
type onceHandler struct {
	a2asrv.RequestHandler
	ledger *ledger
}

func (h *onceHandler) SendMessage(ctx context.Context, req *a2a.SendMessageRequest) (a2a.SendMessageResult, error) {
	if req == nil || req.Message == nil || req.Message.ID == "" {
		return h.RequestHandler.SendMessage(ctx, req) // the SDK says what is missing
	}
	for {
		s, first, err := h.ledger.claim(req.Message)
		if err != nil {
			return nil, err
		}
		if first {
			res, err := h.RequestHandler.SendMessage(ctx, req)
			h.ledger.settle(ctx, s)
			return res, err
		}
		task, err := h.ledger.taskOf(ctx, s)
		if err != nil {
			return nil, err
		}
		if task == "" {
			continue
		}
		if req.Config == nil || !req.Config.ReturnImmediately {
			select {
			case <-s.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		t, err := h.RequestHandler.GetTask(ctx, &a2a.GetTaskRequest{ID: task, Tenant: req.Tenant})
		if err != nil {
			return nil, err
		}
		return t, nil
	}
}

// CancelTask cancels through the SDK, waiting out one race of its own:
// a cancel that arrives while the execution that just answered
// input-required is still being torn down is sent to that finished run
// and comes back "not cancelable" (the SDK's TODO in
// handleCancelWithConcurrentRun). The task is still waiting, so the
// caller's cancel is retried for a moment rather than refused.
func (h *onceHandler) CancelTask(ctx context.Context, req *a2a.CancelTaskRequest) (*a2a.Task, error) {
	deadline := time.Now().Add(2 * time.Second)
	for {
		t, err := h.RequestHandler.CancelTask(ctx, req)
		if err == nil || !errors.Is(err, a2a.ErrTaskNotCancelable) || time.Now().After(deadline) {
			return t, err
		}
		now, gerr := h.RequestHandler.GetTask(ctx, &a2a.GetTaskRequest{ID: req.ID, Tenant: req.Tenant})
		if gerr != nil || now.Status.State.Terminal() {
			return t, err
		}
		select {
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// SendStreamingMessage streams a repeated message's task: the rest of its
// events while it still runs (SubscribeToTask, which starts with the
// task as it stands), or the task once it has stopped.
func (h *onceHandler) SendStreamingMessage(ctx context.Context, req *a2a.SendMessageRequest) iter.Seq2[a2a.Event, error] {
	return func(yield func(a2a.Event, error) bool) {
		if req == nil || req.Message == nil || req.Message.ID == "" {
			for ev, err := range h.RequestHandler.SendStreamingMessage(ctx, req) {
				if !yield(ev, err) {
					return
				}
			}
			return
		}
		for {
			s, first, err := h.ledger.claim(req.Message)
			if err != nil {
				yield(nil, err)
				return
			}
			if first {
				defer h.ledger.settle(ctx, s)
				for ev, err := range h.RequestHandler.SendStreamingMessage(ctx, req) {
					if !yield(ev, err) {
						return
					}
				}
				return
			}
			task, err := h.ledger.taskOf(ctx, s)
			if err != nil {
				yield(nil, err)
				return
			}
			if task == "" {
				continue
			}
			h.replayStream(ctx, s, task, req.Tenant, yield)
			return
		}
	}
}

func (h *onceHandler) replayStream(ctx context.Context, s *sent, task a2a.TaskID, tenant string, yield func(a2a.Event, error) bool) {
	select {
	case <-s.done:
	default:
		streamed := false
		for ev, err := range h.RequestHandler.SubscribeToTask(ctx, &a2a.SubscribeToTaskRequest{ID: task, Tenant: tenant}) {
			if err != nil && !streamed {
				break // it stopped in between: answer with the task below
			}
			streamed = true
			if !yield(ev, err) || err != nil {
				return
			}
		}
		if streamed {
			return
		}
		select {
		case <-s.done:
		case <-ctx.Done():
			yield(nil, ctx.Err())
			return
		}
	}
	t, err := h.RequestHandler.GetTask(ctx, &a2a.GetTaskRequest{ID: task, Tenant: tenant})
	if err != nil {
		yield(nil, err)
		return
	}
	yield(t, nil)
}
