package a2a

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/a2aproject/a2a-go/v2/a2a"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// handler implements a2asrv.RequestHandler over conversations.
type handler struct{ s *Server }

// inboxSetting keeps the id of the API inbox A2A conversations land in.
const inboxSetting = "a2a.inbox_id"

// agentsInbox returns the inbox A2A tasks land in, creating it ("Outside
// agents (A2A)", an API inbox: replies are read back, not pushed) the
// first time. An admin may rename it or route it like any inbox.
func (s *Server) agentsInbox(ctx context.Context) (int64, error) {
	s.inboxMu.Lock()
	defer s.inboxMu.Unlock()
	var id int64
	if ok, err := s.DB.Setting(ctx, inboxSetting, &id); err != nil {
		return 0, err
	} else if ok {
		if _, _, err := s.DB.Inbox(ctx, id); err == nil {
			return id, nil
		} else if parley.ErrorCode(err) != parley.ENOTFOUND {
			return 0, err
		}
	}
	in, err := s.Inbox.CreateInbox(ctx, inbox.System, parley.Inbox{Name: "Outside agents (A2A)", ChannelType: parley.ChannelAPI}, nil)
	if err != nil {
		return 0, err
	}
	return in.ID, s.DB.Write(ctx, func(tx *store.Tx) error { return tx.SetSetting(inboxSetting, in.ID) })
}

// audit records a call in the agent-call log, with its outcome.
func (h *handler) audit(ctx context.Context, method, subject string, err error, began time.Time) {
	c := callerFrom(ctx)
	call := store.AgentCall{Direction: "in", Protocol: "a2a", Method: method, AgentID: c.AgentID, Subject: subject,
		Outcome: "ok", DurationUS: time.Since(began).Microseconds()}
	if c.TokenID != 0 {
		id := c.TokenID
		call.TokenID = &id
	}
	if err != nil {
		call.Outcome, call.Error = "error", err.Error()
	}
	// The audit is written even when the caller has gone.
	if werr := h.s.DB.RecordAgentCall(context.WithoutCancel(ctx), call); werr != nil {
		_ = failure(werr, "record the call")
	}
}

// messageText is the text Parley keeps of an incoming A2A message: its
// text parts, data parts as JSON, and file parts as their URL or name
// (Parley does not fetch files an agent points at).
func messageText(m *a2a.Message) (string, error) {
	var b strings.Builder
	for _, p := range m.Parts {
		if p == nil {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		switch c := p.Content.(type) {
		case a2a.Text:
			b.WriteString(string(c))
		case a2a.Data:
			j, _ := json.Marshal(c.Value)
			b.Write(j)
		case a2a.URL:
			fmt.Fprintf(&b, "[file] %s", string(c))
		case a2a.Raw:
			fmt.Fprintf(&b, "[a file of %d bytes%s, not kept]", len(c), nameOf(p))
		}
	}
	if strings.TrimSpace(b.String()) == "" {
		return "", &a2a.Error{Err: a2a.ErrInvalidParams, Message: "a message needs at least one text part"}
	}
	return b.String(), nil
}

func nameOf(p *a2a.Part) string {
	if p.Filename != "" {
		return " named " + p.Filename
	}
	return ""
}

// send stores an incoming A2A message: a new task opens a conversation
// (a thread of its own for the contact of this token and context); a
// message with a task id joins that task's conversation. A repeat of a
// message id (a retry) stores nothing new and answers the same task.
func (h *handler) send(ctx context.Context, req *a2a.SendMessageRequest) (store.A2ATask, error) {
	c := callerFrom(ctx)
	if err := mayWrite(c); err != nil {
		return store.A2ATask{}, err
	}
	m := req.Message
	switch {
	case m == nil:
		return store.A2ATask{}, &a2a.Error{Err: a2a.ErrInvalidParams, Message: "message is required"}
	case strings.TrimSpace(m.ID) == "":
		return store.A2ATask{}, &a2a.Error{Err: a2a.ErrInvalidParams, Message: "message.messageId is required"}
	case m.Role != a2a.MessageRoleUser:
		return store.A2ATask{}, &a2a.Error{Err: a2a.ErrInvalidParams, Message: "a message to Parley has role ROLE_USER"}
	}
	text, err := messageText(m)
	if err != nil {
		return store.A2ATask{}, err
	}
	// Checked before anything is written (the inbox's creation included):
	// a refused message changes nothing.
	if text, err = parley.ValidateText(text, 0); err != nil {
		return store.A2ATask{}, failure(err, "read the message")
	}
	inboxID, err := h.s.agentsInbox(ctx)
	if err != nil {
		return store.A2ATask{}, failure(err, "open the conversation")
	}
	in := inbox.Incoming{ExternalID: fmt.Sprintf("a2a:%d:%s", c.TokenID, m.ID), Text: text, NewThread: true}
	var task store.A2ATask
	if m.TaskID != "" {
		if task, err = h.owned(ctx, m.TaskID); err != nil {
			return task, err
		}
		if m.ContextID != "" && m.ContextID != task.ContextID {
			return task, &a2a.Error{Err: a2a.ErrInvalidParams, Message: "the message's contextId is not its task's"}
		}
		view, err := h.view(ctx, task, nil)
		if err != nil {
			return task, err
		}
		if view.Status.State.Terminal() {
			return task, &a2a.Error{Err: a2a.ErrUnsupportedOperation, Message: fmt.Sprintf(
				"task %s is %s; send without a taskId (same contextId) to start a new one", task.ID, view.Status.State)}
		}
		in.ConversationID, in.NewThread = task.ConversationID, false
	} else if task.ContextID = m.ContextID; task.ContextID == "" {
		task.ContextID = a2a.NewContextID()
	}
	if len(task.ContextID) > 200 {
		return task, &a2a.Error{Err: a2a.ErrInvalidParams, Message: "contextId is at most 200 characters"}
	}
	in.Contact = store.ContactKey{Kind: parley.IdentityExternal, ExternalID: fmt.Sprintf("a2a:%d:%s", c.TokenID, task.ContextID)}
	if name, _ := req.Metadata["contact_name"].(string); name != "" {
		in.Contact.Name = name
	}
	got, err := h.s.Inbox.Receive(ctx, inboxID, in)
	if err != nil {
		return task, failure(err, "store the message")
	}
	if task.ID != "" {
		return task, nil
	}
	// A new task, or a retry of the message that opened one (whose task
	// may not have been written if the first try died in between).
	err = h.s.DB.Write(ctx, func(tx *store.Tx) error {
		if prev, err := tx.A2ATaskOfConversation(got.ConversationID); err == nil {
			task = prev
			return nil
		} else if parley.ErrorCode(err) != parley.ENOTFOUND {
			return err
		}
		task.ID, task.ConversationID, task.TokenID = string(a2a.NewTaskID()), got.ConversationID, c.TokenID
		return tx.CreateA2ATask(&task)
	})
	if err == nil && task.TokenID != c.TokenID {
		// Another token's message id collided with this conversation: it
		// cannot be, as ids are scoped by token; refuse rather than show.
		return store.A2ATask{}, &a2a.Error{Err: a2a.ErrTaskNotFound, Message: "no such task"}
	}
	return task, failure(err, "open the task")
}

// owned returns the caller's task id: another token's, like an unknown
// one, is not found (an answer says nothing about others' tasks).
func (h *handler) owned(ctx context.Context, id a2a.TaskID) (store.A2ATask, error) {
	t, err := h.s.DB.A2ATask(ctx, string(id))
	if err == nil && t.TokenID != callerFrom(ctx).TokenID {
		err = parley.Errorf(parley.ENOTFOUND, "no task %s", id)
	}
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		return t, &a2a.Error{Err: a2a.ErrTaskNotFound, Message: fmt.Sprintf("no task %s for this token", id)}
	}
	return t, failure(err, "read the task")
}

func (h *handler) SendMessage(ctx context.Context, req *a2a.SendMessageRequest) (res a2a.SendMessageResult, err error) {
	began, subject := time.Now(), ""
	defer func() { h.audit(ctx, "SendMessage", subject, err, began) }()
	task, err := h.send(ctx, req)
	if err != nil {
		return nil, err
	}
	subject = task.ID
	var n *int
	if req.Config != nil {
		n = req.Config.HistoryLength
	}
	return h.view(ctx, task, n)
}

func (h *handler) GetTask(ctx context.Context, req *a2a.GetTaskRequest) (t *a2a.Task, err error) {
	defer func(began time.Time) { h.audit(ctx, "GetTask", string(req.ID), err, began) }(time.Now())
	task, err := h.owned(ctx, req.ID)
	if err != nil {
		return nil, err
	}
	return h.view(ctx, task, req.HistoryLength)
}

func (h *handler) CancelTask(ctx context.Context, req *a2a.CancelTaskRequest) (t *a2a.Task, err error) {
	defer func(began time.Time) { h.audit(ctx, "CancelTask", string(req.ID), err, began) }(time.Now())
	if err := mayWrite(callerFrom(ctx)); err != nil {
		return nil, err
	}
	task, err := h.owned(ctx, req.ID)
	if err != nil {
		return nil, err
	}
	view, err := h.view(ctx, task, nil)
	if err != nil {
		return nil, err
	}
	if view.Status.State.Terminal() {
		return nil, &a2a.Error{Err: a2a.ErrTaskNotCancelable, Message: fmt.Sprintf("task %s is already %s", task.ID, view.Status.State)}
	}
	// The cancellation and the note saying so commit together; then the
	// conversation is resolved, so nothing is left waiting for a person.
	_, err = h.s.Inbox.AddNoteWith(ctx, inbox.System, task.ConversationID,
		inbox.Outgoing{Text: "The outside agent cancelled this task (A2A CancelTask)."},
		func(tx *store.Tx, _ parley.Message) error {
			if ok, err := tx.CancelA2ATask(task.ID); err != nil || ok {
				return err
			}
			return parley.Errorf(parley.ECONFLICT, "task %s was cancelled meanwhile", task.ID)
		})
	if err != nil {
		return nil, failure(err, "cancel the task")
	}
	resolved := parley.StatusResolved
	if _, err := h.s.Inbox.Update(ctx, inbox.System, task.ConversationID, inbox.Change{Status: &resolved}); err != nil && parley.ErrorCode(err) != parley.EINVALID {
		return nil, failure(err, "close the conversation")
	}
	task, err = h.owned(ctx, req.ID)
	if err != nil {
		return nil, err
	}
	return h.view(ctx, task, nil)
}

func (h *handler) ListTasks(ctx context.Context, req *a2a.ListTasksRequest) (res *a2a.ListTasksResponse, err error) {
	defer func(began time.Time) { h.audit(ctx, "ListTasks", req.ContextID, err, began) }(time.Now())
	size := req.PageSize
	switch {
	case size == 0:
		size = 50
	case size < 1 || size > 100:
		return nil, &a2a.Error{Err: a2a.ErrInvalidParams, Message: "pageSize is between 1 and 100"}
	}
	if req.Status != "" && !validState(req.Status) {
		return nil, &a2a.Error{Err: a2a.ErrInvalidParams, Message: fmt.Sprintf("unknown status %q", req.Status)}
	}
	c := callerFrom(ctx)
	res = &a2a.ListTasksResponse{Tasks: []*a2a.Task{}}
	before := req.PageToken
	// A status filter is on the state read from each conversation, so
	// pages are read until one is full (at most ten reads a call).
	for range 10 {
		list, err := h.s.DB.A2ATasks(ctx, store.A2ATaskFilter{TokenID: c.TokenID, ContextID: req.ContextID, Before: before, Limit: size + 1})
		if err != nil {
			return nil, failure(err, "list tasks")
		}
		for i, t := range list {
			if len(res.Tasks) == size || i == size {
				res.NextPageToken = before
				break
			}
			before = t.ID
			v, err := h.view(ctx, t, req.HistoryLength)
			if err != nil {
				return nil, err
			}
			if req.Status != "" && v.Status.State != req.Status {
				continue
			}
			if req.StatusTimestampAfter != nil && v.Status.Timestamp != nil && !v.Status.Timestamp.After(*req.StatusTimestampAfter) {
				continue
			}
			res.Tasks = append(res.Tasks, v)
		}
		if res.NextPageToken != "" || len(list) <= size {
			break
		}
	}
	res.PageSize, res.TotalSize = len(res.Tasks), len(res.Tasks)
	return res, nil
}

func validState(s a2a.TaskState) bool {
	switch s {
	case a2a.TaskStateSubmitted, a2a.TaskStateWorking, a2a.TaskStateInputRequired, a2a.TaskStateCompleted,
		a2a.TaskStateCanceled, a2a.TaskStateFailed, a2a.TaskStateRejected, a2a.TaskStateAuthRequired:
		return true
	}
	return false
}

func (h *handler) SendStreamingMessage(ctx context.Context, req *a2a.SendMessageRequest) iter.Seq2[a2a.Event, error] {
	return func(yield func(a2a.Event, error) bool) {
		began := time.Now()
		// Watch before writing: nothing the team does after the message
		// is stored can be missed.
		w := h.watch()
		defer w.stop()
		task, err := h.send(ctx, req)
		h.audit(ctx, "SendStreamingMessage", task.ID, err, began)
		if err != nil {
			yield(nil, err)
			return
		}
		h.follow(ctx, w, task, yield)
	}
}

func (h *handler) SubscribeToTask(ctx context.Context, req *a2a.SubscribeToTaskRequest) iter.Seq2[a2a.Event, error] {
	return func(yield func(a2a.Event, error) bool) {
		began := time.Now()
		w := h.watch()
		defer w.stop()
		task, err := h.owned(ctx, req.ID)
		if err == nil {
			var v *a2a.Task
			if v, err = h.view(ctx, task, nil); err == nil && v.Status.State.Terminal() {
				err = &a2a.Error{Err: a2a.ErrUnsupportedOperation, Message: fmt.Sprintf("task %s is %s: there is nothing more to follow", task.ID, v.Status.State)}
			}
		}
		h.audit(ctx, "SubscribeToTask", string(req.ID), err, began)
		if err != nil {
			yield(nil, err)
			return
		}
		h.follow(ctx, w, task, yield)
	}
}

func (h *handler) GetTaskPushConfig(context.Context, *a2a.GetTaskPushConfigRequest) (*a2a.PushConfig, error) {
	return nil, a2a.ErrPushNotificationNotSupported
}

func (h *handler) ListTaskPushConfigs(context.Context, *a2a.ListTaskPushConfigRequest) (*a2a.ListTaskPushConfigResponse, error) {
	return nil, a2a.ErrPushNotificationNotSupported
}

func (h *handler) CreateTaskPushConfig(context.Context, *a2a.PushConfig) (*a2a.PushConfig, error) {
	return nil, a2a.ErrPushNotificationNotSupported
}

func (h *handler) DeleteTaskPushConfig(context.Context, *a2a.DeleteTaskPushConfigRequest) error {
	return a2a.ErrPushNotificationNotSupported
}

func (h *handler) GetExtendedAgentCard(context.Context, *a2a.GetExtendedAgentCardRequest) (*a2a.AgentCard, error) {
	return nil, a2a.ErrExtendedCardNotConfigured
}
