package inbox

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Change is a set of edits to a conversation; nil fields stay as they are.
type Change struct {
	Status   *parley.Status
	Priority *parley.Priority
	// AssigneeID and TeamID: a pointer to 0 clears them.
	AssigneeID *int64
	TeamID     *int64
	Labels     *[]string
	// AddLabels and RemoveLabels change the labels the conversation has
	// when the change is made (a workflow's step), where Labels replaces
	// them all.
	AddLabels, RemoveLabels []string
}

// Update applies a change to a conversation, each part with its own event,
// all or nothing. Returns EINVALID for a transition the lifecycle does not
// allow or an unknown priority, ENOTFOUND for an unknown conversation,
// agent or team.
func (s *Service) Update(ctx context.Context, actor Actor, id int64, ch Change) (c parley.Conversation, err error) {
	return s.UpdateWith(ctx, actor, id, ch, nil)
}

// UpdateWith is Update with also run in its transaction once the change is
// saved (a workflow records its step there, so the change is made
// exactly when the step is done). An error from also changes nothing.
func (s *Service) UpdateWith(ctx context.Context, actor Actor, id int64, ch Change, also func(*store.Tx, parley.Conversation) error) (c parley.Conversation, err error) {
	if ch.Status != nil && *ch.Status == parley.StatusSnoozed {
		return c, parley.Errorf(parley.EINVALID, "to snooze a conversation, use snooze with a time (or none, to wait for the customer)")
	}
	if ch.Priority != nil && !ch.Priority.Valid() {
		return c, parley.Errorf(parley.EINVALID, "priority %q is not one of low, normal, high, urgent", *ch.Priority)
	}
	var labels []string
	if ch.Labels != nil {
		if labels, err = parley.NormalizeLabels(*ch.Labels); err != nil {
			return c, err
		}
	}
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		c, err = tx.Conversation(id)
		if err != nil {
			return err
		}
		before := c
		ev := func(typ string, data any) error {
			return tx.AppendEvent(&parley.Event{Type: typ, ConversationID: &c.ID, ContactID: &c.ContactID, AgentID: actor.AgentID}, data)
		}
		if ch.Status != nil {
			if err := applyStatus(tx, &c, *ch.Status, actor); err != nil {
				return err
			}
		}
		if ch.Priority != nil && *ch.Priority != c.Priority {
			from := c.Priority
			c.Priority = *ch.Priority
			if err := ev(parley.EventConversationPriority, map[string]string{"from": string(from), "to": string(c.Priority)}); err != nil {
				return err
			}
		}
		if ch.AssigneeID != nil && !sameID(c.AssigneeID, *ch.AssigneeID) {
			if *ch.AssigneeID != 0 {
				a, err := tx.Agent(*ch.AssigneeID)
				if err != nil {
					return err
				}
				if !a.Active {
					return parley.Errorf(parley.EINVALID, "agent %d is deactivated and cannot be assigned", a.ID)
				}
			}
			from := c.AssigneeID
			c.AssigneeID = optionalID(*ch.AssigneeID)
			if err := ev(parley.EventConversationAssigned, map[string]*int64{"from": from, "to": c.AssigneeID}); err != nil {
				return err
			}
		}
		if ch.TeamID != nil && !sameID(c.TeamID, *ch.TeamID) {
			if *ch.TeamID != 0 {
				if _, err := tx.Team(*ch.TeamID); err != nil {
					return err
				}
			}
			from := c.TeamID
			c.TeamID = optionalID(*ch.TeamID)
			if err := ev(parley.EventConversationTeam, map[string]*int64{"from": from, "to": c.TeamID}); err != nil {
				return err
			}
		}
		if c.AssigneeID != nil {
			c.QueuedAt = nil // someone has it now
		}
		if len(ch.AddLabels)+len(ch.RemoveLabels) > 0 {
			next := slices.DeleteFunc(slices.Clone(c.Labels), func(l string) bool { return slices.Contains(ch.RemoveLabels, l) })
			if labels, err = parley.NormalizeLabels(append(next, ch.AddLabels...)); err != nil {
				return err
			}
			ch.Labels = &labels
		}
		if ch.Labels != nil && !slices.Equal(labels, c.Labels) {
			if err := tx.SetLabels(c.ID, labels); err != nil {
				return err
			}
			c.Labels = labels
			if err := ev(parley.EventConversationLabels, map[string][]string{"labels": labels}); err != nil {
				return err
			}
		}
		// After every part of the change is on c (labels included), so
		// the SLA policy is chosen by the conversation as it now is.
		if ch.Status != nil || ch.Priority != nil || ch.TeamID != nil || ch.Labels != nil {
			if err := s.trackChange(tx, before, &c); err != nil {
				return err
			}
		}
		if ch.Status != nil || ch.AssigneeID != nil {
			tx.AfterCommit(s.kickRouting) // an agent may have room now
		}
		if err := tx.SaveConversation(&c); err != nil {
			return err
		}
		if also != nil {
			return also(tx, c)
		}
		return nil
	})
	return c, err
}

// applyStatus moves c to status to by an agent's action.
func applyStatus(tx *store.Tx, c *parley.Conversation, to parley.Status, actor Actor) error {
	action, err := parley.ActionFor(to)
	if err != nil {
		return err
	}
	from := c.Status
	if from == to {
		return parley.Errorf(parley.EINVALID, "conversation %d is already %s", c.ID, to)
	}
	if c.Status, err = parley.Transition(from, action); err != nil {
		return err
	}
	c.SnoozedUntil = nil
	now := tx.Now()
	switch {
	case to == parley.StatusResolved:
		c.ResolvedAt = &now
	case from == parley.StatusResolved:
		c.ReopenCount++
	}
	return statusEvent(tx, c, from, "agent", actor.AgentID)
}

// MaxSnooze is the furthest ahead a conversation can be snoozed.
const MaxSnooze = 366 * 24 * time.Hour

// Snooze sets a conversation aside until a time, or (until nil) until the
// customer writes. A timed snooze enqueues a durable wake-up job; it
// survives restarts and fires at its moment. Returns EINVALID for a time
// in the past or more than a year ahead, or for a resolved conversation.
func (s *Service) Snooze(ctx context.Context, actor Actor, id int64, until *time.Time) (c parley.Conversation, err error) {
	if until != nil {
		u := until.UTC().Truncate(time.Microsecond)
		until = &u
		if !u.After(s.now()) {
			return c, parley.Errorf(parley.EINVALID, "snooze time %s is not in the future", u.Format(time.RFC3339))
		}
		if u.Sub(s.now()) > MaxSnooze {
			return c, parley.Errorf(parley.EINVALID, "snooze at most a year ahead")
		}
	}
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		c, err = tx.Conversation(id)
		if err != nil {
			return err
		}
		from, before := c.Status, c
		if c.Status, err = parley.Transition(from, parley.ActionSnooze); err != nil {
			return err
		}
		c.SnoozedUntil = until
		if err := s.trackChange(tx, before, &c); err != nil {
			return err
		}
		if until != nil {
			if err := s.enqueue(tx, JobSnoozeWake, wakePayload{ConversationID: c.ID, Until: until.UnixMicro()}, *until, 10); err != nil {
				return err
			}
		}
		if err := tx.SaveConversation(&c); err != nil {
			return err
		}
		return tx.AppendEvent(&parley.Event{Type: parley.EventConversationStatus, ConversationID: &c.ID, ContactID: &c.ContactID, AgentID: actor.AgentID},
			map[string]any{"from": from, "to": c.Status, "reason": "agent", "snoozed_until": until})
	})
	return c, err
}

type wakePayload struct {
	ConversationID int64 `json:"conversation_id"`
	Until          int64 `json:"until"` // Unix microseconds of the snooze this job was made for
}

// WakeSnoozed is the snooze.wake job: it reopens the conversation if it is
// still snoozed until the time the job was made for. A conversation that
// was woken, re-snoozed or resolved since is left alone.
func (s *Service) WakeSnoozed(ctx context.Context, payload string) error {
	var p wakePayload
	if err := json.Unmarshal([]byte(payload), &p); err != nil {
		return err
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		c, err := tx.Conversation(p.ConversationID)
		if err != nil {
			return err
		}
		if c.Status != parley.StatusSnoozed || c.SnoozedUntil == nil || c.SnoozedUntil.UnixMicro() != p.Until {
			return nil
		}
		from, before := c.Status, c
		if c.Status, err = parley.Transition(from, parley.ActionWake); err != nil {
			return err
		}
		c.SnoozedUntil = nil
		if err := s.trackChange(tx, before, &c); err != nil {
			return err
		}
		if err := tx.SaveConversation(&c); err != nil {
			return err
		}
		return statusEvent(tx, &c, from, "snooze_expired", nil)
	})
}

func sameID(cur *int64, want int64) bool {
	if cur == nil {
		return want == 0
	}
	return *cur == want
}

func optionalID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// trackChange moves c's SLA timers after an agent's (or a timer's)
// change, and schedules its auto-resolve when it became pending.
func (s *Service) trackChange(tx *store.Tx, before parley.Conversation, c *parley.Conversation) error {
	in, err := tx.Inbox(c.InboxID)
	if err != nil {
		return err
	}
	if _, err := s.trackSLA(tx, in, before, c, slaChange); err != nil {
		return err
	}
	if err := s.scheduleAutoResolve(tx, in, before, *c); err != nil {
		return err
	}
	if err := s.scheduleLearning(tx, in, before, *c); err != nil {
		return err
	}
	return s.scheduleSurvey(tx, in, before, *c)
}
