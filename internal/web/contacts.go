package web

import (
	"net/http"
	"strconv"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
)

// backToConversation returns to the conversation the contact panel was
// on (conversation_id in the form), refreshing the panel for htmx.
func (s *Server) backToConversation(w http.ResponseWriter, r *http.Request) error {
	conv, err := optID(r.PostFormValue("conversation_id"))
	if err != nil || conv == 0 {
		return parley.Errorf(parley.EINVALID, "conversation_id is required")
	}
	r.SetPathValue("id", strconv.FormatInt(conv, 10))
	return s.done(w, r, conv, "meta")
}

func (s *Server) editContact(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	name, email, phone := r.PostFormValue("name"), r.PostFormValue("email"), r.PostFormValue("phone")
	if _, err := s.Inbox.UpdateContact(r.Context(), actorFrom(r), id, inbox.ContactChange{Name: &name, Email: &email, Phone: &phone}); err != nil {
		return err
	}
	return s.backToConversation(w, r)
}

type candidatesView struct {
	CSRF           string
	TargetID       int64
	ConversationID int64
	Query          string
	Contacts       []parley.Contact
}

// mergeCandidates lists contacts matching q that could be merged in.
func (s *Server) mergeCandidates(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	u, _ := userFrom(r)
	conv, _ := optID(r.URL.Query().Get("conversation_id"))
	v := candidatesView{CSRF: u.Session.CSRFToken, TargetID: id, ConversationID: conv, Query: r.URL.Query().Get("q")}
	if v.Query != "" {
		list, err := s.DB.Contacts(r.Context(), v.Query, 0, 10)
		if err != nil {
			return err
		}
		for _, c := range list {
			if c.ID != id {
				v.Contacts = append(v.Contacts, c)
			}
		}
	}
	return s.render(w, r, http.StatusOK, "partials", "candidates", v)
}

func (s *Server) merge(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	source, err := optID(r.PostFormValue("source_id"))
	if err != nil || source == 0 {
		return parley.Errorf(parley.EINVALID, "pick a contact to merge in")
	}
	if _, err := s.Inbox.Merge(r.Context(), actorFrom(r), id, source); err != nil {
		return err
	}
	return s.backToConversation(w, r)
}

func (s *Server) unmerge(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	mergeID, err := optID(r.PostFormValue("merge_id"))
	if err != nil || mergeID == 0 {
		return parley.Errorf(parley.EINVALID, "merge_id is required")
	}
	if _, err := s.Inbox.Unmerge(r.Context(), actorFrom(r), id, mergeID); err != nil {
		return err
	}
	return s.backToConversation(w, r)
}
