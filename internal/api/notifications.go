package api

import (
	"net/http"

	"github.com/parleyhq/parley/internal/store"
)

// listNotifications shows a conversation's reply notices to visitors
// who left (emails, SMS), with the reason of any that failed, so a failure
// is visible where agents and integrations look, not only in the events.
func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "conversation_id")
	if err != nil {
		return err
	}
	if _, err := s.DB.Conversation(r.Context(), id); err != nil {
		return err
	}
	list, err := s.DB.Notifications(r.Context(), id)
	if err != nil {
		return err
	}
	if list == nil {
		list = []store.Notification{}
	}
	return writeJSON(w, http.StatusOK, map[string][]store.Notification{"notifications": list})
}

// retryNotification sends a failed email notice again.
func (s *Server) retryNotification(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "notification_id")
	if err != nil {
		return err
	}
	n, err := s.Inbox.RetryNotification(r.Context(), actorFrom(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, n)
}
