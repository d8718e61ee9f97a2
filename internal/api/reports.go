package api

import (
	"net/http"

	"github.com/parleyhq/parley/internal/report"
)

// getReport computes the support metrics of a period from the event log:
// ?from=&to= (RFC 3339 or dates; default the last 7 days), days=, tz= for
// hours of day, daily samples and dates, and filters inbox_id
// (repeatable), channel (repeatable), team_id, agent_id, label, priority
// (report.ParseQuery). Owners and admins only.
func (s *Server) getReport(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	from, to, loc, f, err := report.ParseQuery(r.URL.Query(), s.DB.Now().UTC())
	if err != nil {
		return err
	}
	if v := r.URL.Query().Get("replay"); v == "true" || v == "1" {
		// The audit path: replay the event log itself instead of reading
		// the pre-aggregated facts. Slower; the same numbers.
		in, err := report.Load(r.Context(), s.DB, from, to, loc)
		if err != nil {
			return err
		}
		rep := report.Compute(in, from, to, f)
		if rep.Surveys, err = report.LoadSurveys(r.Context(), s.DB, from, to, f); err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, rep)
	}
	rep, err := report.Build(r.Context(), s.DB, from, to, loc, f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}
