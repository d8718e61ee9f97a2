package inbox

import (
	"context"
	"encoding/json"
	"time"

	"github.com/parleyhq/parley/internal/fill"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// JobAutoResolve resolves a conversation left pending on the customer.
const JobAutoResolve = "conversation.autoresolve"

type autoResolvePayload struct {
	ConversationID int64 `json:"conversation_id"`
	Since          int64 `json:"since"` // pending since, Unix µs: a later change makes the job moot
}

// scheduleAutoResolve enqueues the auto-resolve of a conversation that
// just became pending, in an inbox that resolves them after some days.
func (s *Service) scheduleAutoResolve(tx *store.Tx, in parley.Inbox, before parley.Conversation, c parley.Conversation) error {
	if in.Routing.AutoResolveDays <= 0 || c.Status != parley.StatusPending || before.Status == parley.StatusPending {
		return nil
	}
	now := tx.Now()
	return s.enqueue(tx, JobAutoResolve, autoResolvePayload{ConversationID: c.ID, Since: now.UnixMicro()},
		now.Add(time.Duration(in.Routing.AutoResolveDays)*24*time.Hour), 5)
}

// AutoResolve is the conversation.autoresolve job: a conversation still
// pending, with nothing new since it was set pending, is resolved, with
// the inbox's closing message when it has one.
func (s *Service) AutoResolve(ctx context.Context, payload string) error {
	var p autoResolvePayload
	if err := json.Unmarshal([]byte(payload), &p); err != nil {
		return &PermanentError{err}
	}
	c, err := s.DB.Conversation(ctx, p.ConversationID)
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	if c.Status != parley.StatusPending || c.LastActivityAt.UnixMicro() > p.Since {
		return nil // the customer wrote, or an agent moved it, since
	}
	in, err := s.inbox(ctx, c.InboxID)
	if err != nil {
		return err
	}
	if msg := in.Routing.AutoResolveMessage; msg != "" {
		contact, err := s.DB.Contact(ctx, c.ContactID)
		if err != nil {
			return err
		}
		msg = fill.Fill(msg, contactVars(contact, parley.Agent{}))
		if _, err := s.write(ctx, System, c.ID, parley.Outgoing, Outgoing{Text: msg}); err != nil &&
			parley.ErrorCode(err) != parley.ECONFLICT && parley.ErrorCode(err) != parley.EINVALID {
			return err
		}
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		cur, err := tx.Conversation(c.ID)
		if err != nil {
			return err
		}
		if cur.Status != parley.StatusPending {
			return nil
		}
		before := cur
		from := cur.Status
		if cur.Status, err = parley.Transition(from, parley.ActionResolve); err != nil {
			return err
		}
		now := tx.Now()
		cur.ResolvedAt = &now
		if err := s.trackChange(tx, before, &cur); err != nil {
			return err
		}
		if err := tx.SaveConversation(&cur); err != nil {
			return err
		}
		return statusEvent(tx, &cur, from, "auto_resolve", nil)
	})
}
