package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/blob"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
)

// done answers a conversation action: htmx gets the refreshed part of the
// page (block), a plain form a redirect back to the conversation.
func (s *Server) done(w http.ResponseWriter, r *http.Request, id int64, block string) error {
	if !isHX(r) {
		http.Redirect(w, r, convHref(id, r.URL.RawQuery), http.StatusSeeOther)
		return nil
	}
	cv, err := s.loadConversation(r)
	if err != nil {
		return err
	}
	// The page refreshes its list, counts and timeline from this, not only
	// from the live stream: the agent who made the change sees it at once
	// even while the stream is reconnecting or behind a slow proxy.
	w.Header().Set("HX-Trigger", "parley:changed")
	return s.render(w, r, http.StatusOK, "partials", block, cv)
}

// maxFiles is how many files one message may carry (as inbox allows).
const maxFiles = 20

// reply sends a reply or, with kind=note, adds an internal note, with any
// attached files.
func (s *Server) reply(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return parley.Errorf(parley.ETOOLARGE, "the files are larger than the upload limit")
			}
			return parley.Errorf(parley.EINVALID, "the form could not be read")
		}
	}
	out := inbox.Outgoing{Text: r.FormValue("text")}
	if v := r.FormValue("via_inbox_id"); v != "" {
		if out.ViaInboxID, err = strconv.ParseInt(v, 10, 64); err != nil {
			return parley.Errorf(parley.EINVALID, "via_inbox_id %q is not an inbox id", v)
		}
	}
	if name := r.FormValue("template"); name != "" {
		out.Template = &inbox.TemplateUse{Name: name, Params: r.Form["template_param"]}
		out.Text = ""
	}
	if r.MultipartForm != nil {
		for _, fh := range r.MultipartForm.File["files"] {
			if fh.Size == 0 {
				continue
			}
			ref, err := s.storeFormFile(r, fh)
			if err != nil {
				return err
			}
			out.Attachments = append(out.Attachments, ref)
		}
	}
	// Files already stored (a resumable upload's, a canned response's
	// clip) come as upload_id with upload_name beside it, in pairs.
	names := r.Form["upload_name"]
	for i, sha := range r.Form["upload_id"] {
		name := "file"
		if i < len(names) && names[i] != "" {
			name = names[i]
		}
		out.Attachments = append(out.Attachments, inbox.AttachmentRef{SHA256: sha, Filename: parley.CleanFilename(name)})
	}
	if len(out.Attachments) > maxFiles {
		return parley.Errorf(parley.EINVALID, "a message may carry at most %d files", maxFiles)
	}
	if r.FormValue("kind") == "note" {
		if _, err = s.Inbox.AddNote(r.Context(), actorFrom(r), id, out); err != nil {
			return err
		}
		return s.done(w, r, id, "timeline")
	}
	use, err := draftUse(r)
	if err != nil {
		return err
	}
	// A held reply shows as a banner on the timeline that done renders.
	if _, err := s.Compose.Reply(r.Context(), actorFrom(r), id, out, use); err != nil {
		return err
	}
	return s.done(w, r, id, "timeline")
}

func (s *Server) update(w http.ResponseWriter, r *http.Request, ch inbox.Change) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := s.Inbox.Update(r.Context(), actorFrom(r), id, ch); err != nil {
		return err
	}
	return s.done(w, r, id, "meta")
}

// assign sets the assignee: an agent id, "me", or "" / 0 for nobody.
func (s *Server) assign(w http.ResponseWriter, r *http.Request) error {
	v := r.PostFormValue("assignee_id")
	var id int64
	switch v {
	case "me":
		id = *actorFrom(r).AgentID
	case "", "0":
	default:
		var err error
		if id, err = optID(v); err != nil {
			return err
		}
	}
	return s.update(w, r, inbox.Change{AssigneeID: &id})
}

func (s *Server) setTeam(w http.ResponseWriter, r *http.Request) error {
	v := r.PostFormValue("team_id")
	var id int64
	if v != "" && v != "0" {
		var err error
		if id, err = optID(v); err != nil {
			return err
		}
	}
	return s.update(w, r, inbox.Change{TeamID: &id})
}

func (s *Server) setPriority(w http.ResponseWriter, r *http.Request) error {
	p := parley.Priority(r.PostFormValue("priority"))
	return s.update(w, r, inbox.Change{Priority: &p})
}

// setLabels replaces the labels with a comma-separated list.
func (s *Server) setLabels(w http.ResponseWriter, r *http.Request) error {
	labels := []string{}
	for _, l := range strings.Split(r.PostFormValue("labels"), ",") {
		if l = strings.TrimSpace(l); l != "" {
			labels = append(labels, l)
		}
	}
	return s.update(w, r, inbox.Change{Labels: &labels})
}

// setStatus resolves, reopens or marks pending.
func (s *Server) setStatus(w http.ResponseWriter, r *http.Request) error {
	st := parley.Status(r.PostFormValue("status"))
	return s.update(w, r, inbox.Change{Status: &st})
}

// snooze sets a conversation aside: until=1h, tomorrow, nextweek, custom
// (with at, a local datetime) or reply (until the customer writes). The
// browser sends its UTC offset in minutes (tz_offset, as JavaScript's
// getTimezoneOffset) so "tomorrow 9:00" is the agent's morning.
func (s *Server) snooze(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	offset, _ := strconv.Atoi(r.PostFormValue("tz_offset"))
	if offset < -14*60 || offset > 14*60 {
		offset = 0
	}
	until, err := snoozeUntil(s.DB.Now(), r.PostFormValue("until"), r.PostFormValue("at"), time.FixedZone("agent", -offset*60))
	if err != nil {
		return err
	}
	if _, err := s.Inbox.Snooze(r.Context(), actorFrom(r), id, until); err != nil {
		return err
	}
	return s.done(w, r, id, "meta")
}

func snoozeUntil(now time.Time, preset, at string, loc *time.Location) (*time.Time, error) {
	local := now.In(loc)
	nineAM := func(days int) *time.Time {
		d := local.AddDate(0, 0, days)
		t := time.Date(d.Year(), d.Month(), d.Day(), 9, 0, 0, 0, loc).UTC()
		return &t
	}
	switch preset {
	case "1h":
		t := now.Add(time.Hour)
		return &t, nil
	case "tomorrow":
		return nineAM(1), nil
	case "nextweek":
		days := (8 - int(local.Weekday())) % 7 // next Monday
		if days == 0 {
			days = 7
		}
		return nineAM(days), nil
	case "reply":
		return nil, nil
	case "custom":
		t, err := time.ParseInLocation("2006-01-02T15:04", at, loc)
		if err != nil {
			return nil, parley.Errorf(parley.EINVALID, "pick a date and time to snooze until")
		}
		t = t.UTC()
		return &t, nil
	}
	return nil, parley.Errorf(parley.EINVALID, "snooze %q is not one of 1h, tomorrow, nextweek, custom, reply", preset)
}

// retry queues a failed outgoing message again.
func (s *Server) retry(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	m, err := s.Inbox.RetryDelivery(r.Context(), actorFrom(r), id)
	if err != nil {
		return err
	}
	r.SetPathValue("id", strconv.FormatInt(m.ConversationID, 10))
	return s.done(w, r, m.ConversationID, "timeline")
}

// attachment serves a file: images and videos of safe types inline (the
// timeline shows them), everything else as a download. Always nosniff and
// a sandboxing CSP, so an uploaded HTML or SVG file can never run here.
func (s *Server) attachment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	a, err := s.DB.Attachment(r.Context(), id)
	if err != nil {
		return err
	}
	inline := attachmentKind(a.ContentType) != "file" && r.URL.Query().Get("download") == ""
	return blob.Serve(w, r, s.Blobs, a, inline)
}
