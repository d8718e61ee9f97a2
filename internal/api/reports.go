package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/report"
)

// maxReportSpan bounds one report's period.
const maxReportSpan = 366 * 24 * time.Hour

// getReport computes the support metrics of a period from the event log:
// ?from=&to= (RFC 3339; default the last 7 days), tz= for hours of day and
// daily samples, and filters inbox_id (repeatable), channel (repeatable),
// team_id, agent_id, label, priority. Owners and admins only.
func (s *Server) getReport(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	q := r.URL.Query()
	now := s.DB.Now().UTC()
	to, from := now, now.Add(-7*24*time.Hour)
	var err error
	if v := q.Get("to"); v != "" {
		if to, err = time.Parse(time.RFC3339, v); err != nil {
			return parley.Errorf(parley.EINVALID, "to %q is not an RFC 3339 time", v)
		}
		from = to.Add(-7 * 24 * time.Hour)
	}
	if v := q.Get("from"); v != "" {
		if from, err = time.Parse(time.RFC3339, v); err != nil {
			return parley.Errorf(parley.EINVALID, "from %q is not an RFC 3339 time", v)
		}
	}
	if !from.Before(to) || to.Sub(from) > maxReportSpan {
		return parley.Errorf(parley.EINVALID, "the period must start before it ends and last at most 366 days")
	}
	loc := time.UTC
	if v := q.Get("tz"); v != "" {
		if loc, err = time.LoadLocation(v); err != nil || v == "Local" {
			return parley.Errorf(parley.EINVALID, "tz %q is not a time zone name such as Europe/Paris", v)
		}
	}
	var f report.Filter
	for _, v := range q["inbox_id"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return parley.Errorf(parley.EINVALID, "inbox_id %q is not an id", v)
		}
		f.InboxIDs = append(f.InboxIDs, id)
	}
	for _, v := range q["channel"] {
		if !parley.ChannelType(v).Valid() {
			return parley.Errorf(parley.EINVALID, "channel %q is not a channel type", v)
		}
		f.Channels = append(f.Channels, parley.ChannelType(v))
	}
	for name, dst := range map[string]*int64{"team_id": &f.TeamID, "agent_id": &f.AgentID} {
		if v := q.Get(name); v != "" {
			if *dst, err = strconv.ParseInt(v, 10, 64); err != nil || *dst <= 0 {
				return parley.Errorf(parley.EINVALID, "%s %q is not an id", name, v)
			}
		}
	}
	f.Label = strings.ToLower(strings.TrimSpace(q.Get("label")))
	if v := q.Get("priority"); v != "" {
		if f.Priority = parley.Priority(v); !f.Priority.Valid() {
			return parley.Errorf(parley.EINVALID, "priority %q is not one of low, normal, high, urgent", v)
		}
	}
	in, err := report.Load(r.Context(), s.DB, from, to, loc)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, report.Compute(in, from, to, f))
}
