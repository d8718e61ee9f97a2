// Package compose is the one path an agent's reply takes on its way out,
// from the API and from the inbox's composer alike: the draft it was
// written from is checked, the inbox's blocking coaching checks run, the
// approval policies may hold it for a person, and only then is it sent.
// Keeping it in one place keeps the two faces from drifting apart.
package compose

import (
	"context"
	"log/slog"
	"strings"

	"github.com/parleyhq/parley/internal/approval"
	"github.com/parleyhq/parley/internal/assist"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
)

// Sender sends replies through the gates. Assist and Approvals may be nil
// (a Parley built without them sends at once).
type Sender struct {
	Inbox     *inbox.Service
	Assist    *assist.Service
	Approvals *approval.Service
	Log       *slog.Logger
}

// Sent is what became of a reply: sent (Message), or held for approval
// (Held); Checks are the coaching hints it got either way.
type Sent struct {
	Message *parley.Message
	Held    *parley.ApprovalRequest
	Checks  []assist.Finding
}

// Reply sends out as actor's reply in the conversation. draft, when set,
// names the assistant's draft it was written from. A finding the inbox
// made blocking refuses the reply (EINVALID) and nothing is stored.
func (s *Sender) Reply(ctx context.Context, actor inbox.Actor, conversationID int64, out inbox.Outgoing, draft *assist.DraftUse) (Sent, error) {
	res := Sent{Checks: []assist.Finding{}}
	if s.Assist != nil {
		if draft != nil {
			if err := s.Assist.CheckUse(ctx, *draft, conversationID); err != nil {
				return res, err
			}
		}
		if out.Template == nil && strings.TrimSpace(out.Text) != "" {
			checks, err := s.Assist.CheckReply(ctx, conversationID, out.Text)
			if err != nil {
				return res, err
			}
			res.Checks = checks
		}
	}
	if s.Approvals != nil {
		held, err := s.Approvals.GateReply(ctx, actor, conversationID, out)
		if err != nil {
			return res, err
		}
		if held != nil {
			res.Held = held
			return res, nil
		}
	}
	m, err := s.Inbox.Reply(ctx, actor, conversationID, out)
	if err != nil {
		return res, err
	}
	res.Message = &m
	if draft != nil && s.Assist != nil {
		// The reply is sent: a draft record that cannot be written is the
		// report's loss, not the customer's.
		if err := s.Assist.RecordUse(ctx, *draft, conversationID, m); err != nil && s.Log != nil {
			s.Log.Warn("compose: recording a draft's use", "conversation", conversationID, "err", err)
		}
	}
	return res, nil
}
