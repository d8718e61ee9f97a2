package mcp

import (
	"context"
	"fmt"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/parleyhq/parley/internal/api"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// The read tools. Every agent works every conversation (docs/SECURITY.md),
// so, as in the API, a conversation is refused only when it does not
// exist; what a read token may not do is write (writes.go).

// SearchConversationsIn is search_conversations' input.
type SearchConversationsIn struct {
	Query      string `json:"query" jsonschema:"words to find in messages: a message matches when it has every word (in any inflection)"`
	Status     string `json:"status,omitempty" jsonschema:"only conversations in this status: open, pending, snoozed or resolved"`
	InboxID    int64  `json:"inbox_id,omitempty" jsonschema:"only conversations of this inbox"`
	ContactID  int64  `json:"contact_id,omitempty" jsonschema:"only conversations of this contact"`
	AssigneeID int64  `json:"assignee_id,omitempty" jsonschema:"only conversations assigned to this agent"`
	Limit      int    `json:"limit,omitempty" jsonschema:"how many matching messages to return, 1 to 50 (10 by default)"`
	BeforeID   int64  `json:"before_id,omitempty" jsonschema:"for the next page: next_before_id from the previous answer"`
}

// SearchConversationsOut is its answer: matching messages, newest first.
type SearchConversationsOut struct {
	Results []MessageHit `json:"results"`
	// NextBeforeID pages on; 0 at the last page.
	NextBeforeID int64 `json:"next_before_id,omitempty" jsonschema:"pass as before_id for the next page; absent on the last page"`
	Incomplete   bool  `json:"incomplete,omitempty" jsonschema:"the newest messages were still being indexed and were not searched"`
	Masked       bool  `json:"masked" jsonschema:"contact details in texts are replaced by placeholders such as [email]"`
}

// MessageHit is a message that matched, with its conversation.
type MessageHit struct {
	MessageID          int64     `json:"message_id"`
	ConversationID     int64     `json:"conversation_id"`
	ConversationStatus string    `json:"conversation_status"`
	InboxID            int64     `json:"inbox_id"`
	ContactID          int64     `json:"contact_id"`
	Author             string    `json:"author" jsonschema:"customer (untrusted text), agent, parley (automated) or note (internal, never seen by the customer)"`
	Internal           bool      `json:"internal" jsonschema:"an internal note: never seen by the customer"`
	Text               string    `json:"text"`
	CreatedAt          time.Time `json:"created_at"`
}

// GetConversationIn is get_conversation's input.
type GetConversationIn struct {
	ConversationID int64 `json:"conversation_id" jsonschema:"the conversation's id"`
	Messages       int   `json:"messages,omitempty" jsonschema:"how many of the newest messages to return, 1 to 200 (50 by default)"`
}

// GetConversationOut is a conversation with its history and summary.
type GetConversationOut struct {
	Conversation ConversationInfo `json:"conversation"`
	Contact      ContactInfo      `json:"contact"`
	Summary      SummaryInfo      `json:"summary"`
	// Messages are the newest of the whole history (the conversations this
	// one continues included), oldest first.
	Messages      []MessageInfo `json:"messages" jsonschema:"the newest messages of the whole history, oldest first"`
	MessagesTotal int           `json:"messages_total" jsonschema:"how many messages the history has in all"`
	Masked        bool          `json:"masked" jsonschema:"contact details are replaced by placeholders such as [email] and [name]"`
}

// ConversationInfo is a conversation's state.
type ConversationInfo struct {
	ID         int64      `json:"id"`
	InboxID    int64      `json:"inbox_id"`
	ContactID  int64      `json:"contact_id"`
	Status     string     `json:"status"`
	Priority   string     `json:"priority"`
	Labels     []string   `json:"labels"`
	AssigneeID *int64     `json:"assignee_id,omitempty"`
	TeamID     *int64     `json:"team_id,omitempty"`
	PreviousID *int64     `json:"previous_id,omitempty" jsonschema:"the earlier conversation this one continues"`
	SLAState   string     `json:"sla_state,omitempty"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
}

// ContactInfo is who the customer is, as far as masking allows.
type ContactInfo struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Email    string `json:"email,omitempty"`
	Phone    string `json:"phone,omitempty"`
	Language string `json:"language,omitempty"`
}

// MessageInfo is one message of a history.
type MessageInfo struct {
	ID             int64            `json:"id"`
	ConversationID int64            `json:"conversation_id"`
	Author         string           `json:"author" jsonschema:"customer (untrusted text), agent, parley (automated) or note (internal)"`
	Internal       bool             `json:"internal" jsonschema:"an internal note: never seen by the customer"`
	AgentID        *int64           `json:"agent_id,omitempty"`
	Text           string           `json:"text"`
	Attachments    []AttachmentInfo `json:"attachments,omitempty"`
	Delivery       string           `json:"delivery,omitempty" jsonschema:"for a reply: queued, sent, delivered, read or failed"`
	CreatedAt      time.Time        `json:"created_at"`
}

// AttachmentInfo describes a file on a message.
type AttachmentInfo struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// SummaryInfo is the assistant's summary of the conversation.
type SummaryInfo struct {
	Engine        string     `json:"engine"`
	Lang          string     `json:"lang,omitempty"`
	Wants         string     `json:"wants"`
	Facts         []FactInfo `json:"facts"`
	Done          []StepInfo `json:"done"`
	OpenQuestions []string   `json:"open_questions"`
	NextStep      string     `json:"next_step"`
	Text          string     `json:"text"`
	Note          string     `json:"note,omitempty"`
}

// FactInfo is an order number, amount, date, product or tracking number
// the conversation mentions.
type FactInfo struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// StepInfo is something already tried or promised.
type StepInfo struct {
	Who     string `json:"who"`
	What    string `json:"what"`
	Promise bool   `json:"promise"`
}

func readOnly(title string) *sdk.ToolAnnotations {
	return &sdk.ToolAnnotations{Title: title, ReadOnlyHint: true, OpenWorldHint: new(false)}
}

func (s *Server) addReadTools(srv *sdk.Server, ss session) {
	addTool(s, srv, ss, false, &sdk.Tool{Name: "search_conversations", Annotations: readOnly("Search conversations"),
		Description: "Full-text search over the messages of every conversation, newest first. Returns the matching messages with their conversation ids; read one with get_conversation."},
		s.searchConversations)
	addTool(s, srv, ss, false, &sdk.Tool{Name: "get_conversation", Annotations: readOnly("Read a conversation"),
		Description: "One conversation: its state, its contact, the assistant's summary (what the customer wants, facts, what was done, open questions, next step) and its newest messages. Internal notes are marked internal."},
		s.getConversation)
	addTool(s, srv, ss, false, &sdk.Tool{Name: "search_knowledge", Annotations: readOnly("Search the knowledge base"),
		Description: "Searches the knowledge base: published articles and answers learned from the team's resolved conversations, best first, each with a score from 0 to 1."},
		s.searchKnowledge)
	addTool(s, srv, ss, false, &sdk.Tool{Name: "draft_reply", Annotations: readOnly("Draft a reply"),
		Description: "Asks Parley's assistant for up to three drafts of a reply to a conversation, citing knowledge sources. Changes nothing and sends nothing: to send one, call propose_action with its text."},
		s.draftReply)
}

func (s *Server) searchConversations(ctx context.Context, _ api.Caller, in SearchConversationsIn) (SearchConversationsOut, error) {
	out := SearchConversationsOut{Results: []MessageHit{}}
	limit, err := between("limit", in.Limit, 10, 1, 50)
	if err != nil {
		return out, err
	}
	f := store.SearchFilter{Query: in.Query, Status: parley.Status(in.Status), InboxID: in.InboxID, ContactID: in.ContactID,
		AssigneeID: in.AssigneeID, BeforeID: in.BeforeID, Limit: limit + 1} // one more tells whether a page follows
	if f.Status != "" && !f.Status.Valid() {
		return out, parley.Errorf(parley.EINVALID, "status %q is not one of open, pending, snoozed, resolved", in.Status)
	}
	for name, v := range map[string]int64{"inbox_id": in.InboxID, "contact_id": in.ContactID, "assignee_id": in.AssigneeID, "before_id": in.BeforeID} {
		if v < 0 {
			return out, parley.Errorf(parley.EINVALID, "%s must be a positive id", name)
		}
	}
	page, err := s.DB.Search(ctx, f)
	if err != nil {
		return out, fmt.Errorf("mcp: search_conversations: %w", err)
	}
	results := page.Results
	if len(results) > limit {
		results = results[:limit]
		out.NextBeforeID = results[len(results)-1].ID
	}
	m := s.maskerFor(ctx)
	out.Masked, out.Incomplete = m.on, page.Incomplete
	names := map[int64]string{} // contact id → name, to mask it in its messages
	for _, r := range results {
		name, ok := names[r.ContactID]
		if !ok && m.on {
			if c, err := s.DB.Contact(ctx, r.ContactID); err == nil {
				name = c.Name
			} else if parley.ErrorCode(err) != parley.ENOTFOUND {
				return out, fmt.Errorf("mcp: search_conversations: %w", err)
			}
			names[r.ContactID] = name
		}
		out.Results = append(out.Results, MessageHit{MessageID: r.ID, ConversationID: r.ConversationID, ConversationStatus: string(r.Status),
			InboxID: r.InboxID, ContactID: r.ContactID, Author: author(r.Message), Internal: r.Direction == parley.Note,
			Text: m.text(r.Text, name), CreatedAt: r.CreatedAt})
	}
	return out, nil
}

func (s *Server) getConversation(ctx context.Context, _ api.Caller, in GetConversationIn) (GetConversationOut, error) {
	var out GetConversationOut
	n, err := between("messages", in.Messages, 50, 1, 200)
	if err != nil {
		return out, err
	}
	conv, err := s.conversation(ctx, in.ConversationID)
	if err != nil {
		return out, err
	}
	contact, err := s.DB.Contact(ctx, conv.ContactID)
	if err != nil {
		return out, fmt.Errorf("mcp: get_conversation: contact: %w", err)
	}
	history, err := s.Inbox.History(ctx, conv.ID)
	if err != nil {
		return out, fmt.Errorf("mcp: get_conversation: history: %w", err)
	}
	sum, err := s.Assist.Summary(ctx, conv.ID)
	if err != nil {
		return out, fmt.Errorf("mcp: get_conversation: summary: %w", err)
	}
	m := s.maskerFor(ctx)
	out.Masked, out.MessagesTotal = m.on, len(history)
	out.Conversation = ConversationInfo{ID: conv.ID, InboxID: conv.InboxID, ContactID: conv.ContactID, Status: string(conv.Status),
		Priority: string(conv.Priority), Labels: conv.Labels, AssigneeID: conv.AssigneeID, TeamID: conv.TeamID, PreviousID: conv.PreviousID,
		SLAState: conv.SLAState, ResolvedAt: conv.ResolvedAt, CreatedAt: conv.CreatedAt}
	if out.Conversation.Labels == nil {
		out.Conversation.Labels = []string{}
	}
	out.Contact = ContactInfo{ID: contact.ID, Name: m.name(contact.Name), Language: contact.Language}
	if !m.on {
		out.Contact.Email, out.Contact.Phone = contact.Email, contact.Phone
	}
	name := contact.Name
	out.Summary = SummaryInfo{Engine: sum.Engine, Lang: sum.Lang, Wants: m.text(sum.Wants, name), Facts: []FactInfo{}, Done: []StepInfo{},
		OpenQuestions: []string{}, NextStep: m.text(sum.NextStep, name), Text: m.text(sum.Text, name), Note: sum.Note}
	for _, f := range sum.Facts {
		if m.on && (f.Kind == "email" || f.Kind == "phone") {
			continue // a contact detail itself: masked, it says nothing
		}
		out.Summary.Facts = append(out.Summary.Facts, FactInfo{Kind: f.Kind, Value: m.text(f.Value, name)})
	}
	for _, d := range sum.Done {
		out.Summary.Done = append(out.Summary.Done, StepInfo{Who: d.Who, What: m.text(d.What, name), Promise: d.Promise})
	}
	for _, q := range sum.OpenQuestions {
		out.Summary.OpenQuestions = append(out.Summary.OpenQuestions, m.text(q, name))
	}
	out.Messages = make([]MessageInfo, 0, min(n, len(history)))
	for _, msg := range history[max(0, len(history)-n):] {
		mi := MessageInfo{ID: msg.ID, ConversationID: msg.ConversationID, Author: author(msg), Internal: msg.Direction == parley.Note,
			AgentID: msg.AuthorAgentID, Text: m.text(msg.Text, name), Delivery: string(msg.DeliveryState), CreatedAt: msg.CreatedAt}
		for _, a := range msg.Attachments {
			mi.Attachments = append(mi.Attachments, AttachmentInfo{Filename: m.text(a.Filename, name), ContentType: a.ContentType, Size: a.Size})
		}
		out.Messages = append(out.Messages, mi)
	}
	return out, nil
}

// conversation reads a conversation the caller names (EINVALID for a bad
// id, ENOTFOUND for one that does not exist).
func (s *Server) conversation(ctx context.Context, id int64) (parley.Conversation, error) {
	if id <= 0 {
		return parley.Conversation{}, parley.Errorf(parley.EINVALID, "conversation_id must be a positive id")
	}
	c, err := s.DB.Conversation(ctx, id)
	if err != nil && parley.ErrorCode(err) != parley.ENOTFOUND {
		err = fmt.Errorf("mcp: conversation %d: %w", id, err)
	}
	return c, err
}

// author says who wrote a message, in the words tools use.
func author(m parley.Message) string {
	switch {
	case m.Direction == parley.Incoming:
		return "customer"
	case m.Direction == parley.Note:
		return "note"
	case m.Automated:
		return "parley"
	}
	return "agent"
}

// between reads an optional bounded number (def when zero).
func between(name string, v, def, lo, hi int) (int, error) {
	if v == 0 {
		return def, nil
	}
	if v < lo || v > hi {
		return 0, parley.Errorf(parley.EINVALID, "%s must be from %d to %d", name, lo, hi)
	}
	return v, nil
}
