package web

import (
	"fmt"
	"net/http"

	"github.com/parleyhq/parley/internal/connect/agents"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Settings → Outside agents: the remote A2A agents workflows and agents
// may ask (registered by their card's URL, shown with their skills), and
// the audit of every call in and out over the agent protocols.

type remoteAgentsView struct {
	Page
	Agents []remoteAgentRow
	Calls  []store.AgentCall
	Error  string
	Form   struct{ Name, CardURL string }
}

type remoteAgentRow struct {
	store.RemoteAgent
	Title, Description, URL string
	Skills                  []string
}

func (s *Server) remoteAgentsView(r *http.Request) (remoteAgentsView, error) {
	v := remoteAgentsView{Page: s.page(r, "Outside agents", "remote-agents")}
	list, err := s.DB.RemoteAgents(r.Context())
	if err != nil {
		return v, err
	}
	for _, a := range list {
		row := remoteAgentRow{RemoteAgent: a}
		if card, err := agents.Card(a); err == nil {
			row.Title, row.Description, row.URL = card.Name, card.Description, agents.FirstURL(card)
			for _, sk := range card.Skills {
				row.Skills = append(row.Skills, sk.Name)
			}
		}
		v.Agents = append(v.Agents, row)
	}
	v.Calls, err = s.DB.AgentCalls(r.Context(), store.AgentCallFilter{Limit: 50})
	return v, err
}

func (s *Server) remoteAgentsPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.remoteAgentsView(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin_remote_agents", "", v)
}

// registerRemoteAgent fetches and checks the card; a refusal is shown on
// the page with the form kept, and stores nothing.
func (s *Server) registerRemoteAgent(w http.ResponseWriter, r *http.Request) error {
	name, cardURL := trimmed(r, "name"), trimmed(r, "card_url")
	if _, err := s.Agents.Register(r.Context(), name, cardURL, trimmed(r, "token")); err != nil {
		v, verr := s.remoteAgentsView(r)
		if verr != nil {
			return verr
		}
		v.Error, v.Form.Name, v.Form.CardURL = parley.ErrorMessage(err), name, cardURL
		return s.render(w, r, http.StatusBadRequest, "admin_remote_agents", "", v)
	}
	http.Redirect(w, r, "/app/admin/remote-agents?flash=saved", http.StatusSeeOther)
	return nil
}

func (s *Server) refreshRemoteAgent(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := s.Agents.Refresh(r.Context(), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/app/admin/remote-agents?flash=saved", http.StatusSeeOther)
	return nil
}

func (s *Server) deleteRemoteAgent(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.Agents.Delete(r.Context(), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/app/admin/remote-agents?flash=deleted", http.StatusSeeOther)
	return nil
}

// askAgent asks a remote agent about the open conversation: the question
// is a note now, the answer another when it comes (live on the timeline).
func (s *Server) askAgent(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := s.Asking.Ask(r.Context(), actorFrom(r), id, trimmed(r, "agent"), r.PostFormValue("text")); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/app/conversations/%d?%s", id, r.URL.RawQuery), http.StatusSeeOther)
	return nil
}
