package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// slaPolicyJSON is an SLA policy as the API shows it, with its targets in
// seconds (parley.SLAPolicy keeps them as durations).
type slaPolicyJSON struct {
	ID                   int64           `json:"id"`
	Name                 string          `json:"name"`
	Priority             parley.Priority `json:"priority"` // "": any
	InboxID              *int64          `json:"inbox_id"`
	TeamID               *int64          `json:"team_id"`
	Label                string          `json:"label"` // "": any
	FirstResponseSeconds int64           `json:"first_response_seconds"`
	NextResponseSeconds  int64           `json:"next_response_seconds"`
	ResolutionSeconds    int64           `json:"resolution_seconds"`
	WarnPercent          int             `json:"warn_percent"`
}

func showSLAPolicy(p parley.SLAPolicy) slaPolicyJSON {
	return slaPolicyJSON{ID: p.ID, Name: p.Name, Priority: p.Priority, InboxID: p.InboxID, TeamID: p.TeamID, Label: p.Label,
		FirstResponseSeconds: int64(p.FirstResponse / time.Second), NextResponseSeconds: int64(p.NextResponse / time.Second),
		ResolutionSeconds: int64(p.Resolution / time.Second), WarnPercent: p.WarnPercent}
}

// slaPolicyRequest is the body of POST and PATCH /sla-policies: absent
// fields keep their values (on POST, their defaults).
type slaPolicyRequest struct {
	Name                 *string          `json:"name"`
	Priority             *parley.Priority `json:"priority"`
	InboxID              *int64           `json:"inbox_id"` // 0: any inbox
	TeamID               *int64           `json:"team_id"`  // 0: any team
	Label                *string          `json:"label"`
	FirstResponseSeconds *int64           `json:"first_response_seconds"`
	NextResponseSeconds  *int64           `json:"next_response_seconds"`
	ResolutionSeconds    *int64           `json:"resolution_seconds"`
	WarnPercent          *int             `json:"warn_percent"`
}

func (req slaPolicyRequest) empty() bool { return req == (slaPolicyRequest{}) }

const maxSLATarget = 365 * 24 * time.Hour

// apply copies the fields given onto p. Validate (in the store) checks
// the result.
func (req slaPolicyRequest) apply(p *parley.SLAPolicy) error {
	if req.Name != nil {
		p.Name = *req.Name
	}
	if req.Priority != nil {
		p.Priority = *req.Priority
	}
	for _, f := range []struct {
		name string
		in   *int64
		dst  **int64
	}{{"inbox_id", req.InboxID, &p.InboxID}, {"team_id", req.TeamID, &p.TeamID}} {
		switch {
		case f.in == nil:
		case *f.in == 0:
			*f.dst = nil
		case *f.in < 0:
			return parley.Errorf(parley.EINVALID, "%s must be a positive id, or 0 for any", f.name)
		default:
			id := *f.in
			*f.dst = &id
		}
	}
	if req.Label != nil {
		p.Label = ""
		if l := strings.TrimSpace(*req.Label); l != "" {
			labels, err := parley.NormalizeLabels([]string{l})
			if err != nil {
				return err
			}
			p.Label = labels[0]
		}
	}
	for _, f := range []struct {
		in  *int64
		dst *time.Duration
	}{{req.FirstResponseSeconds, &p.FirstResponse}, {req.NextResponseSeconds, &p.NextResponse}, {req.ResolutionSeconds, &p.Resolution}} {
		switch {
		case f.in == nil:
		case *f.in < 0 || *f.in > int64(maxSLATarget/time.Second):
			*f.dst = -1 // out of range (and before it can overflow): Validate refuses it
		default:
			*f.dst = time.Duration(*f.in) * time.Second
		}
	}
	if req.WarnPercent != nil {
		p.WarnPercent = *req.WarnPercent
	}
	return nil
}

func (s *Server) listSLAPolicies(w http.ResponseWriter, r *http.Request) error {
	list, err := s.DB.SLAPolicies(r.Context())
	if err != nil {
		return err
	}
	out := make([]slaPolicyJSON, len(list))
	for i, p := range list {
		out[i] = showSLAPolicy(p)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"sla_policies": out})
}

func (s *Server) createSLAPolicy(w http.ResponseWriter, r *http.Request) error {
	var req slaPolicyRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	var p parley.SLAPolicy
	if err := req.apply(&p); err != nil {
		return err
	}
	p, err := s.Inbox.SaveSLAPolicy(r.Context(), actorFrom(r), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, showSLAPolicy(p))
}

func (s *Server) updateSLAPolicy(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "policy_id")
	if err != nil {
		return err
	}
	var req slaPolicyRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if req.empty() {
		return parley.Errorf(parley.EINVALID, "nothing to change: send name, priority, inbox_id, team_id, label, a target or warn_percent")
	}
	p, err := s.slaPolicy(r, id)
	if err != nil {
		return err
	}
	if err := req.apply(&p); err != nil {
		return err
	}
	if p, err = s.Inbox.SaveSLAPolicy(r.Context(), actorFrom(r), p); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, showSLAPolicy(p))
}

func (s *Server) deleteSLAPolicy(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "policy_id")
	if err != nil {
		return err
	}
	if err := s.Inbox.DeleteSLAPolicy(r.Context(), actorFrom(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// slaPolicy returns one policy, from the list (there are few). Returns
// ENOTFOUND for an unknown id.
func (s *Server) slaPolicy(r *http.Request, id int64) (parley.SLAPolicy, error) {
	list, err := s.DB.SLAPolicies(r.Context())
	if err != nil {
		return parley.SLAPolicy{}, err
	}
	for _, p := range list {
		if p.ID == id {
			return p, nil
		}
	}
	return parley.SLAPolicy{}, parley.Errorf(parley.ENOTFOUND, "SLA policy %d not found", id)
}

// breachingSoonWindow is how far ahead "breaching soon" looks.
const breachingSoonWindow = time.Hour

// breachingSoon lists the conversations whose nearest SLA target is due
// within the hour or already overdue, soonest first.
func (s *Server) breachingSoon(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 25, 1, 100)
	if err != nil {
		return err
	}
	list, err := s.DB.BreachingSoon(r.Context(), s.DB.Now().Add(breachingSoonWindow), int(limit))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"conversations": list})
}
