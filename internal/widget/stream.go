package widget

import (
	"context"
	"net/http"
	"time"

	"github.com/parleyhq/parley/internal/live"
	"github.com/parleyhq/parley/internal/parley"
)

// stream sends the visitor's conversation live: their own messages (from
// another tab or device) and the team's replies, never notes and never
// anything about another contact. While it is open the visitor counts as
// present, so replies are not emailed to them (presence.go).
//
// A widget's stream is open as long as its page is and nearly always
// idle, so it is detached from net/http once open (live.StreamOptions
// Detach): what it keeps is small, and nothing it keeps refers to the
// request. The closures below hold only ids for that reason.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) error {
	in, v, err := s.visitorRequest(r, true)
	if err != nil {
		return err
	}
	if v.contactID == 0 {
		return parley.Errorf(parley.ENOTFOUND, "There is no conversation yet.")
	}
	if _, err := s.renderer(r.Context(), in.ID); err != nil {
		return err
	}
	inboxID, contactID := in.ID, v.contactID
	s.presence.add(contactID)
	filter := func(ev *parley.Event) bool {
		if ev.ContactID == nil || *ev.ContactID != contactID {
			return false
		}
		switch ev.Type {
		case parley.EventMessageCreated:
			return ev.MessageID != nil
		case parley.EventTyping:
			return ev.AgentID != nil // the team's typing, not the visitor's own
		case parley.EventSeen:
			return true
		}
		return false
	}
	render := func(ctx context.Context, ev *parley.Event) (live.Message, bool) {
		switch ev.Type {
		case parley.EventTyping:
			return live.Message{Seq: ev.Seq, Name: "typing", Data: map[string]any{"who": "agent"}}, true
		case parley.EventSeen:
			return live.Message{Seq: ev.Seq, Name: "seen", Data: map[string]any{"at": ev.CreatedAt}}, true
		}
		m, err := s.DB.Message(ctx, *ev.MessageID)
		if err != nil || (m.Direction != parley.Incoming && m.Direction != parley.Outgoing) {
			return live.Message{}, false
		}
		c, err := s.DB.Conversation(ctx, m.ConversationID)
		if err != nil || c.InboxID != inboxID || c.ContactID != contactID {
			return live.Message{}, false
		}
		rd, err := s.renderer(ctx, inboxID)
		if err != nil {
			return live.Message{}, false
		}
		if err := rd.loadSurveys(ctx, []parley.Message{m}); err != nil {
			return live.Message{}, false
		}
		return live.Message{Seq: ev.Seq, Name: "message", Data: rd.message(ctx, m)}, true
	}
	return s.Hub.Stream(w, r, live.StreamOptions{Filter: filter, Render: render, Heartbeat: 20 * time.Second,
		Detach: true, OnClose: func() { s.presence.remove(contactID) }})
}
