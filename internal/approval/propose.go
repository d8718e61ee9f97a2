package approval

import (
	"context"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
)

// Propose stores subject as a pending request that always waits for a
// person, whatever the policies say: for actions that an outside client
// (an MCP client, a remote agent) may only suggest. A policy that matches
// still decides who approves and why, as it would for the same action
// sent from the inbox; when none does, the request waits anyway, for
// owners and admins, with reason (say who proposed it and that nothing
// happens without a person). It never returns nil without an error.
func (s *Service) Propose(ctx context.Context, subject Subject, reason string) (*parley.ApprovalRequest, error) {
	held, err := s.Gate(ctx, subject)
	if err != nil || held != nil {
		return held, err
	}
	return s.request(ctx, subject, nil, reason)
}

// ProposeReply is Propose for a reply: the text is checked as GateReply
// checks it (the stored payload is exactly what an approval sends), and
// the request waits even when no policy would have held the reply.
func (s *Service) ProposeReply(ctx context.Context, actor inbox.Actor, conversationID int64, out inbox.Outgoing, reason string) (*parley.ApprovalRequest, error) {
	files := len(out.Attachments)
	if out.Template != nil {
		files++
	}
	text, err := parley.ValidateText(out.Text, files)
	if err != nil {
		return nil, err
	}
	out.Text = text
	return s.Propose(ctx, ReplySubject(actor, conversationID, out), reason)
}
