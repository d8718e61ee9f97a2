package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/internal/hours"
	"github.com/parleyhq/parley/internal/jsonhttp"
	"github.com/parleyhq/parley/internal/parley"
)

// Admin forms for routing: an inbox's routing section (auto-assignment,
// acknowledgements, auto-resolve, business hours) and each agent's
// availability and capacity.

// hoursExample is shown beside the business hours field.
const hoursExample = `{
  "time_zone": "Europe/Paris",
  "week": {
    "mon": ["09:00-12:30", "13:30-18:00"],
    "tue": ["09:00-18:00"], "wed": ["09:00-18:00"],
    "thu": ["09:00-18:00"], "fri": ["09:00-17:00"],
    "sat": ["10:00-14:00"], "sun": []
  },
  "holidays": {"2026-12-25": "Christmas"}
}`

// routingView is the routing section of an inbox's settings.
type routingView struct {
	Teams []parley.Team
	// HoursText is the business hours JSON as the field shows it: the
	// stored value indented, or what was posted when saving failed.
	HoursText string
	// HoursSummary describes the stored schedule ("Mon–Fri 09:00–18:00
	// (Europe/Paris)"); HoursError is why the posted one was refused.
	HoursSummary string
	HoursError   string
	HoursExample string
	// Hours is the business hours form.
	Hours hoursForm
	// The acknowledgement texts used when the fields are empty.
	DefaultAck, DefaultAckAfterHours string
}

// routingSection fills the routing section from the stored inbox.
func (s *Server) routingSection(r *http.Request, in parley.Inbox) (routingView, error) {
	rv := routingView{HoursExample: hoursExample, DefaultAck: parley.DefaultAck, DefaultAckAfterHours: parley.DefaultAckAfterHours}
	var err error
	if rv.Teams, err = s.DB.Teams(r.Context()); err != nil {
		return rv, err
	}
	rv.HoursText, rv.HoursSummary = hoursText(in.Routing.Hours)
	rv.Hours = hoursFormOf(in.Routing.Hours)
	return rv, nil
}

// hoursText indents stored hours for the field and describes them.
func hoursText(raw json.RawMessage) (text, summary string) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", "Always open: no business hours are set, so SLA clocks and promises count every hour."
	}
	var b bytes.Buffer
	if json.Indent(&b, raw, "", "  ") == nil {
		text = b.String()
	} else {
		text = string(raw)
	}
	sch, err := hours.Parse(raw)
	if err != nil {
		return text, "The stored hours do not parse (" + err.Error() + "); they count as always open."
	}
	return text, sch.String()
}

// routingForm reads the routing section into in, keeping what was posted
// even when it refuses it (so the form shows it again). It refuses what
// the inbox's own validation cannot see: numbers that are not numbers,
// and a team that does not exist. Business hours and texts are checked by
// UpdateInbox.
func routingForm(r *http.Request, in *parley.Inbox, teams []parley.Team) error {
	rt := parley.Routing{
		AutoAssign:    r.PostFormValue("auto_assign") != "",
		RequeueOnAway: r.PostFormValue("requeue_on_away") != "",
		Ack: parley.AckSettings{Enabled: r.PostFormValue("ack_enabled") != "", Text: trimmed(r, "ack_text"),
			AfterHours: trimmed(r, "ack_after_hours")},
		AutoResolveMessage: trimmed(r, "auto_resolve_message"),
	}
	defer func() { in.Routing = rt }()
	if r.PostFormValue("hours_form") != "" {
		// The page's form; scripts may still post the JSON as hours.
		raw, err := hoursFormPosted(r).json()
		if err != nil {
			return err
		}
		rt.Hours = raw
	} else if h := strings.TrimSpace(r.PostFormValue("hours")); h != "" {
		rt.Hours = json.RawMessage(h)
	}
	team, err := choiceID(r.PostFormValue("routing_team_id"))
	if err != nil {
		return parley.Errorf(parley.EINVALID, "pick a team to assign among, or everyone")
	}
	if team != 0 {
		found := false
		for _, t := range teams {
			found = found || t.ID == team
		}
		if !found {
			return parley.Errorf(parley.EINVALID, "team %d does not exist", team)
		}
		rt.TeamID = &team
	}
	rt.Survey.Off, rt.Survey.NoCSAT = r.PostFormValue("survey_enabled") == "", r.PostFormValue("survey_csat") == ""
	for _, f := range []struct {
		name, what string
		to         **int
	}{{"survey_cooldown_days", "the survey cooldown must be a whole number of days", &rt.Survey.CooldownDays},
		{"survey_delay_minutes", "the survey delay must be a whole number of minutes", &rt.Survey.DelayMinutes}} {
		if v := trimmed(r, f.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return parley.Errorf(parley.EINVALID, "%s", f.what)
			}
			*f.to = &n
		}
	}
	if days := trimmed(r, "auto_resolve_days"); days != "" {
		if rt.AutoResolveDays, err = strconv.Atoi(days); err != nil {
			return parley.Errorf(parley.EINVALID, "auto-resolve after must be a whole number of days (0: never)")
		}
	}
	return nil
}

// hoursProblem tells an error about business hours from the others, so
// the form shows it under the hours field.
func hoursProblem(err error) bool {
	return strings.HasPrefix(parley.ErrorMessage(err), "business hours")
}

// agentRouting sets an agent's availability and capacity from the agents
// page (admins may set anyone's). Both are checked before either is
// saved, so a refused form changes nothing.
func (s *Server) agentRouting(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	to := parley.Availability(r.PostFormValue("availability"))
	capacity, cerr := strconv.Atoi(trimmed(r, "capacity"))
	switch {
	case !to.Valid():
		err = parley.Errorf(parley.EINVALID, "availability %q is not one of online, away, offline", to)
	case cerr != nil || capacity < 1 || capacity > 500:
		err = parley.Errorf(parley.EINVALID, "capacity must be between 1 and 500 open conversations")
	default:
		if err = s.Inbox.SetCapacity(r.Context(), actorFrom(r), id, capacity); err == nil {
			err = s.Inbox.SetAvailability(r.Context(), actorFrom(r), id, to, "admin")
		}
	}
	if parley.ErrorCode(err) == parley.EINVALID {
		v, verr := s.agentsView(r)
		if verr != nil {
			return verr
		}
		v.Error = parley.ErrorMessage(err)
		return s.render(w, r, jsonhttp.StatusFor(parley.EINVALID), "admin_agents", "", v)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/app/admin/agents?flash=saved", http.StatusSeeOther)
	return nil
}
