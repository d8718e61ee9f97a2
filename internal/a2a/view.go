package a2a

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/a2aproject/a2a-go/v2/a2a"

	"github.com/parleyhq/parley/internal/live"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Waiting says, in a task's status metadata, whom it waits for: a person
// of the team, an approval, the caller ("you"), or Parley's background
// work. A2A has one state for all but the last (INPUT_REQUIRED).
const waitingKey = "parley_waiting_for"

// view reads a task as A2A shows it. Its state is the conversation's:
//
//	cancelled by the caller            CANCELED
//	resolved by the team               COMPLETED
//	a workflow running on it           WORKING (Parley acts in the background)
//	an approval pending on it          INPUT_REQUIRED, waiting for "approval"
//	the caller wrote last              INPUT_REQUIRED, waiting for "person"
//	the team answered last             INPUT_REQUIRED, waiting for "you"
//
// History is the caller's messages and the team's replies; internal
// notes never leave Parley.
func (h *handler) view(ctx context.Context, t store.A2ATask, historyLength *int) (*a2a.Task, error) {
	conv, err := h.s.DB.Conversation(ctx, t.ConversationID)
	if err != nil {
		return nil, failure(err, "read the conversation")
	}
	msgs, err := h.s.DB.Messages(ctx, []int64{t.ConversationID})
	if err != nil {
		return nil, failure(err, "read the conversation")
	}
	task := &a2a.Task{ID: a2a.TaskID(t.ID), ContextID: t.ContextID, History: []*a2a.Message{}}
	var last *parley.Message
	for i := range msgs {
		m := &msgs[i]
		if m.Direction == parley.Note {
			continue
		}
		last = m
		task.History = append(task.History, h.message(t, m))
	}
	if historyLength != nil && *historyLength >= 0 && *historyLength < len(task.History) {
		task.History = task.History[len(task.History)-*historyLength:]
	}
	at := conv.UpdatedAt
	status := func(state a2a.TaskState, waiting, text string) {
		task.Status = a2a.TaskStatus{State: state, Timestamp: &at}
		if text != "" {
			task.Status.Message = &a2a.Message{ID: fmt.Sprintf("status-%s-%d", t.ID, at.UnixMicro()), Role: a2a.MessageRoleAgent,
				TaskID: task.ID, ContextID: t.ContextID, Parts: a2a.ContentParts{a2a.NewTextPart(text)}}
		}
		if waiting != "" {
			task.Metadata = map[string]any{waitingKey: waiting}
		}
	}
	switch {
	case t.CanceledAt != nil:
		at = *t.CanceledAt
		status(a2a.TaskStateCanceled, "", "Cancelled by the caller.")
		return task, nil
	case conv.Status == parley.StatusResolved:
		status(a2a.TaskStateCompleted, "", "The team resolved this conversation. Send a new message (without a taskId) to start another.")
		return task, nil
	}
	runs, err := h.s.DB.FlowRuns(ctx, store.FlowRunFilter{ConversationID: t.ConversationID, Status: "running", Limit: 1})
	if err != nil {
		return nil, failure(err, "read the conversation's workflows")
	}
	pending := parley.ApprovalPending
	approvals, err := h.s.DB.ApprovalRequests(ctx, store.ApprovalFilter{State: pending, ConversationID: &t.ConversationID, Limit: 1})
	if err != nil {
		return nil, failure(err, "read the conversation's approvals")
	}
	switch {
	case len(approvals) > 0:
		status(a2a.TaskStateInputRequired, "approval", "Waiting for a person to approve what was proposed ("+clip(approvals[0].Reason)+").")
	case len(runs) > 0:
		status(a2a.TaskStateWorking, "parley", "Parley is working on it in the background; the team's answer will follow.")
	case last != nil && last.Direction == parley.Outgoing:
		status(a2a.TaskStateInputRequired, "you", "The team has answered (see the last message). Reply to continue; the task completes when the team resolves it.")
	default:
		text := "Waiting for a person of the team to answer."
		if p, err := h.s.Inbox.ExpectedReply(ctx, conv.InboxID); err == nil && p.Text != "" {
			text = "Waiting for a person of the team: expect an answer " + p.Text + "."
		}
		status(a2a.TaskStateInputRequired, "person", text)
	}
	return task, nil
}

// message shows a Parley message as A2A: the caller's own with the id it
// sent; the team's as role agent with Parley's id.
func (h *handler) message(t store.A2ATask, m *parley.Message) *a2a.Message {
	out := &a2a.Message{TaskID: a2a.TaskID(t.ID), ContextID: t.ContextID, Parts: a2a.ContentParts{a2a.NewTextPart(m.Text)}}
	if m.Direction == parley.Incoming {
		out.Role = a2a.MessageRoleUser
		out.ID = m.ExternalID
		if _, id, ok := strings.Cut(strings.TrimPrefix(m.ExternalID, "a2a:"), ":"); ok {
			out.ID = id
		}
	} else {
		out.Role, out.ID = a2a.MessageRoleAgent, fmt.Sprintf("parley-%d", m.ID)
	}
	for _, a := range m.Attachments {
		out.Parts = append(out.Parts, a2a.NewTextPart("[attachment: "+a.Filename+"]"))
	}
	out.Metadata = map[string]any{"sent_at": m.CreatedAt.UTC().Format(time.RFC3339Nano)}
	return out
}

func clip(s string) string {
	if r := []rune(s); len(r) > 200 {
		return string(r[:200]) + "…"
	}
	return s
}

// watcher wakes a stream when anything is committed; the stream then
// reads its task again. The task's conversation id is known only once
// the message is stored, so the watch starts before and filters late.
type watcher struct {
	h   *handler
	sub *live.Sub
}

func (h *handler) watch() *watcher {
	if h.s.Hub == nil {
		return &watcher{h: h}
	}
	sub, _ := h.s.Hub.Subscribe(func(ev *parley.Event) bool { return ev.ConversationID != nil })
	return &watcher{h: h, sub: sub}
}

func (w *watcher) stop() {
	if w.sub != nil {
		w.h.s.Hub.Unsubscribe(w.sub)
	}
}

// follow streams a task: first the task as it is, then a status update
// for each of the team's new messages, and each time what it waits for
// changes.
// It ends when the task waits for the caller, ends, or StreamFor passes
// (the caller subscribes again to wait longer), or the caller goes.
func (h *handler) follow(ctx context.Context, w *watcher, t store.A2ATask, yield func(a2a.Event, error) bool) {
	v, err := h.view(ctx, t, nil)
	if err != nil {
		yield(nil, err)
		return
	}
	if !yield(v, nil) || done(v) {
		return
	}
	limit := h.s.StreamFor
	if limit <= 0 {
		limit = 10 * time.Minute
	}
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	seen := len(v.History)
	prev := stateKey(v)
	var wake <-chan struct{}
	if w.sub != nil {
		wake = w.sub.Wait()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-deadline.C:
			return
		case <-wake:
			frames, closed := w.sub.Take()
			if closed {
				return
			}
			mine := false
			for _, f := range frames {
				mine = mine || (f.Event.ConversationID != nil && *f.Event.ConversationID == t.ConversationID)
			}
			if !mine {
				continue
			}
		}
		if t, err = h.owned(ctx, a2a.TaskID(t.ID)); err != nil {
			yield(nil, err)
			return
		}
		if v, err = h.view(ctx, t, nil); err != nil {
			yield(nil, err)
			return
		}
		// The team's new messages, each in a status update (the task's
		// state now, with the message), or the status alone when only
		// what the task waits for changed.
		var fresh []*a2a.Message
		for _, m := range v.History[min(seen, len(v.History)):] {
			if m.Role == a2a.MessageRoleAgent {
				fresh = append(fresh, m)
			}
		}
		seen = len(v.History)
		key := stateKey(v)
		if len(fresh) == 0 && key != prev {
			fresh = append(fresh, v.Status.Message)
		}
		prev = key
		for _, m := range fresh {
			st := v.Status
			st.Message = m
			if !yield(&a2a.TaskStatusUpdateEvent{TaskID: v.ID, ContextID: v.ContextID, Status: st, Metadata: v.Metadata}, nil) {
				return
			}
		}
		if done(v) {
			return
		}
	}
}

func stateKey(v *a2a.Task) string {
	w, _ := v.Metadata[waitingKey].(string)
	return string(v.Status.State) + "/" + w
}

// done says a stream has nothing more to wait for: the task ended, or it
// is the caller's turn.
func done(v *a2a.Task) bool {
	w, _ := v.Metadata[waitingKey].(string)
	return v.Status.State.Terminal() || w == "you"
}
