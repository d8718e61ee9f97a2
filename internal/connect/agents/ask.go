package agents

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/jobs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// JobAsk is the job that asks an agent on an agent's behalf and writes
// its answer on the conversation.
const JobAsk = "agents.ask"

// Asking is "ask an agent" from a conversation: the question is an
// internal note by the agent who asked, and the answer another, by
// Parley, saying which agent and task it came from. The asking happens
// in a durable job, so a restart loses neither.
type Asking struct {
	Agents *Service
	Inbox  *inbox.Service
	Wake   func()
	// Poll is how long the job waits before reading again a task the
	// agent is still working on (2 s when zero).
	Poll time.Duration
}

type askPayload struct {
	ConversationID int64  `json:"conversation_id"`
	Agent          string `json:"agent"`
	Text           string `json:"text"`
	NoteID         int64  `json:"note_id"` // the question's note: its id makes the message id
	TaskID         string `json:"task_id,omitempty"`
}

// RegisterJobs registers the asking job.
func (a *Asking) RegisterJobs(r *jobs.Runner) { r.Handle(JobAsk, a.run) }

// Ask asks agent text about a conversation, as actor (who must be able
// to write on it). The question is noted at once; the answer follows.
func (a *Asking) Ask(ctx context.Context, actor inbox.Actor, conversationID int64, agent, text string) (parley.Message, error) {
	text = strings.TrimSpace(parley.CleanText(text))
	if text == "" || len(text) > 4000 {
		return parley.Message{}, parley.Errorf(parley.EINVALID, "a question for an agent is 1 to 4000 characters")
	}
	if _, err := a.Agents.DB.RemoteAgentByName(ctx, agent); parley.ErrorCode(err) == parley.ENOTFOUND {
		return parley.Message{}, parley.Errorf(parley.EINVALID, "there is no remote agent named %q (Settings → Agents)", agent)
	} else if err != nil {
		return parley.Message{}, err
	}
	return a.Inbox.AddNoteWith(ctx, actor, conversationID, inbox.Outgoing{Text: fmt.Sprintf("Asked the agent %s: %s", agent, text)},
		func(tx *store.Tx, m parley.Message) error {
			return a.enqueue(tx, askPayload{ConversationID: conversationID, Agent: agent, Text: text, NoteID: m.ID}, tx.Now())
		})
}

func (a *Asking) enqueue(tx *store.Tx, p askPayload, at time.Time) error {
	b, _ := json.Marshal(p)
	if _, err := tx.EnqueueJob(JobAsk, string(b), at, 8); err != nil {
		return err
	}
	if a.Wake != nil {
		tx.AfterCommit(a.Wake)
	}
	return nil
}

// run asks (or, once the agent opened a task, reads the task again) and
// writes the answer as a note by Parley, committed with the job's end:
// a job run twice writes it once.
func (a *Asking) run(ctx context.Context, j store.Job) error {
	var p askPayload
	if err := json.Unmarshal([]byte(j.Payload), &p); err != nil {
		return fmt.Errorf("agents: ask payload: %w", err)
	}
	var ans Answer
	var err error
	if p.TaskID != "" {
		ans, err = a.Agents.Check(ctx, p.Agent, p.TaskID)
	} else {
		ans, err = a.Agents.Ask(ctx, p.Agent, Question{MessageID: fmt.Sprintf("parley-ask-%d", p.NoteID), Text: p.Text})
	}
	var text string
	switch {
	case err != nil && j.Attempts < j.MaxAttempts && isUnavailable(err):
		return err // the runner tries again with backoff
	case err != nil:
		text = fmt.Sprintf("The agent %s could not be asked: %s", p.Agent, parley.ErrorMessage(err))
	case !ans.Done():
		// Still working: read its task again soon, as a new job that
		// commits with this one's end.
		p.TaskID = ans.TaskID
		return a.finish(ctx, j, func(tx *store.Tx) error { return a.enqueue(tx, p, tx.Now().Add(a.poll())) }, "", 0)
	case ans.Failed():
		text = fmt.Sprintf("The agent %s could not answer (%s, task %s): %s", p.Agent, strings.ToLower(strings.TrimPrefix(ans.State, "TASK_STATE_")), ans.TaskID, ans.Text)
	default:
		text = fmt.Sprintf("Answer from the agent %s (A2A task %s):\n%s", p.Agent, orNone(ans.TaskID), ans.Text)
		if len(ans.Data) > 0 {
			text += "\n" + dataLines(ans.Data)
		}
	}
	return a.finish(ctx, j, func(*store.Tx) error { return nil }, text, p.ConversationID)
}

// finish ends the job in the same transaction as also (and the answer's
// note, when there is one): if another worker ended it first, nothing
// is written twice.
func (a *Asking) finish(ctx context.Context, j store.Job, also func(*store.Tx) error, note string, conversationID int64) error {
	write := func(tx *store.Tx) error {
		if err := jobs.Finish(tx, j); err != nil {
			return err
		}
		return also(tx)
	}
	var err error
	if note != "" {
		_, err = a.Inbox.AddNoteWith(ctx, inbox.System, conversationID, inbox.Outgoing{Text: clipLong(note)},
			func(tx *store.Tx, _ parley.Message) error { return write(tx) })
	} else {
		err = a.Agents.DB.Write(ctx, write)
	}
	if err == nil || parley.ErrorCode(err) == parley.ECONFLICT {
		return jobs.Finished
	}
	return err
}

func (a *Asking) poll() time.Duration {
	if a.Poll > 0 {
		return a.Poll
	}
	return 2 * time.Second
}

func isUnavailable(err error) bool {
	_, ok := err.(*unavailableError)
	return ok
}

func orNone(id string) string {
	if id == "" {
		return "none: a direct answer"
	}
	return id
}

// dataLines shows an answer's data fields, one per line, in name order.
func dataLines(data map[string]any) string {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		v, _ := json.Marshal(data[k])
		fmt.Fprintf(&b, "• %s: %s\n", k, v)
	}
	return strings.TrimRight(b.String(), "\n")
}
