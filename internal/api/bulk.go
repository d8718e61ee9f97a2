package api

import (
	"net/http"

	"github.com/parleyhq/parley/internal/bulk"
)

// Bulk actions (internal/bulk): one action on many conversations, each
// changed through its own use case (one event each), failures reported
// per conversation; the answer says how to undo what changed.

type bulkRequest struct {
	IDs    []int64     `json:"ids"`
	Action bulk.Action `json:"action"`
}

func (s *Server) bulkConversations(w http.ResponseWriter, r *http.Request) error {
	var req bulkRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	res, err := bulk.Apply(r.Context(), s.Inbox, actorFrom(r), req.IDs, req.Action)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

type bulkUndoRequest struct {
	Undo []bulk.Undo `json:"undo"`
}

func (s *Server) bulkUndo(w http.ResponseWriter, r *http.Request) error {
	var req bulkUndoRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	res, err := bulk.Revert(r.Context(), s.Inbox, actorFrom(r), req.Undo)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}
