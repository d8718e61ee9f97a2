package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/parleyhq/parley/internal/approval"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// KindChange is a change to a conversation (its priority, its labels)
// waiting for approval: what propose_action makes of anything but a
// reply. Registered by RegisterApprovals on the approval service every
// Parley process shares, so whichever node a person approves on runs it.
const KindChange = "conversation.change"

// ChangePayload is exactly what an approved change does. Text says it in
// words, for the queue (which shows a payload's text).
type ChangePayload struct {
	Text         string           `json:"text"`
	Priority     *parley.Priority `json:"priority,omitempty"`
	AddLabels    []string         `json:"add_labels,omitempty"`
	RemoveLabels []string         `json:"remove_labels,omitempty"`
}

// describe says what p does, for people.
func (p ChangePayload) describe() string {
	var parts []string
	if p.Priority != nil {
		parts = append(parts, "set the priority to "+string(*p.Priority))
	}
	if len(p.AddLabels) > 0 {
		parts = append(parts, "add the labels "+strings.Join(p.AddLabels, ", "))
	}
	if len(p.RemoveLabels) > 0 {
		parts = append(parts, "remove the labels "+strings.Join(p.RemoveLabels, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	s := strings.Join(parts, "; ")
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

// RegisterApprovals registers KindChange on a: approving one applies it
// as the agent (or token) that proposed it, in the approval's own
// transaction.
func (s *Server) RegisterApprovals(a *approval.Service) {
	a.Register(KindChange, approval.Kind{
		// A change is bound to its payload alone, not to the world: it sets
		// the priority and adds or removes the labels it names on the
		// conversation as it is when approved, keeping whatever else
		// changed meanwhile, so its outcome is what the approver read. (A
		// reply is bound to the conversation too: a new message can make
		// its words wrong.)
		State: func(tx *store.Tx, r parley.ApprovalRequest) (json.RawMessage, error) {
			if r.ConversationID == nil {
				return nil, fmt.Errorf("mcp: change request %d has no conversation", r.ID)
			}
			if _, err := tx.Conversation(*r.ConversationID); err != nil {
				return nil, err
			}
			return json.RawMessage(`{}`), nil
		},
		Execute: func(ctx context.Context, r parley.ApprovalRequest, asker inbox.Actor, commit func(*store.Tx, *int64) error) error {
			var p ChangePayload
			if err := json.Unmarshal(r.Payload, &p); err != nil {
				return fmt.Errorf("mcp: change request %d: %w", r.ID, err)
			}
			_, err := s.Inbox.UpdateWith(ctx, asker, *r.ConversationID, inbox.Change{Priority: p.Priority, AddLabels: p.AddLabels,
				RemoveLabels: p.RemoveLabels}, func(tx *store.Tx, _ parley.Conversation) error { return commit(tx, nil) })
			return err
		},
	})
}
