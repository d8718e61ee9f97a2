package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/internal/assist"
	"github.com/parleyhq/parley/internal/parley"
)

// SummaryView is the summary panel: hidden for a conversation short
// enough to read.
type SummaryView struct {
	ConvID  int64
	Summary assist.Summary
	Short   bool
}

// summaryPartial renders the conversation's summary (cached per last
// message by the assistant: a page view recomputes nothing).
func (s *Server) summaryPartial(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sum, err := s.Assist.Summary(r.Context(), id)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "partials", "assist-summary",
		SummaryView{ConvID: id, Summary: sum, Short: sum.Turns < assist.SummaryMinTurns})
}

// DraftsView is the drafts panel.
type DraftsView struct {
	Set     assist.DraftSet
	Sources map[string]assist.Source // "kind/id" → source
}

// SourceOf is the cited source a reference names; nil when unknown.
func (v DraftsView) SourceOf(ref assist.Ref) *assist.Source {
	src, ok := v.Sources[ref.Kind+"/"+strconv.FormatInt(ref.ID, 10)]
	if !ok {
		return nil
	}
	return &src
}

func (s *Server) draftsPartial(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	set, err := s.Assist.MakeDrafts(r.Context(), actorFrom(r).AgentID, id)
	if err != nil {
		return err
	}
	v := DraftsView{Set: set, Sources: map[string]assist.Source{}}
	for _, src := range set.Sources {
		v.Sources[src.Kind+"/"+strconv.FormatInt(src.ID, 10)] = src
	}
	return s.render(w, r, http.StatusOK, "partials", "assist-drafts", v)
}

// checkPartial coaches the composer's text as the agent types.
func (s *Server) checkPartial(w http.ResponseWriter, r *http.Request) error {
	convID, _ := strconv.ParseInt(r.FormValue("conversation_id"), 10, 64)
	text := r.FormValue("text")
	var findings []assist.Finding
	blocked := false
	if strings.TrimSpace(text) != "" {
		var err error
		findings, err = s.Assist.CheckReply(r.Context(), convID, text)
		if err != nil && len(findings) == 0 {
			return err
		}
		blocked = err != nil
	}
	return s.render(w, r, http.StatusOK, "partials", "assist-findings", map[string]any{"Findings": findings, "Blocked": blocked})
}

// rewrite answers JSON: the composer replaces its text with it.
func (s *Server) rewrite(w http.ResponseWriter, r *http.Request) error {
	convID, _ := strconv.ParseInt(r.FormValue("conversation_id"), 10, 64)
	var inboxID int64
	if convID != 0 {
		conv, err := s.DB.Conversation(r.Context(), convID)
		if err != nil {
			return err
		}
		inboxID = conv.InboxID
	}
	out, err := s.Assist.Rewrite(r.Context(), inboxID, r.FormValue("text"), r.FormValue("kind"), r.FormValue("lang"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(out)
}

// draftUse reads the composer's record of the draft it was filled from.
func draftUse(r *http.Request) (*assist.DraftUse, error) {
	v := r.FormValue("draft_set")
	if v == "" {
		return nil, nil
	}
	set, err1 := strconv.ParseInt(v, 10, 64)
	idx, err2 := strconv.Atoi(r.FormValue("draft_index"))
	if err1 != nil || err2 != nil {
		return nil, parley.Errorf(parley.EINVALID, "the draft reference %q/%q is not valid", v, r.FormValue("draft_index"))
	}
	return &assist.DraftUse{SetID: set, Index: idx}, nil
}

// saveInboxAssist stores an inbox's assistant settings from its settings page.
func (s *Server) saveInboxAssist(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return parley.Errorf(parley.EINVALID, "the form could not be read")
	}
	set := assist.InboxSettings{Model: r.FormValue("model") == "on", Blocking: r.Form["blocking"]}
	if err := s.Assist.SetSettings(r.Context(), id, set); err != nil {
		return err
	}
	http.Redirect(w, r, "/app/admin/inboxes/"+strconv.FormatInt(id, 10)+"?saved=assist#assist", http.StatusSeeOther)
	return nil
}

func (s *Server) assistSection(r *http.Request, inboxID int64) (assistView, error) {
	set, err := s.Assist.Settings(r.Context(), inboxID)
	if err != nil {
		return assistView{}, err
	}
	v := assistView{Model: set.Model}
	for _, c := range assist.Checks() {
		blocking := false
		for _, b := range set.Blocking {
			blocking = blocking || b == c
		}
		v.Checks = append(v.Checks, assistCheckView{Name: c, Blocking: blocking})
	}
	return v, nil
}
