package approval

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// KindReply is a reply to a customer waiting for approval.
const KindReply = "reply"

// ReplyPayload is exactly what an approved reply sends.
type ReplyPayload struct {
	Text        string                `json:"text"`
	Attachments []inbox.AttachmentRef `json:"attachments,omitempty"`
	Template    *inbox.TemplateUse    `json:"template,omitempty"`
	ViaInboxID  int64                 `json:"via_inbox_id,omitempty"`
}

// Outgoing is the payload as the inbox sends it.
func (p ReplyPayload) Outgoing() inbox.Outgoing {
	return inbox.Outgoing{Text: p.Text, Attachments: p.Attachments, Template: p.Template, ViaInboxID: p.ViaInboxID}
}

// ReplyPayloadOf reads a reply request's payload (for the agent's composer
// after a rejection, and for the queue).
func ReplyPayloadOf(r parley.ApprovalRequest) (ReplyPayload, error) {
	var p ReplyPayload
	if r.Kind != KindReply {
		return p, fmt.Errorf("approval: request %d is a %s, not a reply", r.ID, r.Kind)
	}
	err := json.Unmarshal(r.Payload, &p)
	return p, err
}

// ReplySubject is what the gate looks at before a reply is sent: the
// money it commits is read from its text (and a template's body).
func ReplySubject(actor inbox.Actor, conversationID int64, out inbox.Outgoing) Subject {
	amount, currency := Committed(out.Text)
	return Subject{Kind: KindReply, ConversationID: conversationID, Actor: actor,
		Payload: ReplyPayload{Text: out.Text, Attachments: out.Attachments, Template: out.Template, ViaInboxID: out.ViaInboxID},
		Env:     Env{Amount: amount, Currency: currency, Text: out.Text}}
}

// replyState is what an approved reply stays valid under: nobody wrote in
// the conversation since (notes aside), and its status is the same.
type replyState struct {
	LastMessageID int64         `json:"last_message_id"`
	Status        parley.Status `json:"status"`
}

// ReplyKind binds, checks and sends replies through replies.
func ReplyKind(replies *inbox.Service) Kind {
	return Kind{
		State: func(tx *store.Tx, r parley.ApprovalRequest) (json.RawMessage, error) {
			if r.ConversationID == nil {
				return nil, fmt.Errorf("approval: reply request %d has no conversation", r.ID)
			}
			c, err := tx.Conversation(*r.ConversationID)
			if err != nil {
				return nil, err
			}
			except := int64(0)
			if r.ResultMessage != nil {
				except = *r.ResultMessage
			}
			last, err := tx.LastExchangedMessage(c.ID, except)
			if err != nil {
				return nil, err
			}
			return json.Marshal(replyState{LastMessageID: last, Status: c.Status})
		},
		Changed: func(before, now json.RawMessage) string {
			var b, n replyState
			json.Unmarshal(before, &b)
			json.Unmarshal(now, &n)
			switch {
			case b.LastMessageID != n.LastMessageID && b.Status != n.Status:
				return fmt.Sprintf("a new message arrived and it is now %s", n.Status)
			case b.LastMessageID != n.LastMessageID:
				return "a new message arrived"
			case b.Status != n.Status:
				return fmt.Sprintf("it went from %s to %s", b.Status, n.Status)
			}
			return "it changed"
		},
		Execute: func(ctx context.Context, r parley.ApprovalRequest, asker inbox.Actor, commit func(*store.Tx, *int64) error) error {
			p, err := ReplyPayloadOf(r)
			if err != nil {
				return err
			}
			_, err = replies.ReplyWith(ctx, asker, *r.ConversationID, p.Outgoing(), func(tx *store.Tx, m parley.Message) error {
				return commit(tx, &m.ID)
			})
			return err
		},
	}
}

// GateReply is the one check every face runs before sending a reply (the
// API's POST .../messages, the web composer): it checks the reply is
// sendable text, then evaluates the policies. A non-nil request means the
// reply was stored as a request waiting for approval and must not be
// sent. Notes are never gated: they never reach the customer.
func (s *Service) GateReply(ctx context.Context, actor inbox.Actor, conversationID int64, out inbox.Outgoing) (*parley.ApprovalRequest, error) {
	files := len(out.Attachments)
	if out.Template != nil {
		files++
	}
	text, err := parley.ValidateText(out.Text, files)
	if err != nil {
		return nil, err
	}
	out.Text = text
	return s.Gate(ctx, ReplySubject(actor, conversationID, out))
}
