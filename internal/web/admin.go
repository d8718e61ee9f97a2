package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/jsonhttp"
	"github.com/parleyhq/parley/internal/parley"
)

// AgentRow is an agent on the admin page.
type AgentRow struct {
	parley.Agent
	LastSeen *time.Time
	Online   bool
	Self     bool
	// Open is how many open conversations they carry: above Capacity when
	// conversations they hold came back to them (see docs/ROUTING.md).
	Open int
}

type agentsView struct {
	Page
	Agents   []AgentRow
	Created  *parley.Agent
	Password string // the generated password of the agent just invited, shown once
	Error    string
}

func (s *Server) agentsView(r *http.Request) (agentsView, error) {
	v := agentsView{Page: s.page(r, "Agents", "agents")}
	agents, err := s.DB.Agents(r.Context())
	if err != nil {
		return v, err
	}
	seen, err := s.DB.AgentsLastSeen(r.Context())
	if err != nil {
		return v, err
	}
	open, err := s.DB.OpenCounts(r.Context())
	if err != nil {
		return v, err
	}
	now := s.DB.Now()
	for _, a := range agents {
		row := AgentRow{Agent: a, Self: a.ID == v.Agent.ID, Open: open[a.ID]}
		if t, ok := seen[a.ID]; ok {
			row.LastSeen = &t
			row.Online = now.Sub(t) < inbox.OnlineWindow
		}
		v.Agents = append(v.Agents, row)
	}
	return v, nil
}

func (s *Server) agentsPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.agentsView(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin_agents", "", v)
}

// inviteAgent creates an agent with a generated password, shown once.
func (s *Server) inviteAgent(w http.ResponseWriter, r *http.Request) error {
	a := parley.Agent{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Role: parley.Role(r.PostFormValue("role"))}
	created, password, err := s.Inbox.CreateAgent(r.Context(), actorFrom(r), a, "")
	if code := parley.ErrorCode(err); code == parley.EINVALID || code == parley.ECONFLICT {
		v, verr := s.agentsView(r)
		if verr != nil {
			return verr
		}
		v.Error = parley.ErrorMessage(err)
		return s.render(w, r, jsonhttp.StatusFor(code), "admin_agents", "", v)
	}
	if err != nil {
		return err
	}
	v, err := s.agentsView(r)
	if err != nil {
		return err
	}
	v.Created, v.Password = &created, password
	return s.render(w, r, http.StatusOK, "admin_agents", "", v)
}

func (s *Server) changeRole(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.Inbox.SetAgentRole(r.Context(), actorFrom(r), id, parley.Role(r.PostFormValue("role"))); err != nil {
		return err
	}
	http.Redirect(w, r, "/app/admin/agents?flash=saved", http.StatusSeeOther)
	return nil
}

func (s *Server) setActive(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.Inbox.SetAgentActive(r.Context(), actorFrom(r), id, r.PostFormValue("active") == "true"); err != nil {
		return err
	}
	http.Redirect(w, r, "/app/admin/agents?flash=saved", http.StatusSeeOther)
	return nil
}

// TeamRow is a team with its members.
type TeamRow struct {
	parley.Team
	Members    []parley.Agent
	NonMembers []parley.Agent
}

type teamsView struct {
	Page
	Teams  []TeamRow
	Agents []parley.Agent
}

func (s *Server) teamsPage(w http.ResponseWriter, r *http.Request) error {
	v := teamsView{Page: s.page(r, "Teams", "teams")}
	teams, err := s.DB.Teams(r.Context())
	if err != nil {
		return err
	}
	if v.Agents, err = s.DB.Agents(r.Context()); err != nil {
		return err
	}
	members, err := s.DB.TeamMembers(r.Context())
	if err != nil {
		return err
	}
	for _, t := range teams {
		row := TeamRow{Team: t}
		in := map[int64]bool{}
		for _, id := range members[t.ID] {
			in[id] = true
		}
		for _, a := range v.Agents {
			if in[a.ID] {
				row.Members = append(row.Members, a)
			} else if a.Active {
				row.NonMembers = append(row.NonMembers, a)
			}
		}
		v.Teams = append(v.Teams, row)
	}
	return s.render(w, r, http.StatusOK, "admin_teams", "", v)
}

func (s *Server) createTeam(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.Inbox.CreateTeam(r.Context(), actorFrom(r), parley.Team{Name: r.PostFormValue("name")}, nil); err != nil {
		return err
	}
	http.Redirect(w, r, "/app/admin/teams?flash=saved", http.StatusSeeOther)
	return nil
}

// teamMember adds (action=add) or removes an agent.
func (s *Server) teamMember(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	agentID, err := optID(r.PostFormValue("agent_id"))
	if err != nil || agentID == 0 {
		return parley.Errorf(parley.EINVALID, "pick an agent")
	}
	if err := s.Inbox.SetTeamMember(r.Context(), actorFrom(r), id, agentID, r.PostFormValue("action") != "remove"); err != nil {
		return err
	}
	http.Redirect(w, r, "/app/admin/teams?flash=saved", http.StatusSeeOther)
	return nil
}

func trimmed(r *http.Request, name string) string { return strings.TrimSpace(r.PostFormValue(name)) }
