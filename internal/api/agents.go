package api

import (
	"net/http"
	"time"

	"github.com/parleyhq/parley/internal/connect/agents"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Remote agents (internal/connect/agents): owners and admins register
// them by their card's URL; everyone reads the list (never a token);
// agents ask one about a conversation they may write on. The agent-call
// audit is for owners and admins.

// remoteAgentView is a remote agent as the API shows it.
type remoteAgentView struct {
	ID        int64       `json:"id"`
	Name      string      `json:"name"`
	CardURL   string      `json:"card_url"`
	HasToken  bool        `json:"has_token"`
	Card      cardView    `json:"card"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
	Skills    []skillView `json:"skills"`
}

type cardView struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Version     string `json:"version"`
	URL         string `json:"url"`
}

type skillView struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

func viewRemoteAgent(a store.RemoteAgent) remoteAgentView {
	v := remoteAgentView{ID: a.ID, Name: a.Name, CardURL: a.CardURL, HasToken: a.Secret != "", CreatedAt: a.CreatedAt,
		UpdatedAt: a.UpdatedAt, Skills: []skillView{}}
	card, err := agents.Card(a)
	if err != nil {
		return v
	}
	v.Card = cardView{Name: card.Name, Description: card.Description, Version: card.Version, URL: agents.FirstURL(card)}
	for _, s := range card.Skills {
		v.Skills = append(v.Skills, skillView{ID: s.ID, Name: s.Name, Description: s.Description})
	}
	return v
}

func (s *Server) listRemoteAgents(w http.ResponseWriter, r *http.Request) error {
	list, err := s.DB.RemoteAgents(r.Context())
	if err != nil {
		return err
	}
	out := []remoteAgentView{}
	for _, a := range list {
		out = append(out, viewRemoteAgent(a))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"agents": out})
}

type remoteAgentCreate struct {
	Name    string `json:"name"`
	CardURL string `json:"card_url"`
	Token   string `json:"token"`
}

// createRemoteAgent fetches the card (through the outbound guard),
// checks it and stores the agent; a card that cannot be read or offers
// nothing Parley speaks is refused with why, and nothing is stored.
func (s *Server) createRemoteAgent(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	var req remoteAgentCreate
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	a, err := s.Agents.Register(r.Context(), req.Name, req.CardURL, req.Token)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, viewRemoteAgent(a))
}

func (s *Server) refreshRemoteAgent(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	id, err := pathID(r, "agent_id")
	if err != nil {
		return err
	}
	a, err := s.Agents.Refresh(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, viewRemoteAgent(a))
}

func (s *Server) deleteRemoteAgent(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	id, err := pathID(r, "agent_id")
	if err != nil {
		return err
	}
	if err := s.Agents.Delete(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type askAgentRequest struct {
	Agent string `json:"agent"`
	Text  string `json:"text"`
}

// askAgent asks a remote agent about a conversation: the question is
// noted at once (201 with the note), the answer follows as another note.
func (s *Server) askAgent(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "conversation_id")
	if err != nil {
		return err
	}
	var req askAgentRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	m, err := s.Asking.Ask(r.Context(), actorFrom(r), id, req.Agent, req.Text)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, m)
}

// listAgentCalls is the audit of calls in and out over A2A and MCP.
func (s *Server) listAgentCalls(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	f := store.AgentCallFilter{Protocol: r.URL.Query().Get("protocol")}
	if f.Protocol != "" && f.Protocol != "a2a" && f.Protocol != "mcp" {
		return parley.Errorf(parley.EINVALID, "protocol is a2a or mcp")
	}
	limit, err := queryInt(r, "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	f.Limit = int(limit)
	calls, err := s.DB.AgentCalls(r.Context(), f)
	if err != nil {
		return err
	}
	if calls == nil {
		calls = []store.AgentCall{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"calls": calls})
}
