package mcp

import (
	"context"
	"fmt"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/parleyhq/parley/internal/api"
	"github.com/parleyhq/parley/internal/approval"
	"github.com/parleyhq/parley/internal/assist"
	"github.com/parleyhq/parley/internal/fill"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
)

// The write tools, for full tokens only. Neither reaches a customer: a
// note is internal, and a proposal waits in the approval queue until a
// person approves it (approval.Service.Propose), whatever the policies.

// AddNoteIn is add_note's input.
type AddNoteIn struct {
	ConversationID int64  `json:"conversation_id" jsonschema:"the conversation to add the note to"`
	Text           string `json:"text" jsonschema:"the note: internal, seen by the team, never by the customer"`
}

// AddNoteOut is the stored note.
type AddNoteOut struct {
	MessageID      int64     `json:"message_id"`
	ConversationID int64     `json:"conversation_id"`
	Internal       bool      `json:"internal"`
	CreatedAt      time.Time `json:"created_at"`
}

// ProposeActionIn is propose_action's input: a reply, a change, or both.
type ProposeActionIn struct {
	ConversationID int64    `json:"conversation_id" jsonschema:"the conversation the proposal is for"`
	Reply          string   `json:"reply,omitempty" jsonschema:"a reply to the customer, exactly as it should be sent; Parley fills {{contact.first_name}}, {{contact.name}}, {{contact.email}} and {{agent.name}}"`
	Priority       string   `json:"priority,omitempty" jsonschema:"a new priority: low, normal, high or urgent"`
	AddLabels      []string `json:"add_labels,omitempty" jsonschema:"labels to add"`
	RemoveLabels   []string `json:"remove_labels,omitempty" jsonschema:"labels to remove"`
}

// ProposeActionOut is what became of the proposal: approval requests,
// pending, and nothing sent.
type ProposeActionOut struct {
	Approvals []ProposalInfo `json:"approvals"`
	// Checks are the assistant's coaching hints on the reply.
	Checks []assist.Finding `json:"checks" jsonschema:"the assistant's coaching hints on the reply (none blocked it)"`
	Sent   bool             `json:"sent" jsonschema:"always false: a person approves in Parley before anything happens"`
}

// ProposalInfo is one approval request a proposal made.
type ProposalInfo struct {
	ApprovalID int64  `json:"approval_id"`
	Kind       string `json:"kind" jsonschema:"reply, or conversation.change"`
	State      string `json:"state" jsonschema:"pending until a person approves or rejects it"`
	Reason     string `json:"reason" jsonschema:"why it waits: the approval policy that matched, or that it was proposed by an MCP client"`
	Policy     string `json:"policy,omitempty"`
	Text       string `json:"text" jsonschema:"exactly what would be sent, or the change in words"`
}

func (s *Server) addWriteTools(srv *sdk.Server, ss session) {
	addTool(s, srv, ss, true, &sdk.Tool{Name: "add_note",
		Annotations: &sdk.ToolAnnotations{Title: "Add an internal note", DestructiveHint: new(false), OpenWorldHint: new(false)},
		Description: "Adds an internal note to a conversation, as the token's agent. The customer never sees notes. Needs a full token."},
		s.addNote)
	addTool(s, srv, ss, true, &sdk.Tool{Name: "propose_action",
		Annotations: &sdk.ToolAnnotations{Title: "Propose a reply or change", DestructiveHint: new(false), OpenWorldHint: new(false)},
		Description: "Proposes a reply to the customer and/or a change (priority, labels). Nothing is sent or changed: each becomes a pending request in Parley's approval queue, which a person approves or rejects. Returns the request ids. Needs a full token."},
		s.proposeAction)
}

func (s *Server) addNote(ctx context.Context, c api.Caller, in AddNoteIn) (AddNoteOut, error) {
	if _, err := s.conversation(ctx, in.ConversationID); err != nil {
		return AddNoteOut{}, err
	}
	m, err := s.Inbox.AddNote(ctx, c.Actor, in.ConversationID, inbox.Outgoing{Text: in.Text})
	if err != nil {
		return AddNoteOut{}, fmt.Errorf("mcp: add_note: %w", err)
	}
	return AddNoteOut{MessageID: m.ID, ConversationID: m.ConversationID, Internal: true, CreatedAt: m.CreatedAt}, nil
}

func (s *Server) proposeAction(ctx context.Context, c api.Caller, in ProposeActionIn) (ProposeActionOut, error) {
	out := ProposeActionOut{Approvals: []ProposalInfo{}, Checks: []assist.Finding{}}
	conv, err := s.conversation(ctx, in.ConversationID)
	if err != nil {
		return out, err
	}
	change, err := proposedChange(in)
	if err != nil {
		return out, err
	}
	reply := strings.TrimSpace(in.Reply) != ""
	if !reply && change == nil {
		return out, parley.Errorf(parley.EINVALID, "nothing to propose: give reply, priority, add_labels or remove_labels")
	}
	// Everything is checked before anything is stored, so a proposal is
	// made whole or not at all (barring a failing database).
	var text string
	if reply {
		if text, err = s.replyText(ctx, c, conv, in.Reply); err != nil {
			return out, err
		}
		// The inbox's blocking checks hold here as in the composer: an
		// approval must not be a way around them.
		checks, err := s.Assist.CheckReply(ctx, conv.ID, text)
		if err != nil {
			return out, fmt.Errorf("mcp: propose_action: %w", err)
		}
		out.Checks = checks
	}
	if reply {
		r, err := s.Approvals.ProposeReply(ctx, c.Actor, conv.ID, inbox.Outgoing{Text: text}, ProposalReason)
		if err != nil {
			return out, fmt.Errorf("mcp: propose_action: reply: %w", err)
		}
		out.Approvals = append(out.Approvals, proposalInfo(*r, text))
	}
	if change != nil {
		desc := change.describe()
		r, err := s.Approvals.Propose(ctx, approval.Subject{Kind: KindChange, ConversationID: conv.ID, Actor: c.Actor,
			Payload: *change, Env: approval.Env{Text: desc}}, ProposalReason)
		if err != nil && len(out.Approvals) > 0 {
			// The client must learn that the reply is stored, whatever the
			// cause, or it would propose it again.
			s.logf("mcp: propose_action: change after the reply", "approval", out.Approvals[0].ApprovalID, "err", err)
			return out, parley.Errorf(parley.ErrorCode(err), "the reply waits as approval request %d, but the change could not be proposed: %s",
				out.Approvals[0].ApprovalID, parley.ErrorMessage(err))
		}
		if err != nil {
			return out, fmt.Errorf("mcp: propose_action: change: %w", err)
		}
		out.Approvals = append(out.Approvals, proposalInfo(*r, desc))
	}
	return out, nil
}

func proposalInfo(r parley.ApprovalRequest, text string) ProposalInfo {
	return ProposalInfo{ApprovalID: r.ID, Kind: r.Kind, State: string(r.State), Reason: r.Reason, Policy: r.PolicyName, Text: text}
}

// replyText is the reply as it would be sent: Parley's variables filled
// for this conversation, refused when it still holds a placeholder that
// masking put in place of a detail (it would reach the customer so) or
// a variable Parley does not fill.
func (s *Server) replyText(ctx context.Context, c api.Caller, conv parley.Conversation, raw string) (string, error) {
	contact, err := s.DB.Contact(ctx, conv.ContactID)
	if err != nil {
		return "", fmt.Errorf("mcp: propose_action: contact: %w", err)
	}
	vars := fill.Vars{"contact.name": contact.Name, "contact.first_name": fill.FirstName(contact.Name), "contact.email": contact.Email, "agent.name": ""}
	if c.AgentID != nil {
		a, err := s.DB.Agent(ctx, *c.AgentID)
		if err != nil {
			return "", fmt.Errorf("mcp: propose_action: agent: %w", err)
		}
		vars["agent.name"] = a.Name
	}
	if p := maskedPlaceholder(raw); p != "" {
		return "", parley.Errorf(parley.EINVALID, "the reply holds %s, which stands for a detail masking hid: write {{contact.first_name}} or {{contact.name}} for the customer's name, or the words themselves", p)
	}
	text := strings.TrimSpace(fill.Fill(raw, vars))
	if missing := fill.Missing(text); len(missing) > 0 {
		return "", parley.Errorf(parley.EINVALID, "the reply has {{%s}}, which Parley does not fill: use {{contact.first_name}}, {{contact.name}}, {{contact.email}} or {{agent.name}}, or write the words", missing[0])
	}
	if text == "" {
		return "", parley.Errorf(parley.EINVALID, "the reply is empty once its variables are filled")
	}
	return text, nil
}

// proposedChange reads the change part of a proposal (nil for none).
func proposedChange(in ProposeActionIn) (*ChangePayload, error) {
	var p ChangePayload
	if in.Priority != "" {
		pr := parley.Priority(strings.ToLower(strings.TrimSpace(in.Priority)))
		if !pr.Valid() {
			return nil, parley.Errorf(parley.EINVALID, "priority %q is not one of low, normal, high, urgent", in.Priority)
		}
		p.Priority = &pr
	}
	var err error
	if len(in.AddLabels) > 0 {
		if p.AddLabels, err = parley.NormalizeLabels(in.AddLabels); err != nil {
			return nil, err
		}
	}
	if len(in.RemoveLabels) > 0 {
		if p.RemoveLabels, err = parley.NormalizeLabels(in.RemoveLabels); err != nil {
			return nil, err
		}
	}
	if p.Priority == nil && len(p.AddLabels) == 0 && len(p.RemoveLabels) == 0 {
		return nil, nil
	}
	p.Text = p.describe()
	return &p, nil
}
