package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/parleyhq/parley/internal/bulk"
	"github.com/parleyhq/parley/internal/parley"
)

// Bulk actions from the inbox list: the selected conversations, one
// action (internal/bulk), the result with what failed and why, and an
// Undo that puts back what changed, offered for a few seconds.

type bulkView struct {
	CSRF    string
	Summary string
	Failed  []bulk.Failure
	Undo    string // the undo list as JSON, for the Undo button; "" after an undo
}

// bulkVerbs are the actions the bar offers, by the form's action value.
var bulkVerbs = map[string]string{"resolve": "Resolved", "reopen": "Reopened", "pending": "Marked pending", "assign_me": "Assigned to you",
	"unassign": "Unassigned", "priority": "Changed the priority of", "label": "Labelled", "unlabel": "Removed the label from", "snooze": "Snoozed"}

func (s *Server) bulkAction(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return parley.Errorf(parley.EINVALID, "the form could not be read")
	}
	var ids []int64
	for _, v := range r.PostForm["ids"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return parley.Errorf(parley.EINVALID, "%q is not a conversation", v)
		}
		ids = append(ids, id)
	}
	var a bulk.Action
	what := r.PostFormValue("action")
	switch what {
	case "resolve":
		a.Status = parley.StatusResolved
	case "reopen":
		a.Status = parley.StatusOpen
	case "pending":
		a.Status = parley.StatusPending
	case "assign_me":
		a.Assign = actorFrom(r).AgentID
	case "unassign":
		zero := int64(0)
		a.Assign = &zero
	case "priority":
		a.Priority = parley.Priority(r.PostFormValue("priority"))
	case "label":
		a.AddLabel = trimmed(r, "label")
	case "unlabel":
		a.RemoveLabel = trimmed(r, "label")
	case "snooze":
		until := s.DB.Now().Add(time.Hour)
		a.SnoozeUntil = &until
	default:
		return parley.Errorf(parley.EINVALID, "choose what to do with the selected conversations")
	}
	res, err := bulk.Apply(r.Context(), s.Inbox, actorFrom(r), ids, a)
	if err != nil {
		return err
	}
	v := bulkView{CSRF: csrfOf(r), Summary: bulk.Summary(bulkVerbs[what], res), Failed: res.Failed}
	if len(res.Undo) > 0 {
		b, _ := json.Marshal(res.Undo)
		v.Undo = string(b)
	}
	return s.render(w, r, http.StatusOK, "partials", "bulk-result", v)
}

func (s *Server) bulkUndo(w http.ResponseWriter, r *http.Request) error {
	var undo []bulk.Undo
	if err := json.Unmarshal([]byte(r.PostFormValue("undo")), &undo); err != nil {
		return parley.Errorf(parley.EINVALID, "there is nothing to undo")
	}
	res, err := bulk.Revert(r.Context(), s.Inbox, actorFrom(r), undo)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "partials", "bulk-result",
		bulkView{CSRF: csrfOf(r), Summary: bulk.Summary("Put back", res), Failed: res.Failed})
}

func csrfOf(r *http.Request) string {
	u, _ := userFrom(r)
	return u.Session.CSRFToken
}

// typing tells the customer an agent is writing them a reply (the page
// sends it at most every few seconds while they type).
func (s *Server) typing(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := s.DB.Conversation(r.Context(), id)
	if err != nil {
		return err
	}
	if err := s.DB.Typing(r.Context(), c, actorFrom(r).AgentID, "agent"); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
