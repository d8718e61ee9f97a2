package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/assist"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
)

func (s *Server) listConversations(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := parley.ConversationFilter{Status: parley.Status(q.Get("status")), Priority: parley.Priority(q.Get("priority")),
		Label: strings.ToLower(parley.CleanLine(q.Get("label"))), Cursor: q.Get("cursor")}
	if f.Status != "" && !f.Status.Valid() {
		return parley.Errorf(parley.EINVALID, "status %q is not one of open, pending, snoozed, resolved", f.Status)
	}
	if f.Priority != "" && !f.Priority.Valid() {
		return parley.Errorf(parley.EINVALID, "priority %q is not one of low, normal, high, urgent", f.Priority)
	}
	var err error
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"inbox_id", &f.InboxID}, {"team_id", &f.TeamID}, {"contact_id", &f.ContactID}} {
		if *p.dst, err = queryInt(r, p.name, 0, 1, 1<<62); err != nil {
			return err
		}
	}
	if q.Get("assignee_id") == "none" {
		f.AssigneeID = -1
	} else if f.AssigneeID, err = queryInt(r, "assignee_id", 0, 1, 1<<62); err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 25, 1, 100)
	if err != nil {
		return err
	}
	f.Limit = int(limit)
	page, err := s.DB.Conversations(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page)
}

func (s *Server) getConversation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "conversation_id")
	if err != nil {
		return err
	}
	c, err := s.DB.Conversation(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

type conversationChange struct {
	Status     *parley.Status   `json:"status"`
	Priority   *parley.Priority `json:"priority"`
	AssigneeID *int64           `json:"assignee_id"` // 0 unassigns
	TeamID     *int64           `json:"team_id"`     // 0 clears
	Labels     *[]string        `json:"labels"`
}

func (s *Server) updateConversation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "conversation_id")
	if err != nil {
		return err
	}
	var req conversationChange
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if req == (conversationChange{}) {
		return parley.Errorf(parley.EINVALID, "nothing to change: send status, priority, assignee_id, team_id or labels")
	}
	c, err := s.Inbox.Update(r.Context(), actorFrom(r), id, inbox.Change{Status: req.Status, Priority: req.Priority,
		AssigneeID: req.AssigneeID, TeamID: req.TeamID, Labels: req.Labels})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (s *Server) snoozeConversation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "conversation_id")
	if err != nil {
		return err
	}
	var req struct {
		Until *string `json:"until"` // RFC 3339; null: until the customer writes
	}
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	var until *time.Time
	if req.Until != nil {
		t, err := time.Parse(time.RFC3339, *req.Until)
		if err != nil {
			return parley.Errorf(parley.EINVALID, "until must be an RFC 3339 time such as \"2026-11-24T09:00:00Z\", not %q", *req.Until)
		}
		until = &t
	}
	c, err := s.Inbox.Snooze(r.Context(), actorFrom(r), id, until)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

// listMessages returns the conversation's whole history, including the
// conversations it continues, so the customer never repeats themselves.
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "conversation_id")
	if err != nil {
		return err
	}
	msgs, err := s.Inbox.History(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"messages": msgs})
}

type outgoingRequest struct {
	Text        string                `json:"text"`
	Attachments []inbox.AttachmentRef `json:"attachments"`
	Template    *inbox.TemplateUse    `json:"template"`
	ViaInboxID  int64                 `json:"via_inbox_id"`
	// Draft says which of the assistant's drafts this reply was written
	// from, so Parley can record its use and how much it was edited.
	Draft *assist.DraftUse `json:"draft"`
}

// replyResponse is the stored reply with the coaching checks it got
// (hints: a check the inbox made blocking stops the send instead).
type replyResponse struct {
	parley.Message
	Checks []assist.Finding `json:"checks"`
}

func (s *Server) reply(w http.ResponseWriter, r *http.Request) error {
	return s.writeMessage(w, r, parley.Outgoing)
}

func (s *Server) addNote(w http.ResponseWriter, r *http.Request) error {
	return s.writeMessage(w, r, parley.Note)
}

// writeMessage stores a reply or a note. A reply a policy holds back is
// not sent: it answers 202 with the approval request.
func (s *Server) writeMessage(w http.ResponseWriter, r *http.Request, dir parley.Direction) error {
	id, err := pathID(r, "conversation_id")
	if err != nil {
		return err
	}
	var req outgoingRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	out := inbox.Outgoing{Text: req.Text, Attachments: req.Attachments, Template: req.Template, ViaInboxID: req.ViaInboxID}
	if dir == parley.Note {
		m, err := s.Inbox.AddNote(r.Context(), actorFrom(r), id, out)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, m)
	}
	sent, err := s.Compose.Reply(r.Context(), actorFrom(r), id, out, req.Draft)
	if err != nil {
		return err
	}
	if sent.Held != nil {
		return writeJSON(w, http.StatusAccepted, map[string]any{"approval": sent.Held, "checks": sent.Checks})
	}
	return writeJSON(w, http.StatusCreated, replyResponse{Message: *sent.Message, Checks: sent.Checks})
}

func (s *Server) retryMessage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "message_id")
	if err != nil {
		return err
	}
	m, err := s.Inbox.RetryDelivery(r.Context(), actorFrom(r), id)
	if err != nil {
		return err
	}
	// Show the message as the retry left it (queued), with its attachments;
	// a fresh read could already show the job's outcome.
	full, err := s.DB.Message(r.Context(), id)
	if err != nil {
		return err
	}
	m.Attachments = full.Attachments
	return writeJSON(w, http.StatusOK, m)
}
