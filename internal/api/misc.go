package api

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/parleyhq/parley/internal/blob"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

//go:embed openapi.json
var openAPIDoc []byte

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, err := w.Write(openAPIDoc)
	return err
}

// upload stores a file and returns its upload_id, for messages' attachments.
// The body is the file itself; its type is sniffed from the bytes.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) error {
	if r.ContentLength > s.MaxUploadBytes {
		return parley.Errorf(parley.ETOOLARGE, "file is larger than the %d-byte limit", s.MaxUploadBytes)
	}
	info, err := s.Inbox.Upload(r.Context(), http.MaxBytesReader(w, r.Body, s.MaxUploadBytes+1), s.MaxUploadBytes)
	if err != nil {
		if strings.Contains(err.Error(), "request body too large") {
			return parley.Errorf(parley.ETOOLARGE, "file is larger than the %d-byte limit", s.MaxUploadBytes)
		}
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"upload_id": info.SHA256, "size": info.Size, "content_type": info.ContentType})
}

// getAttachment serves a file as a download, with its sniffed type and
// nosniff, so an uploaded HTML or SVG file cannot run as a page of ours.
func (s *Server) getAttachment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "attachment_id")
	if err != nil {
		return err
	}
	a, err := s.DB.Attachment(r.Context(), id)
	if err != nil {
		return err
	}
	return blob.Serve(w, r, s.Blobs, a, false)
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.SearchFilter{Query: q.Get("q"), Status: parley.Status(q.Get("status"))}
	if strings.TrimSpace(f.Query) == "" {
		return parley.Errorf(parley.EINVALID, "query parameter q is required")
	}
	if f.Status != "" && !f.Status.Valid() {
		return parley.Errorf(parley.EINVALID, "status %q is not one of open, pending, snoozed, resolved", f.Status)
	}
	var err error
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"inbox_id", &f.InboxID}, {"assignee_id", &f.AssigneeID}, {"contact_id", &f.ContactID}, {"before_id", &f.BeforeID}} {
		if *p.dst, err = queryInt(r, p.name, 0, 1, 1<<62); err != nil {
			return err
		}
	}
	if f.From, err = queryTime(r, "from"); err != nil {
		return err
	}
	if f.To, err = queryTime(r, "to"); err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 25, 1, 100)
	if err != nil {
		return err
	}
	f.Limit = int(limit) + 1 // one more than asked tells whether there is a next page
	page, err := s.DB.Search(r.Context(), f)
	if err != nil {
		return err
	}
	results := page.Results
	out := map[string]any{"results": results}
	if page.Incomplete {
		// The newest messages wait for the full-text index (after a bulk
		// load): say so rather than make the caller wait.
		out["incomplete"], out["pending"] = true, page.Pending
	}
	if len(results) > int(limit) {
		results = results[:limit]
		out["results"], out["next_before_id"] = results, results[len(results)-1].ID
	}
	return writeJSON(w, http.StatusOK, out)
}

// listEvents pages through the event log: pass the last seq you saw as after.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) error {
	after, err := queryInt(r, "after", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	// config.changed events are Parley's own plumbing (caches across
	// nodes), not changes of the conversations an integration follows:
	// they are skipped, and last_seq moves past them. A page is empty
	// only at the end of the log, as before.
	events, last := []parley.Event{}, after
	for {
		page, err := s.DB.Events(r.Context(), last, int(limit))
		if err != nil {
			return err
		}
		for _, e := range page {
			if e.Type != parley.EventConfigChanged {
				events = append(events, e)
			}
		}
		if len(page) > 0 {
			last = page[len(page)-1].Seq
		}
		if len(events) > 0 || len(page) < int(limit) {
			break
		}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"events": events, "last_seq": last})
}

func (s *Server) listAgents(w http.ResponseWriter, r *http.Request) error {
	list, err := s.DB.Agents(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"agents": list})
}

func (s *Server) createAgent(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Email string      `json:"email"`
		Name  string      `json:"name"`
		Role  parley.Role `json:"role"`
	}
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if req.Role == "" {
		req.Role = parley.RoleAgent
	}
	a, password, err := s.Inbox.CreateAgent(r.Context(), actorFrom(r), parley.Agent{Email: req.Email, Name: req.Name, Role: req.Role}, "")
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"agent": a, "password": password})
}

func (s *Server) listTeams(w http.ResponseWriter, r *http.Request) error {
	list, err := s.DB.Teams(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"teams": list})
}

func (s *Server) createTeam(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name      string  `json:"name"`
		MemberIDs []int64 `json:"member_ids"`
	}
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	t, err := s.Inbox.CreateTeam(r.Context(), actorFrom(r), parley.Team{Name: req.Name}, req.MemberIDs)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, t)
}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	status := r.URL.Query().Get("status")
	switch status {
	case "", "pending", "running", "done", "failed":
	default:
		return parley.Errorf(parley.EINVALID, "status %q is not one of pending, running, done, failed", status)
	}
	limit, err := queryInt(r, "limit", 50, 1, 500)
	if err != nil {
		return err
	}
	list, err := s.DB.Jobs(r.Context(), status, int(limit))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"jobs": list})
}

func (s *Server) retryJob(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "job_id")
	if err != nil {
		return err
	}
	j, err := s.Inbox.RetryJob(r.Context(), actorFrom(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, j)
}

// teamResponse is a team with its own business hours (null: the inbox's
// hours time its conversations).
type teamResponse struct {
	parley.Team
	Hours json.RawMessage `json:"hours"`
}

// updateTeam sets a team's business hours.
func (s *Server) updateTeam(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "team_id")
	if err != nil {
		return err
	}
	var req struct {
		Hours json.RawMessage `json:"hours"` // "null" when sent as null, empty when absent
	}
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if len(req.Hours) == 0 {
		return parley.Errorf(parley.EINVALID, "nothing to change: send hours (an object, or null to use the inboxes' hours)")
	}
	if err := s.Inbox.SetTeamHours(r.Context(), actorFrom(r), id, req.Hours); err != nil {
		return err
	}
	t, err := s.DB.Team(r.Context(), id)
	if err != nil {
		return err
	}
	hours, err := s.DB.TeamHours(r.Context(), id)
	if err != nil {
		return err
	}
	out := teamResponse{Team: t, Hours: json.RawMessage("null")}
	if hours != "" {
		out.Hours = json.RawMessage(hours)
	}
	return writeJSON(w, http.StatusOK, out)
}
