package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

func (e *Engine) runIf(ctx context.Context, run store.FlowRun, d *Definition, s *Step, env map[string]any) error {
	ok, err := evalBool(s.when, env)
	if err != nil {
		return e.fail(ctx, run, s, err.Error())
	}
	next := d.after(s)
	if ok && s.Then != "" {
		next = s.Then
	} else if !ok && s.Else != "" {
		next = s.Else
	}
	if next == "end" {
		next = ""
	}
	return e.DB.Write(ctx, func(tx *store.Tx) error {
		return e.record(tx, run.ID, s, nil, map[string]any{"result": ok}, next)
	})
}

func (e *Engine) runSet(ctx context.Context, run store.FlowRun, d *Definition, s *Step, env map[string]any) error {
	out := map[string]any{}
	for k := range s.Values {
		v, err := s.texts["values."+k].value(env, nil)
		if err != nil {
			return e.fail(ctx, run, s, err.Error())
		}
		out[k] = v
	}
	return e.DB.Write(ctx, func(tx *store.Tx) error { return e.record(tx, run.ID, s, nil, out, d.after(s)) })
}

// runNote writes the note and the step's record in one transaction: the
// note exists exactly when the step is done.
func (e *Engine) runNote(ctx context.Context, run store.FlowRun, d *Definition, s *Step, env map[string]any) error {
	if run.ConversationID == nil {
		return e.fail(ctx, run, s, "a note needs a conversation, and this run has none")
	}
	text, err := s.texts["text"].render(env, nil)
	if err != nil {
		return e.fail(ctx, run, s, err.Error())
	}
	_, err = e.Inbox.AddNoteWith(ctx, inbox.System, *run.ConversationID, inbox.Outgoing{Text: text},
		func(tx *store.Tx, m parley.Message) error {
			return e.record(tx, run.ID, s, map[string]any{"text": text}, map[string]any{"message_id": m.ID}, d.after(s))
		})
	if err != nil && !errors.Is(err, errStale) && parley.ErrorCode(err) != parley.EINTERNAL {
		// The conversation is gone or refuses the note: end the run
		// with the reason rather than retrying what cannot succeed.
		return e.fail(ctx, run, s, parley.ErrorMessage(err))
	}
	return err
}

// runReply sends the customer a message on the conversation's channel,
// through its rules (a reply window, opt-outs), and records the step in
// the message's own transaction: the message is queued for sending (by
// the channel's durable send job) exactly when the step is done. A reply
// the channel refuses (outside WhatsApp's 24 hours, say) fails the step
// with the channel's reason.
func (e *Engine) runReply(ctx context.Context, run store.FlowRun, d *Definition, s *Step, env map[string]any) error {
	if run.ConversationID == nil {
		return e.fail(ctx, run, s, "a reply needs a conversation, and this run has none")
	}
	text, err := s.texts["text"].render(env, nil)
	if err != nil {
		return e.fail(ctx, run, s, err.Error())
	}
	return e.send(ctx, run, d, s, inbox.Outgoing{Text: text, Automated: true}, map[string]any{"text": text})
}

// send writes out to the run's contact as Parley's own message and
// records the step in the same transaction, so it is sent once. What the
// channel refuses (a closed window, an opt-out, no address) fails the
// step with the channel's reason.
func (e *Engine) send(ctx context.Context, run store.FlowRun, d *Definition, s *Step, out inbox.Outgoing, input map[string]any) error {
	_, err := e.Inbox.ReplyWith(ctx, inbox.System, *run.ConversationID, out,
		func(tx *store.Tx, m parley.Message) error {
			return e.record(tx, run.ID, s, input, map[string]any{"message_id": m.ID}, d.after(s))
		})
	if err != nil && !errors.Is(err, errStale) && parley.ErrorCode(err) != parley.EINTERNAL {
		return e.fail(ctx, run, s, parley.ErrorMessage(err))
	}
	return err
}

// runEmail writes to the run's contact by email, whatever channel the
// conversation is on (a label link to a WhatsApp customer), through an
// email inbox: the one the step names, else the first. It is a message
// in the conversation like a reply, so agents see it, the channel's rules
// (an address, an opt-out) decide, and it is sent once.
func (e *Engine) runEmail(ctx context.Context, run store.FlowRun, d *Definition, s *Step, env map[string]any) error {
	if run.ConversationID == nil {
		return e.fail(ctx, run, s, "an email needs a conversation, and this run has none")
	}
	text, err := s.texts["text"].render(env, nil)
	if err != nil {
		return e.fail(ctx, run, s, err.Error())
	}
	subject := ""
	if t := s.texts["subject"]; t != nil {
		if subject, err = t.render(env, nil); err != nil {
			return e.fail(ctx, run, s, err.Error())
		}
	}
	via, err := e.emailInbox(ctx, s.Inbox)
	if err != nil {
		return e.fail(ctx, run, s, parley.ErrorMessage(err))
	}
	return e.send(ctx, run, d, s, inbox.Outgoing{Text: text, Subject: subject, ViaInboxID: via, Automated: true},
		map[string]any{"text": text, "subject": subject, "inbox_id": via})
}

// emailInbox is the email inbox named name, or the first one.
func (e *Engine) emailInbox(ctx context.Context, name string) (int64, error) {
	list, err := e.DB.Inboxes(ctx)
	if err != nil {
		return 0, err
	}
	for _, in := range list {
		if in.ChannelType == parley.ChannelEmail && (name == "" || strings.EqualFold(in.Name, name)) {
			return in.ID, nil
		}
	}
	if name != "" {
		return 0, parley.Errorf(parley.ENOTFOUND, "there is no email inbox named %q", name)
	}
	return 0, parley.Errorf(parley.ENOTFOUND, "there is no email inbox to send from: add one in Settings → Inboxes")
}

// runWait waits: the first time, it records the step as started with the
// time it ends and queues the run's next look for then; at that look, it
// records the step done. The time is in the database, so a wait survives
// restarts, and a look that comes early (a retry) waits again.
func (e *Engine) runWait(ctx context.Context, run store.FlowRun, d *Definition, s *Step) error {
	err := e.DB.Write(ctx, func(tx *store.Tx) error {
		cur, rec, err := e.atStep(tx, run.ID, s)
		if err != nil {
			return err
		}
		var in struct {
			Until time.Time `json:"until"`
			After int64     `json:"after_message_id,omitempty"` // waiting for a reply after this message
		}
		if rec.State == "started" {
			if err := json.Unmarshal([]byte(rec.Input), &in); err != nil {
				return err
			}
		} else {
			in.Until = tx.Now().Add(s.wait)
			if s.Until == "reply" {
				if cur.ConversationID == nil {
					return errNoConversation
				}
				if in.After, err = tx.LastMessageID(*cur.ConversationID); err != nil {
					return err
				}
			}
			rec.Input, rec.State, rec.Attempts = jsonText(in), "started", 1
			if err := tx.SaveFlowStep(&rec); err != nil {
				return err
			}
		}
		if s.Until == "reply" {
			// Woken by the trigger consumer when the customer writes on the
			// conversation, or at the end of the wait.
			id, text, ok, err := tx.CustomerMessageAfter(*cur.ConversationID, in.After)
			if err != nil {
				return err
			}
			if ok {
				return e.record(tx, run.ID, s, nil, map[string]any{"replied": true, "message_id": id, "text": text}, d.after(s))
			}
			if !tx.Now().Before(in.Until) {
				return e.record(tx, run.ID, s, nil, map[string]any{"replied": false}, d.after(s))
			}
			return e.enqueueAt(tx, run.ID, in.Until)
		}
		if tx.Now().Before(in.Until) {
			return e.enqueueAt(tx, run.ID, in.Until)
		}
		return e.record(tx, run.ID, s, nil, map[string]any{"waited_until": in.Until}, d.after(s))
	})
	if errors.Is(err, errNoConversation) {
		return e.fail(ctx, run, s, "waiting for a reply needs a conversation, and this run has none")
	}
	return err
}

// runUpdate changes the run's conversation (labels, priority, status) in
// the transaction that records the step, as Parley itself (the timeline
// shows who: the workflow's line beside the change).
func (e *Engine) runUpdate(ctx context.Context, run store.FlowRun, d *Definition, s *Step) error {
	if run.ConversationID == nil {
		return e.fail(ctx, run, s, "an update needs a conversation, and this run has none")
	}
	ch := inbox.Change{AddLabels: s.AddLabels, RemoveLabels: s.RemoveLabels}
	if s.Priority != "" {
		p := parley.Priority(s.Priority)
		ch.Priority = &p
	}
	var wantStatus parley.Status
	if s.Status != "" {
		wantStatus = parley.Status(s.Status)
	}
	// A team by its name and an agent by their email, looked up now: a
	// name that no longer exists fails the step with that reason.
	if s.Team != "" {
		id := int64(0)
		if s.Team != "none" {
			teams, err := e.DB.Teams(ctx)
			if err != nil {
				return err
			}
			for _, t := range teams {
				if strings.EqualFold(t.Name, s.Team) {
					id = t.ID
				}
			}
			if id == 0 {
				return e.fail(ctx, run, s, fmt.Sprintf("there is no team %q", s.Team))
			}
		}
		ch.TeamID = &id
	}
	if s.Assignee != "" {
		id := int64(0)
		if s.Assignee != "none" {
			a, _, err := e.DB.AgentByEmail(ctx, s.Assignee)
			if parley.ErrorCode(err) == parley.ENOTFOUND {
				return e.fail(ctx, run, s, fmt.Sprintf("there is no agent %s", s.Assignee))
			} else if err != nil {
				return err
			}
			id = a.ID
		}
		ch.AssigneeID = &id
	}
	err := e.DB.Read(ctx, func(tx *store.Tx) error {
		c, err := tx.Conversation(*run.ConversationID)
		if err == nil && wantStatus != "" && c.Status != wantStatus {
			ch.Status = &wantStatus // a status it already has is no change
		}
		return err
	})
	if err == nil {
		_, err = e.Inbox.UpdateWith(ctx, inbox.System, *run.ConversationID, ch, func(tx *store.Tx, c parley.Conversation) error {
			return e.record(tx, run.ID, s, nil, map[string]any{"labels": c.Labels, "priority": c.Priority, "status": c.Status}, d.after(s))
		})
	}
	if err != nil && !errors.Is(err, errStale) && parley.ErrorCode(err) != parley.EINTERNAL {
		return e.fail(ctx, run, s, parley.ErrorMessage(err))
	}
	return err
}
