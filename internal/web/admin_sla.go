package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/jsonhttp"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/triage"
)

// Admin pages for SLA policies and triage rules.

// durationField is an SLA target as the form edits it: a whole number of
// minutes or hours ("" for no target).
type durationField struct {
	Value string
	Unit  string // "m" or "h"
}

func durationFieldOf(d time.Duration) durationField {
	switch {
	case d <= 0:
		return durationField{Unit: "h"}
	case d%time.Hour == 0:
		return durationField{Value: strconv.FormatInt(int64(d/time.Hour), 10), Unit: "h"}
	}
	return durationField{Value: strconv.FormatInt(int64(d/time.Minute), 10), Unit: "m"}
}

// String is the target for the list: "30m", "4h", "—".
func (f durationField) String() string {
	if f.Value == "" {
		return "—"
	}
	return f.Value + f.Unit
}

// targetField is one target's inputs on the form.
type targetField struct {
	Name, Label string
	Field       durationField
}

// Named gives the target its input name and label, for the template.
func (f durationField) Named(name, label string) targetField {
	return targetField{Name: name, Label: label, Field: f}
}

// slaForm is one policy's form: an existing policy's (ID set) or the new
// one's, with the values posted when saving it failed.
type slaForm struct {
	ID            int64
	Name          string
	Priority      string // "" for any
	InboxID       int64
	TeamID        int64
	Label         string
	FirstResponse durationField
	NextResponse  durationField
	Resolution    durationField
	WarnPercent   string
	Error         string
	Open          bool // shown unfolded (it has an error)
}

func slaFormOf(p parley.SLAPolicy) slaForm {
	return slaForm{ID: p.ID, Name: p.Name, Priority: string(p.Priority), InboxID: deref(p.InboxID), TeamID: deref(p.TeamID),
		Label: p.Label, FirstResponse: durationFieldOf(p.FirstResponse), NextResponse: durationFieldOf(p.NextResponse),
		Resolution: durationFieldOf(p.Resolution), WarnPercent: strconv.Itoa(p.WarnPercent)}
}

type slaView struct {
	Page
	Policies []slaForm
	New      slaForm
	Inboxes  []parley.Inbox
	Teams    []parley.Team
	// InboxNames and TeamNames name the ids in the list.
	InboxNames map[int64]string
	TeamNames  map[int64]string
}

// slaFormArgs is what one policy form needs.
type slaFormArgs struct {
	CSRF    string
	Form    slaForm
	Inboxes []parley.Inbox
	Teams   []parley.Team
}

// Args pairs a form with the page's choices, for the template.
func (v slaView) Args(f slaForm) slaFormArgs {
	return slaFormArgs{CSRF: v.CSRF, Form: f, Inboxes: v.Inboxes, Teams: v.Teams}
}

func (s *Server) slaView(r *http.Request) (slaView, error) {
	v := slaView{Page: s.page(r, "SLA policies", "sla"), New: slaForm{FirstResponse: durationField{Unit: "m"},
		NextResponse: durationField{Unit: "m"}, Resolution: durationField{Unit: "h"}, WarnPercent: "80"},
		InboxNames: map[int64]string{}, TeamNames: map[int64]string{}}
	list, err := s.DB.SLAPolicies(r.Context())
	if err != nil {
		return v, err
	}
	for _, p := range list {
		v.Policies = append(v.Policies, slaFormOf(p))
	}
	if v.Inboxes, err = s.DB.Inboxes(r.Context()); err != nil {
		return v, err
	}
	if v.Teams, err = s.DB.Teams(r.Context()); err != nil {
		return v, err
	}
	for _, in := range v.Inboxes {
		v.InboxNames[in.ID] = in.Name
	}
	for _, t := range v.Teams {
		v.TeamNames[t.ID] = t.Name
	}
	return v, nil
}

func (s *Server) slaPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.slaView(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin_sla", "", v)
}

// readSLAForm reads a posted policy form; the policy is valid only when
// err is nil, and f always holds what was posted.
func readSLAForm(r *http.Request) (f slaForm, p parley.SLAPolicy, err error) {
	f = slaForm{Name: trimmed(r, "name"), Priority: r.PostFormValue("priority"), Label: trimmed(r, "label"),
		FirstResponse: durationField{trimmed(r, "first_response"), r.PostFormValue("first_response_unit")},
		NextResponse:  durationField{trimmed(r, "next_response"), r.PostFormValue("next_response_unit")},
		Resolution:    durationField{trimmed(r, "resolution"), r.PostFormValue("resolution_unit")},
		WarnPercent:   trimmed(r, "warn_percent")}
	if f.InboxID, err = choiceID(r.PostFormValue("inbox_id")); err != nil {
		return f, p, parley.Errorf(parley.EINVALID, "pick an inbox, or any")
	}
	if f.TeamID, err = choiceID(r.PostFormValue("team_id")); err != nil {
		return f, p, parley.Errorf(parley.EINVALID, "pick a team, or any")
	}
	p = parley.SLAPolicy{Name: f.Name, Priority: parley.Priority(f.Priority)}
	if f.InboxID != 0 {
		p.InboxID = &f.InboxID
	}
	if f.TeamID != 0 {
		p.TeamID = &f.TeamID
	}
	if f.Label != "" {
		// Conversations' labels are normalised; so is the policy's, or it
		// would never match.
		labels, err := parley.NormalizeLabels([]string{f.Label})
		if err != nil {
			return f, p, err
		}
		p.Label = labels[0]
	}
	for _, t := range []struct {
		name string
		f    durationField
		d    *time.Duration
	}{{"first response", f.FirstResponse, &p.FirstResponse}, {"next response", f.NextResponse, &p.NextResponse}, {"resolution", f.Resolution, &p.Resolution}} {
		if t.f.Value == "" {
			continue
		}
		n, err := strconv.Atoi(t.f.Value)
		if err != nil || n < 0 {
			return f, p, parley.Errorf(parley.EINVALID, "the %s target must be a whole number of minutes or hours", t.name)
		}
		unit := time.Minute
		if t.f.Unit == "h" {
			unit = time.Hour
		}
		*t.d = time.Duration(n) * unit
	}
	if f.WarnPercent != "" {
		if p.WarnPercent, err = strconv.Atoi(f.WarnPercent); err != nil {
			return f, p, parley.Errorf(parley.EINVALID, "warn at must be a whole percentage between 1 and 99")
		}
	}
	return f, p, nil
}

// saveSLA creates a policy, or updates the one in the path. A refused
// form is shown again with its values and the reason.
func (s *Server) saveSLA(w http.ResponseWriter, r *http.Request) error {
	var id int64
	if r.PathValue("id") != "" {
		var err error
		if id, err = pathID(r); err != nil {
			return err
		}
	}
	f, p, err := readSLAForm(r)
	if err == nil {
		p.ID = id
		_, err = s.Inbox.SaveSLAPolicy(r.Context(), actorFrom(r), p)
	}
	if parley.ErrorCode(err) == parley.EINVALID {
		v, verr := s.slaView(r)
		if verr != nil {
			return verr
		}
		f.ID, f.Error, f.Open = id, parley.ErrorMessage(err), true
		if id == 0 {
			v.New = f
		}
		for i := range v.Policies {
			if v.Policies[i].ID == id {
				v.Policies[i] = f
			}
		}
		return s.render(w, r, jsonhttp.StatusFor(parley.EINVALID), "admin_sla", "", v)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/app/admin/sla?flash=saved", http.StatusSeeOther)
	return nil
}

func (s *Server) deleteSLA(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.Inbox.DeleteSLAPolicy(r.Context(), actorFrom(r), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/app/admin/sla?flash=deleted", http.StatusSeeOther)
	return nil
}

type triageView struct {
	Page
	// Text is the rules as the field shows them: the rules in force,
	// indented, or what was posted when saving failed.
	Text     string
	Rules    triage.Rules // in force
	Defaults bool         // the rules in force are Parley's defaults
	Error    string
}

func (s *Server) triageView(r *http.Request) (triageView, error) {
	v := triageView{Page: s.page(r, "Triage rules", "triage")}
	var err error
	if v.Rules, err = s.Inbox.TriageRules(r.Context()); err != nil {
		return v, err
	}
	v.Text = indentJSON(v.Rules)
	v.Defaults = v.Text == indentJSON(triage.Defaults())
	return v, nil
}

// amount writes a triage rule's threshold for people: 5000000 is
// "5,000,000", 199.5 is "199.5".
func amount(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}

func indentJSON(x any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // shown in a textarea, escaped by the template
	enc.SetIndent("", "  ")
	if err := enc.Encode(x); err != nil {
		return ""
	}
	return strings.TrimSpace(b.String())
}

func (s *Server) triagePage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.triageView(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin_triage", "", v)
}

// saveTriage replaces the rules with the posted JSON; refused rules are
// shown again with the reason, and the rules in force stay.
func (s *Server) saveTriage(w http.ResponseWriter, r *http.Request) error {
	text := r.PostFormValue("rules")
	rules, err := triage.Parse([]byte(text))
	if err == nil {
		err = s.Inbox.SetTriageRules(r.Context(), actorFrom(r), rules)
	}
	if code := parley.ErrorCode(err); code == parley.EINVALID || code == parley.ETOOLARGE {
		v, verr := s.triageView(r)
		if verr != nil {
			return verr
		}
		v.Text, v.Error = text, parley.ErrorMessage(err)
		return s.render(w, r, jsonhttp.StatusFor(code), "admin_triage", "", v)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/app/admin/triage?flash=saved", http.StatusSeeOther)
	return nil
}

func (s *Server) restoreTriage(w http.ResponseWriter, r *http.Request) error {
	if err := s.Inbox.SetTriageRules(r.Context(), actorFrom(r), nil); err != nil {
		return err
	}
	http.Redirect(w, r, "/app/admin/triage?flash=defaults", http.StatusSeeOther)
	return nil
}
