package api

import (
	"net/http"

	"github.com/parleyhq/parley/internal/assist"
	"github.com/parleyhq/parley/internal/report"
)

// getSummary answers the conversation's summary: cached per last
// message, so reading it again costs one lookup.
func (s *Server) getSummary(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "conversation_id")
	if err != nil {
		return err
	}
	sum, err := s.Assist.Summary(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"summary": sum})
}

// makeDrafts drafts three replies; the answer's id goes with the reply
// that uses one ("draft": {"set_id", "index"}).
func (s *Server) makeDrafts(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "conversation_id")
	if err != nil {
		return err
	}
	set, err := s.Assist.MakeDrafts(r.Context(), actorFrom(r).AgentID, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, set)
}

type checkRequest struct {
	Text           string `json:"text"`
	ConversationID int64  `json:"conversation_id"`
}

// checkReply coaches a reply before it is sent. Blocking findings are
// still an answer here (blocked: true), not an error: nothing is sent.
func (s *Server) checkReply(w http.ResponseWriter, r *http.Request) error {
	var req checkRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	findings, err := s.Assist.CheckReply(r.Context(), req.ConversationID, req.Text)
	blocked := err != nil && len(findings) > 0
	if err != nil && !blocked {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"findings": findings, "blocked": blocked})
}

type rewriteRequest struct {
	Text           string `json:"text"`
	Kind           string `json:"kind"`
	Lang           string `json:"lang"`
	ConversationID int64  `json:"conversation_id"`
}

func (s *Server) rewrite(w http.ResponseWriter, r *http.Request) error {
	var req rewriteRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	var inboxID int64
	if req.ConversationID != 0 {
		conv, err := s.DB.Conversation(r.Context(), req.ConversationID)
		if err != nil {
			return err
		}
		inboxID = conv.InboxID
	}
	out, err := s.Assist.Rewrite(r.Context(), inboxID, req.Text, req.Kind, req.Lang)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) getInboxAssist(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "inbox_id")
	if err != nil {
		return err
	}
	if _, _, err := s.DB.Inbox(r.Context(), id); err != nil {
		return err
	}
	set, err := s.Assist.Settings(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, set)
}

func (s *Server) putInboxAssist(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	id, err := pathID(r, "inbox_id")
	if err != nil {
		return err
	}
	var set assist.InboxSettings
	if err := s.decode(w, r, &set); err != nil {
		return err
	}
	if err := s.Assist.SetSettings(r.Context(), id, set); err != nil {
		return err
	}
	set, err = s.Assist.Settings(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, set)
}

// draftReport is how drafts fared per agent and inbox: the same period
// and filters as /api/v1/reports. Owners and admins only.
func (s *Server) draftReport(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	from, to, _, f, err := report.ParseQuery(r.URL.Query(), s.DB.Now().UTC())
	if err != nil {
		return err
	}
	stats, err := s.Assist.DraftReport(r.Context(), from, to, f.InboxIDs, f.AgentID)
	if err != nil {
		return err
	}
	rows := make([]map[string]any, 0, len(stats))
	for _, st := range stats {
		rows = append(rows, map[string]any{"inbox_id": st.InboxID, "agent_id": st.AgentID, "requests": st.Sets,
			"shown": st.Shown, "used": st.Used, "mean_edit_ratio": st.MeanRatio, "mean_edit_distance": st.MeanEdit})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"from": from, "to": to, "drafts": rows})
}
