// Package bulk applies one action to many conversations at once (assign,
// label, priority, snooze, resolve, reopen): each conversation through
// the inbox's own use case, with its own event and its own checks, so a
// bulk action is exactly the single actions it stands for. It reports
// per conversation what failed and why (those are not changed), and for
// each one it changed, how to put it back (undo).
package bulk

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
)

// MaxConversations bounds one bulk action: a page of a view, and more.
const MaxConversations = 500

// Action is what to do to each conversation. Exactly one field is set.
type Action struct {
	// Assign sets the assignee: an agent's id, or 0 to unassign.
	Assign *int64 `json:"assign,omitempty"`
	// AddLabel and RemoveLabel change one label, keeping the others.
	AddLabel    string `json:"add_label,omitempty"`
	RemoveLabel string `json:"remove_label,omitempty"`
	// Priority sets the priority.
	Priority parley.Priority `json:"priority,omitempty"`
	// Status resolves (resolved), reopens (open) or marks pending.
	Status parley.Status `json:"status,omitempty"`
	// SnoozeUntil snoozes until then.
	SnoozeUntil *time.Time `json:"snooze_until,omitempty"`
}

// Undo puts one conversation back as it was before an action: its
// assignee, labels, priority and status (a snooze is undone by the
// status it had).
type Undo struct {
	ID         int64           `json:"id"`
	AssigneeID int64           `json:"assignee_id"` // 0: none
	Labels     []string        `json:"labels"`
	Priority   parley.Priority `json:"priority"`
	Status     parley.Status   `json:"status"`
}

// Failure is one conversation the action could not change, and why.
type Failure struct {
	ID     int64  `json:"id"`
	Reason string `json:"reason"`
}

// Result is what happened: the conversations changed (with how to undo
// each) and those that failed.
type Result struct {
	Changed []int64   `json:"changed"`
	Failed  []Failure `json:"failed"`
	Undo    []Undo    `json:"undo"`
}

func (a Action) check() error {
	n := 0
	for _, set := range []bool{a.Assign != nil, a.AddLabel != "", a.RemoveLabel != "", a.Priority != "", a.Status != "", a.SnoozeUntil != nil} {
		if set {
			n++
		}
	}
	switch {
	case n != 1:
		return parley.Errorf(parley.EINVALID, "a bulk action does one thing: assign, add_label, remove_label, priority, status or snooze_until")
	case a.Priority != "" && !a.Priority.Valid():
		return parley.Errorf(parley.EINVALID, "priority %q is not one of low, normal, high, urgent", a.Priority)
	case a.Status != "" && a.Status != parley.StatusResolved && a.Status != parley.StatusOpen && a.Status != parley.StatusPending:
		return parley.Errorf(parley.EINVALID, "status is resolved, open (reopen) or pending; to snooze, use snooze_until")
	}
	for _, l := range []string{a.AddLabel, a.RemoveLabel} {
		if l != "" {
			if _, err := parley.NormalizeLabels([]string{l}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Apply does a to each conversation of ids, as actor. The action itself
// being wrong (two things at once, an unknown priority) or too many ids
// is an error and changes nothing; a conversation that refuses (gone, a
// transition its state does not allow, an agent who may not) is a
// Failure, and the others go on.
func Apply(ctx context.Context, svc *inbox.Service, actor inbox.Actor, ids []int64, a Action) (Result, error) {
	res := Result{Changed: []int64{}, Failed: []Failure{}, Undo: []Undo{}}
	if err := a.check(); err != nil {
		return res, err
	}
	ids = unique(ids)
	switch {
	case len(ids) == 0:
		return res, parley.Errorf(parley.EINVALID, "select at least one conversation")
	case len(ids) > MaxConversations:
		return res, parley.Errorf(parley.EINVALID, "at most %d conversations at once", MaxConversations)
	}
	for _, id := range ids {
		before, err := svc.DB.Conversation(ctx, id)
		if err == nil {
			err = apply(ctx, svc, actor, before, a)
		}
		if err != nil {
			res.Failed = append(res.Failed, Failure{ID: id, Reason: parley.ErrorMessage(err)})
			continue
		}
		res.Changed = append(res.Changed, id)
		u := Undo{ID: id, Labels: before.Labels, Priority: before.Priority, Status: before.Status}
		if u.Labels == nil {
			u.Labels = []string{}
		}
		if before.AssigneeID != nil {
			u.AssigneeID = *before.AssigneeID
		}
		res.Undo = append(res.Undo, u)
	}
	return res, nil
}

func apply(ctx context.Context, svc *inbox.Service, actor inbox.Actor, c parley.Conversation, a Action) error {
	var err error
	switch {
	case a.SnoozeUntil != nil:
		_, err = svc.Snooze(ctx, actor, c.ID, a.SnoozeUntil)
	case a.Status != "":
		if c.Status == a.Status {
			return parley.Errorf(parley.ECONFLICT, "it is already %s", a.Status)
		}
		_, err = svc.Update(ctx, actor, c.ID, inbox.Change{Status: &a.Status})
	case a.Assign != nil:
		_, err = svc.Update(ctx, actor, c.ID, inbox.Change{AssigneeID: a.Assign})
	case a.Priority != "":
		_, err = svc.Update(ctx, actor, c.ID, inbox.Change{Priority: &a.Priority})
	case a.AddLabel != "":
		_, err = svc.Update(ctx, actor, c.ID, inbox.Change{AddLabels: []string{a.AddLabel}})
	case a.RemoveLabel != "":
		_, err = svc.Update(ctx, actor, c.ID, inbox.Change{RemoveLabels: []string{a.RemoveLabel}})
	}
	return err
}

// Revert puts conversations back as undo says, each through the inbox's
// use cases (so each change is an event of its own, and what the agent
// may not do is refused). What cannot be put back is a Failure.
func Revert(ctx context.Context, svc *inbox.Service, actor inbox.Actor, undo []Undo) (Result, error) {
	res := Result{Changed: []int64{}, Failed: []Failure{}, Undo: []Undo{}}
	if len(undo) == 0 || len(undo) > MaxConversations {
		return res, parley.Errorf(parley.EINVALID, "undo 1 to %d conversations", MaxConversations)
	}
	for _, u := range undo {
		if !u.Priority.Valid() || (u.Status != parley.StatusOpen && u.Status != parley.StatusPending && u.Status != parley.StatusResolved && u.Status != parley.StatusSnoozed) {
			res.Failed = append(res.Failed, Failure{ID: u.ID, Reason: "not a state to go back to"})
			continue
		}
		c, err := svc.DB.Conversation(ctx, u.ID)
		if err == nil {
			ch := inbox.Change{Priority: &u.Priority, AssigneeID: &u.AssigneeID}
			labels := slices.Clone(u.Labels)
			ch.Labels = &labels
			switch {
			case u.Status == c.Status:
			case u.Status == parley.StatusSnoozed:
				// Snoozed again until the customer writes: the time it had
				// is not known here, and waking early is the safe side.
				if _, err = svc.Snooze(ctx, actor, u.ID, nil); err != nil {
					break
				}
			default:
				ch.Status = &u.Status
			}
			if err == nil {
				_, err = svc.Update(ctx, actor, u.ID, ch)
			}
		}
		if err != nil {
			res.Failed = append(res.Failed, Failure{ID: u.ID, Reason: parley.ErrorMessage(err)})
			continue
		}
		res.Changed = append(res.Changed, u.ID)
	}
	return res, nil
}

func unique(ids []int64) []int64 {
	out := make([]int64, 0, len(ids))
	seen := map[int64]bool{}
	for _, id := range ids {
		if id > 0 && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Summary says a result in words: "Resolved 48 of 50; 2 could not be".
func Summary(verb string, r Result) string {
	total := len(r.Changed) + len(r.Failed)
	s := fmt.Sprintf("%s %d of %d", verb, len(r.Changed), total)
	if len(r.Failed) > 0 {
		s += fmt.Sprintf("; %d could not be", len(r.Failed))
	}
	return s
}
