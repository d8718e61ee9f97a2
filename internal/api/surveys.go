package api

import (
	"net/http"

	"github.com/parleyhq/parley/internal/parley"
)

// listSurveys answers a conversation's surveys, newest resolution first:
// sent ones with their answers, and skipped ones with the reason. The
// customer's token is never shown.
func (s *Server) listSurveys(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "conversation_id")
	if err != nil {
		return err
	}
	if _, err := s.DB.Conversation(r.Context(), id); err != nil {
		return err
	}
	list, err := s.DB.Surveys(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string][]parley.Survey{"surveys": list})
}
