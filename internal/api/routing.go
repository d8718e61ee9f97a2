package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
)

// agentChange is the body of PATCH /agents/{agent_id}.
type agentChange struct {
	Availability *parley.Availability `json:"availability"`
	Capacity     *int                 `json:"capacity"`
}

// updateAgent sets an agent's availability and capacity. Every check is
// made before the first write, so a refused request changes nothing.
func (s *Server) updateAgent(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "agent_id")
	if err != nil {
		return err
	}
	var req agentChange
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if req == (agentChange{}) {
		return parley.Errorf(parley.EINVALID, "nothing to change: send availability or capacity")
	}
	actor := actorFrom(r)
	self := actor.AgentID != nil && *actor.AgentID == id
	if req.Availability != nil {
		if !req.Availability.Valid() {
			return parley.Errorf(parley.EINVALID, "availability %q is not one of online, away, offline", *req.Availability)
		}
		if !self && !actor.Role.IsAdmin() {
			return parley.Errorf(parley.EFORBIDDEN, "agents set their own availability; admins may set anyone's")
		}
	}
	if req.Capacity != nil {
		if !actor.Role.IsAdmin() {
			return parley.Errorf(parley.EFORBIDDEN, "only owners and admins may set an agent's capacity")
		}
		if *req.Capacity < 1 || *req.Capacity > 500 {
			return parley.Errorf(parley.EINVALID, "capacity must be between 1 and 500 open conversations")
		}
	}
	if _, err := s.DB.Agent(r.Context(), id); err != nil {
		return err
	}
	if req.Capacity != nil {
		if err := s.Inbox.SetCapacity(r.Context(), actor, id, *req.Capacity); err != nil {
			return err
		}
	}
	if req.Availability != nil {
		if self && *req.Availability == parley.Online {
			// Going online is being here: without it the idle sweep would
			// set an agent with no inbox open away again at once.
			if err := s.Inbox.TouchPresence(r.Context(), id); err != nil {
				return err
			}
		}
		if err := s.Inbox.SetAvailability(r.Context(), actor, id, *req.Availability, "api"); err != nil {
			return err
		}
	}
	a, err := s.DB.Agent(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

// queueItem is a queued conversation with its place in the queue.
type queueItem struct {
	parley.Conversation
	Position int `json:"position"`
}

// listQueue shows the conversations waiting for an agent, next first.
func (s *Server) listQueue(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 100, 1, 500)
	if err != nil {
		return err
	}
	list, err := s.DB.Queue(r.Context(), int(limit))
	if err != nil {
		return err
	}
	out := make([]queueItem, len(list))
	for i, c := range list {
		out[i] = queueItem{Conversation: c, Position: i + 1}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"conversations": out})
}

// expectedReply is what an inbox would promise a customer writing now.
// It may be up to inbox.ExpectedTTL old: as_of says when it was computed,
// and Cache-Control how much longer it holds.
func (s *Server) expectedReply(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "inbox_id")
	if err != nil {
		return err
	}
	p, err := s.Inbox.ExpectedReply(r.Context(), id)
	if err != nil {
		return err
	}
	left := inbox.ExpectedTTL - s.DB.Now().Sub(p.AsOf)
	w.Header().Set("Cache-Control", fmt.Sprintf("private, max-age=%d", max(0, int(left/time.Second))))
	var by *string
	if !p.ReplyBy.IsZero() {
		v := p.ReplyBy.UTC().Format(time.RFC3339)
		by = &v
	}
	return writeJSON(w, http.StatusOK, map[string]any{"reply_by": by, "text": p.Text, "after_hours": p.AfterHours, "away": p.Away,
		"agents_online": p.Online, "position": p.Position, "as_of": p.AsOf.UTC().Format(time.RFC3339)})
}
