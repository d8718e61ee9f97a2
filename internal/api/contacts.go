package api

import (
	"net/http"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
)

func (s *Server) listContacts(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 25, 1, 100)
	if err != nil {
		return err
	}
	before, err := queryInt(r, "before_id", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	list, err := s.DB.Contacts(r.Context(), r.URL.Query().Get("q"), before, int(limit)+1)
	if err != nil {
		return err
	}
	out := map[string]any{"contacts": list}
	if len(list) > int(limit) {
		list = list[:limit]
		out["contacts"], out["next_before_id"] = list, list[len(list)-1].ID
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) getContact(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "contact_id")
	if err != nil {
		return err
	}
	c, err := s.DB.Contact(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (s *Server) updateContact(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "contact_id")
	if err != nil {
		return err
	}
	var req struct {
		Name  *string `json:"name"`
		Email *string `json:"email"`
		Phone *string `json:"phone"`
	}
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if req.Name == nil && req.Email == nil && req.Phone == nil {
		return parley.Errorf(parley.EINVALID, "nothing to change: send name, email or phone")
	}
	c, err := s.Inbox.UpdateContact(r.Context(), actorFrom(r), id, inbox.ContactChange{Name: req.Name, Email: req.Email, Phone: req.Phone})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

// mergeContact merges the contact named in the body into the one in the path.
func (s *Server) mergeContact(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "contact_id")
	if err != nil {
		return err
	}
	var req struct {
		SourceID int64 `json:"source_id"`
	}
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if req.SourceID <= 0 {
		return parley.Errorf(parley.EINVALID, "source_id (the contact to merge into this one) is required")
	}
	m, err := s.Inbox.Merge(r.Context(), actorFrom(r), id, req.SourceID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, m)
}

func (s *Server) unmergeContact(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "contact_id")
	if err != nil {
		return err
	}
	var req struct {
		MergeID int64 `json:"merge_id"`
	}
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if req.MergeID <= 0 {
		return parley.Errorf(parley.EINVALID, "merge_id is required")
	}
	m, err := s.Inbox.Unmerge(r.Context(), actorFrom(r), id, req.MergeID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, m)
}

func (s *Server) listMerges(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "contact_id")
	if err != nil {
		return err
	}
	if _, err := s.DB.Contact(r.Context(), id); err != nil {
		return err
	}
	list, err := s.DB.ContactMerges(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"merges": list})
}
