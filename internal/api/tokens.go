package api

import (
	"net/http"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// tokenJSON is a token as the API shows it: never its secret, with its
// standing at the time of the answer.
type tokenJSON struct {
	parley.APIToken
	Status string `json:"status"` // active, expired or revoked
}

func (s *Server) showToken(t parley.APIToken) tokenJSON {
	return tokenJSON{APIToken: t, Status: t.Status(s.DB.Now())}
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	list, err := s.DB.APITokens(r.Context())
	if err != nil {
		return err
	}
	out := make([]tokenJSON, len(list))
	for i, t := range list {
		out[i] = s.showToken(t)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
}

// createToken makes a token and answers its secret, once.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name      string            `json:"name"`
		AgentID   *int64            `json:"agent_id"`
		Scope     parley.TokenScope `json:"scope"`
		ExpiresAt *time.Time        `json:"expires_at"`
	}
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	t, secret, err := s.Inbox.CreateToken(r.Context(), actorFrom(r),
		parley.APIToken{Name: req.Name, AgentID: req.AgentID, Scope: req.Scope, ExpiresAt: req.ExpiresAt})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"token": s.showToken(t), "secret": secret})
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "token_id")
	if err != nil {
		return err
	}
	t, err := s.Inbox.RevokeToken(r.Context(), actorFrom(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.showToken(t))
}
