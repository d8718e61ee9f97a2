package web

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/report"
)

// The Reports page (admins): the metrics of a period beside the previous
// period of the same length, server-rendered charts, the agents' load,
// and CSV exports of the same query. The query is read by
// report.ParseQuery, as the REST API reads it, so a page's URL, its CSVs
// and GET /api/v1/reports agree.

// metricUnit says how a card's value is written and compared.
type metricUnit string

const (
	unitSeconds metricUnit = "seconds"
	unitRatio   metricUnit = "ratio"
	unitCount   metricUnit = "count"
)

// metricCard is one metric of the period and of the previous one.
type metricCard struct {
	Key   string // data-testid and CSV metric name
	Name  string
	Unit  metricUnit
	Value float64
	Prev  float64
	// Has and PrevHas are false when the period has no sample (a median
	// of nothing): the value is shown as "—".
	Has, PrevHas bool
	// LowerIsBetter colours a fall green; Neutral colours nothing.
	LowerIsBetter, Neutral bool
	Detail                 string // a second line, e.g. business time or counts
	Href                   string // drill-down into the conversation list
}

func (c metricCard) format(v float64, has bool) string {
	if !has {
		return "—"
	}
	switch c.Unit {
	case unitSeconds:
		return humanDuration(time.Duration(v) * time.Second)
	case unitRatio:
		return strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
	}
	return num(v)
}

// Text is the period's value for people.
func (c metricCard) Text() string { return c.format(c.Value, c.Has) }

// PrevText is the previous period's value.
func (c metricCard) PrevText() string { return c.format(c.Prev, c.PrevHas) }

// Trend is "up", "down" or "flat" ("" when either period lacks a value).
func (c metricCard) Trend() string {
	switch {
	case !c.Has || !c.PrevHas:
		return ""
	case c.Value > c.Prev:
		return "up"
	case c.Value < c.Prev:
		return "down"
	}
	return "flat"
}

// Tone is "good", "bad" or "" for the change's colour.
func (c metricCard) Tone() string {
	t := c.Trend()
	if c.Neutral || t == "" || t == "flat" {
		return ""
	}
	if (t == "down") == c.LowerIsBetter {
		return "good"
	}
	return "bad"
}

// Change is the arrow and the change: relative for counts and times,
// in percentage points for rates.
func (c metricCard) Change() string {
	switch c.Trend() {
	case "":
		return "no comparison"
	case "flat":
		return "→ no change"
	}
	arrow := "▲"
	if c.Trend() == "down" {
		arrow = "▼"
	}
	if c.Unit == unitRatio {
		return fmt.Sprintf("%s %s pts", arrow, strconv.FormatFloat(math.Abs(c.Value-c.Prev)*100, 'f', 1, 64))
	}
	if c.Prev == 0 {
		return arrow + " new"
	}
	return fmt.Sprintf("%s %s%%", arrow, strconv.FormatFloat(math.Abs(c.Value-c.Prev)/c.Prev*100, 'f', 0, 64))
}

// humanDuration writes d coarsely: "42s", "12m", "3h 5m", "2d 4h".
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh %dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd %dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}

// reportForm is the query as the form shows it.
type reportForm struct {
	From, To, Days, TZ string
	InboxID, TeamID    int64
	AgentID            int64
	Channel, Label     string
	Priority           string
}

// agentRow is one agent's load.
// slaRow is one SLA policy's target in the period.
type slaRow struct {
	Policy, Target, Rate string
	Met, Breached        int
}

type agentRow struct {
	Name      string
	Average   string
	Peak      int
	Capacity  int
	Occupancy string
}

// preset is a period link.
type preset struct {
	Label, Href string
	Current     bool
}

type reportsView struct {
	Page
	Form     reportForm
	Error    string
	Period   string // the period for people
	Previous string
	// MetricsCSV and ConversationsCSV are the exports of the same query.
	MetricsCSV, ConversationsCSV string
	Presets                      []preset
	Zones                        []string
	Inboxes                      []parley.Inbox
	Teams                        []parley.Team
	Agents                       []parley.Agent
	Channels                     []parley.ChannelType

	Cards        []metricCard
	HourChart    template.HTML
	ChannelChart template.HTML
	BacklogChart template.HTML
	DailyChart   template.HTML // created and resolved per day
	TimesChart   template.HTML // mean resolution and first response per day
	BacklogHref  string
	AgentRows    []agentRow
	SLARows      []slaRow
	SLAHref      string // the drill-down of the SLA outcomes
	DraftRows    []draftRow
	Notes        []string // what the figures do not show
}

// reportZones are offered besides UTC and the business-hours zones.
var reportZones = []string{"UTC", "Europe/London", "Europe/Paris", "America/New_York", "America/Los_Angeles", "Asia/Ho_Chi_Minh", "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney"}

// reportQuery is a parsed query: the period, the previous one and the
// filter.
type reportQuery struct {
	from, to, prevFrom time.Time
	loc                *time.Location
	filter             report.Filter
}

// loadReport parses the query.
func (s *Server) loadReport(r *http.Request) (reportQuery, error) {
	var q reportQuery
	var err error
	q.from, q.to, q.loc, q.filter, err = report.ParseQuery(r.URL.Query(), s.DB.Now().UTC())
	if err != nil {
		return q, err
	}
	q.prevFrom = q.from.Add(-q.to.Sub(q.from))
	return q, nil
}

// build returns the reports of the period and of the previous one.
func (s *Server) build(ctx context.Context, q reportQuery) (cur, prev report.Report, err error) {
	if cur, err = report.Build(ctx, s.DB, q.from, q.to, q.loc, q.filter); err != nil {
		return cur, prev, err
	}
	prev, err = report.Build(ctx, s.DB, q.prevFrom, q.from, q.loc, q.filter)
	return cur, prev, err
}

func (s *Server) reportsPage(w http.ResponseWriter, r *http.Request) error {
	qs := r.URL.Query()
	v := reportsView{Page: s.page(r, "Reports", "reports"), Channels: parley.ChannelTypes,
		Form: reportForm{From: qs.Get("from"), To: qs.Get("to"), Days: qs.Get("days"), TZ: qs.Get("tz"), Channel: qs.Get("channel"),
			Label: qs.Get("label"), Priority: qs.Get("priority")}}
	v.Form.InboxID, _ = strconv.ParseInt(qs.Get("inbox_id"), 10, 64)
	v.Form.TeamID, _ = strconv.ParseInt(qs.Get("team_id"), 10, 64)
	v.Form.AgentID, _ = strconv.ParseInt(qs.Get("agent_id"), 10, 64)
	if v.Form.TZ == "" {
		v.Form.TZ = "UTC"
	}
	ctx := r.Context()
	var err error
	if v.Inboxes, err = s.DB.Inboxes(ctx); err != nil {
		return err
	}
	if v.Teams, err = s.DB.Teams(ctx); err != nil {
		return err
	}
	if v.Agents, err = s.DB.Agents(ctx); err != nil {
		return err
	}
	v.Zones = zonesFor(v.Inboxes, v.Form.TZ)
	v.Presets = presets(qs)
	q, err := s.loadReport(r)
	if parley.ErrorCode(err) == parley.EINVALID {
		v.Error = parley.ErrorMessage(err)
		return s.render(w, r, http.StatusBadRequest, "reports", "", v)
	}
	if err != nil {
		return err
	}
	v.MetricsCSV, v.ConversationsCSV = "/app/reports.csv", "/app/reports/conversations.csv"
	if enc := qs.Encode(); enc != "" {
		v.MetricsCSV += "?" + enc
		v.ConversationsCSV += "?" + enc
	}
	cur, prev, err := s.build(ctx, q)
	if err != nil {
		return err
	}
	const layout = "Jan 2, 2006 15:04"
	v.Period = q.from.In(q.loc).Format(layout) + " – " + q.to.In(q.loc).Format(layout) + " " + q.loc.String()
	v.Previous = q.prevFrom.In(q.loc).Format(layout) + " – " + q.from.In(q.loc).Format(layout)

	names := map[int64]string{}
	for _, a := range v.Agents {
		names[a.ID] = a.Name
	}
	drill := drillLink(r.URL.Query())
	v.Cards = append(reportCards(cur, prev, drill), surveyCards(cur, prev, drill)...)
	v.BacklogHref = drillDown(q.filter)("open")
	v.SLAHref = drill("sla")
	v.HourChart, v.ChannelChart, v.BacklogChart = reportCharts(cur, q.loc)
	v.DailyChart, v.TimesChart = dailyCharts(cur)
	for _, l := range cur.Agents {
		name := names[l.AgentID]
		if name == "" {
			name = fmt.Sprintf("Agent %d", l.AgentID)
		}
		v.AgentRows = append(v.AgentRows, agentRow{Name: name, Average: strconv.FormatFloat(l.Average, 'f', 2, 64), Peak: l.Peak,
			Capacity: l.Capacity, Occupancy: strconv.FormatFloat(l.Occupancy*100, 'f', 1, 64) + "%"})
	}
	if v.DraftRows, err = s.draftRows(ctx, q, names, v.Inboxes); err != nil {
		return err
	}
	policies, err := s.DB.SLAPolicies(ctx)
	if err != nil {
		return err
	}
	policyNames := map[int64]string{}
	for _, p := range policies {
		policyNames[p.ID] = p.Name
	}
	for _, p := range cur.SLAByPolicy {
		name := policyNames[p.PolicyID]
		if name == "" {
			name = fmt.Sprintf("Policy %d (deleted)", p.PolicyID)
		}
		v.SLARows = append(v.SLARows, slaRow{Policy: name, Target: strings.ReplaceAll(p.Target, "_", " "), Met: p.Met, Breached: p.Breached,
			Rate: strconv.FormatFloat(p.Rate*100, 'f', 1, 64) + "%"})
	}
	if cur.Unprojected > 0 {
		v.Notes = append(v.Notes, fmt.Sprintf("Catching up: the %d newest events are not in these figures yet. Reload in a minute.", cur.Unprojected))
	}
	v.Notes = append(v.Notes, "Each card opens the conversations behind it, under the same period and filters. The backlog link opens the inbox's open conversations as they are now.",
		"A response is a reply written by an agent or sent through an API token (including a token tied to no agent, counted under no agent); acknowledgements, surveys and Parley's other own messages are not. Definitions: docs/ROUTING.md.")
	return s.render(w, r, http.StatusOK, "reports", "", v)
}

// drillDown returns the link to the conversation list in a status, with
// the filters the list supports (one inbox, a team, a label).
func drillDown(f report.Filter) func(status string) string {
	return func(status string) string {
		q := url.Values{}
		if status != "open" {
			q.Set("status", status)
		}
		if len(f.InboxIDs) == 1 {
			q.Set("inbox", strconv.FormatInt(f.InboxIDs[0], 10))
		}
		if f.TeamID != 0 {
			q.Set("team", strconv.FormatInt(f.TeamID, 10))
		}
		if f.Label != "" {
			q.Set("label", f.Label)
		}
		if len(q) == 0 {
			return "/app/"
		}
		return "/app/?" + q.Encode()
	}
}

// reportCards are the period's metrics beside the previous period's.
func reportCards(cur, prev report.Report, link func(string) string) []metricCard {
	secs := func(d report.Duration) float64 { return time.Duration(d).Seconds() }
	timed := func(key, name string, c, p report.Times, business bool, href string) metricCard {
		s, ps := c.Calendar, p.Calendar
		if business {
			s, ps = c.Business, p.Business
		}
		return metricCard{Key: key, Name: name, Unit: unitSeconds, Value: secs(s.Median), Prev: secs(ps.Median), Has: s.Count > 0, PrevHas: ps.Count > 0,
			LowerIsBetter: true, Detail: fmt.Sprintf("%s · p90 %s", count(s.Count, "conversation", "conversations"), humanDuration(time.Duration(s.P90))), Href: href}
	}
	occ := func(r report.Report) (float64, bool) {
		if len(r.Agents) == 0 {
			return 0, false
		}
		sum := 0.0
		for _, a := range r.Agents {
			sum += a.Occupancy
		}
		return sum / float64(len(r.Agents)), true
	}
	o, oHas := occ(cur)
	po, poHas := occ(prev)
	resp := timed("first_response_time", "First response time (median)", cur.FirstResponseTime, prev.FirstResponseTime, false, link("first_response"))
	resp.Detail = fmt.Sprintf("%s · business %s", count(cur.FirstResponseTime.Calendar.Count, "reply", "replies"), humanDuration(time.Duration(cur.FirstResponseTime.Business.Median)))
	next := timed("next_response_time", "Next response time (median)", cur.NextResponseTime, prev.NextResponseTime, false, link("next_response"))
	next.Detail = fmt.Sprintf("%s · business %s", count(cur.NextResponseTime.Calendar.Count, "reply", "replies"), humanDuration(time.Duration(cur.NextResponseTime.Business.Median)))
	return []metricCard{
		{Key: "conversations", Name: "Conversations", Unit: unitCount, Value: float64(cur.Volume.Total), Prev: float64(prev.Volume.Total), Has: true, PrevHas: true,
			Neutral: true, Detail: "created in the period", Href: link("created")},
		timed("resolution_time", "Resolution time (median)", cur.ResolutionTime, prev.ResolutionTime, false, link("resolution")),
		timed("resolution_time_business", "Resolution time, business hours (median)", cur.ResolutionTime, prev.ResolutionTime, true, link("resolution")),
		resp,
		next,
		{Key: "reopen_rate", Name: "Reopen rate", Unit: unitRatio, Value: cur.Reopens.Rate, Prev: prev.Reopens.Rate,
			Has: cur.Reopens.Resolutions > 0, PrevHas: prev.Reopens.Resolutions > 0, LowerIsBetter: true,
			Detail: fmt.Sprintf("%d of %d resolutions · %d still in their window", cur.Reopens.Reopened, cur.Reopens.Resolutions, cur.Reopens.WindowOpen), Href: link("reopened")},
		{Key: "first_contact_resolution", Name: "First contact resolution", Unit: unitRatio, Value: cur.FirstContactResolution.Rate, Prev: prev.FirstContactResolution.Rate,
			Has: cur.FirstContactResolution.Eligible > 0, PrevHas: prev.FirstContactResolution.Eligible > 0,
			Detail: fmt.Sprintf("%d of %d · %d may still count (within 7 days)", cur.FirstContactResolution.Resolved, cur.FirstContactResolution.Eligible, cur.FirstContactResolution.Pending),
			Href:   link("first_contact")},
		{Key: "agent_occupancy", Name: "Agent occupancy (average)", Unit: unitRatio, Value: o, Prev: po, Has: oHas, PrevHas: poHas, Neutral: true,
			Detail: fmt.Sprintf("across %d agents", len(cur.Agents)), Href: "#agents"},
		slaCard(cur, prev),
		{Key: "promises_kept", Name: "Reply-time promises kept", Unit: unitRatio, Value: cur.Promises.Rate, Prev: prev.Promises.Rate,
			Has: cur.Promises.Kept+cur.Promises.Broken > 0, PrevHas: prev.Promises.Kept+prev.Promises.Broken > 0,
			Detail: fmt.Sprintf("%d kept · %d broken", cur.Promises.Kept, cur.Promises.Broken), Href: link("first_response")},
	}
}

// slaCard is the share of SLA targets met, all targets together, with
// each target's counts in the detail.
func slaCard(cur, prev report.Report) metricCard {
	sum := func(r report.Report) (met, all int) {
		for _, a := range r.SLA {
			met, all = met+a.Met, all+a.Met+a.Breached
		}
		return met, all
	}
	met, all := sum(cur)
	pmet, pall := sum(prev)
	rate := func(m, a int) float64 {
		if a == 0 {
			return 0
		}
		return float64(m) / float64(a)
	}
	var parts []string
	for _, t := range []string{"first_response", "next_response", "resolution"} {
		if a, ok := cur.SLA[t]; ok {
			parts = append(parts, fmt.Sprintf("%s %d/%d", strings.ReplaceAll(t, "_", " "), a.Met, a.Met+a.Breached))
		}
	}
	detail := "no SLA targets ended in the period"
	if len(parts) > 0 {
		detail = strings.Join(parts, " · ")
	}
	return metricCard{Key: "sla_attainment", Name: "SLA targets met", Unit: unitRatio, Value: rate(met, all), Prev: rate(pmet, pall),
		Has: all > 0, PrevHas: pall > 0, Detail: detail, Href: "/app/?view=breaching"}
}

// zonesFor is UTC, the inboxes' business-hours zones, a few common ones
// and the current one.
func zonesFor(inboxes []parley.Inbox, current string) []string {
	zones := slices.Clone(reportZones)
	add := func(z string) {
		if z != "" && !slices.Contains(zones, z) {
			zones = append(zones, z)
		}
	}
	for _, in := range inboxes {
		var h struct {
			TimeZone string `json:"time_zone"`
		}
		if len(in.Routing.Hours) > 0 && json.Unmarshal(in.Routing.Hours, &h) == nil {
			add(h.TimeZone)
		}
	}
	add(current)
	return zones
}

// presets are links to the last 7, 30 and 90 days with the same filters.
func presets(q url.Values) []preset {
	var out []preset
	for _, d := range []string{"7", "30", "90"} {
		p := url.Values{}
		for k, vs := range q {
			if k != "from" && k != "to" && k != "days" {
				p[k] = vs
			}
		}
		p.Set("days", d)
		cur := q.Get("from") == "" && q.Get("to") == "" && (q.Get("days") == d || d == "7" && q.Get("days") == "")
		out = append(out, preset{Label: "Last " + d + " days", Href: "/app/reports?" + p.Encode(), Current: cur})
	}
	return out
}

// count writes n with the singular or plural noun.
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
