package web

import (
	"net/http"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

type tokensView struct {
	Page
	Tokens []parley.APIToken
	Agents map[int64]string
	Now    time.Time // for each token's status
	Secret string    // the token just created, shown once
}

func (s *Server) tokensView(r *http.Request) (tokensView, error) {
	v := tokensView{Page: s.page(r, "API tokens", "tokens"), Agents: map[int64]string{}, Now: s.DB.Now()}
	var err error
	if v.Tokens, err = s.DB.APITokens(r.Context()); err != nil {
		return v, err
	}
	agents, err := s.DB.Agents(r.Context())
	for _, a := range agents {
		v.Agents[a.ID] = a.Name
	}
	return v, err
}

func (s *Server) tokensPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.tokensView(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin_tokens", "", v)
}

// createToken makes a token acting as the signed-in admin, with the scope
// and lifetime chosen, and shows its secret once.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	actor := actorFrom(r)
	t := parley.APIToken{Name: trimmed(r, "name"), AgentID: actor.AgentID, Scope: parley.TokenScope(trimmed(r, "scope"))}
	life, err := parley.ParseTokenLifetime(trimmed(r, "expires"))
	if err != nil {
		return err
	}
	if life > 0 {
		at := s.DB.Now().Add(life)
		t.ExpiresAt = &at
	}
	_, secret, err := s.Inbox.CreateToken(r.Context(), actor, t)
	if err != nil {
		return err
	}
	v, err := s.tokensView(r)
	if err != nil {
		return err
	}
	v.Secret = secret
	return s.render(w, r, http.StatusOK, "admin_tokens", "", v)
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := s.Inbox.RevokeToken(r.Context(), actorFrom(r), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/app/admin/tokens?flash=revoked", http.StatusSeeOther)
	return nil
}
