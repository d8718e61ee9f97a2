package widget

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/parleyhq/parley/internal/live"
	"github.com/parleyhq/parley/internal/parley"
)

// presenceEvery is how often an open stream refreshes contacts.last_seen_at.
const presenceEvery = 30 * time.Second

// stream sends the visitor's conversation live: their own messages (from
// another tab or device) and the team's replies, never notes and never
// anything about another contact. While it is open the visitor counts as
// present, so replies are not emailed to them.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) error {
	in, v, err := s.visitorRequest(r, true)
	if err != nil {
		return err
	}
	if v.contactID == 0 {
		return parley.Errorf(parley.ENOTFOUND, "There is no conversation yet.")
	}
	rd, err := s.renderer(r.Context(), in.ID)
	if err != nil {
		return err
	}
	contactID := v.contactID
	s.setPresent(contactID, 1)
	defer s.setPresent(contactID, -1)
	touch := func() {
		if err := s.Inbox.TouchVisitor(context.WithoutCancel(r.Context()), contactID); err != nil {
			slog.Warn("widget: record presence", "contact", contactID, "err", err)
		}
	}
	touch()
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(presenceEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				touch()
			}
		}
	}()
	defer func() { close(done); touch() }()

	filter := func(ev *parley.Event) bool {
		return ev.Type == parley.EventMessageCreated && ev.ContactID != nil && *ev.ContactID == contactID && ev.MessageID != nil
	}
	render := func(ctx context.Context, ev *parley.Event) (live.Message, bool) {
		m, err := s.DB.Message(ctx, *ev.MessageID)
		if err != nil || (m.Direction != parley.Incoming && m.Direction != parley.Outgoing) {
			return live.Message{}, false
		}
		c, err := s.DB.Conversation(ctx, m.ConversationID)
		if err != nil || c.InboxID != in.ID || c.ContactID != contactID {
			return live.Message{}, false
		}
		if err := rd.loadSurveys(ctx, []parley.Message{m}); err != nil {
			return live.Message{}, false
		}
		return live.Message{Seq: ev.Seq, Name: "message", Data: rd.message(ctx, m)}, true
	}
	return s.Hub.Stream(w, r, live.StreamOptions{Filter: filter, Render: render, Heartbeat: 20 * time.Second})
}
