package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/report"
)

// CSV exports of the Reports page: the same query, as files.

// csvCell neutralises spreadsheet formulas: a cell that a spreadsheet
// would read as one (starting with = + - @, or a tab or carriage return)
// gets a leading apostrophe.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// writeCSV sends rows (the header first) as an attachment named name;
// every cell goes through csvCell and encoding/csv quotes as needed.
func writeCSV(w http.ResponseWriter, name string, rows [][]string) error {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	for _, row := range rows {
		for i := range row {
			row[i] = csvCell(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	securityHeaders(w)
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(buf.Bytes())
	return err
}

func csvName(prefix string, q reportQuery) string {
	return prefix + "-" + q.from.In(q.loc).Format("20060102") + "-" + q.to.In(q.loc).Format("20060102") + ".csv"
}

// reportsCSV is one row per metric: its value in the period and in the
// previous one, and its unit (seconds, ratio from 0 to 1, count). A
// metric without samples has empty values.
func (s *Server) reportsCSV(w http.ResponseWriter, r *http.Request) error {
	q, err := s.loadReport(r)
	if err != nil {
		return err
	}
	cur, prev, err := s.build(r.Context(), q)
	if err != nil {
		return err
	}
	rows := [][]string{{"metric", "period_value", "previous_value", "unit"}}
	value := func(c metricCard, v float64, has bool) string {
		if !has {
			return ""
		}
		switch {
		case c.Unit == unitRatio:
			return strconv.FormatFloat(v, 'f', 4, 64)
		case c.Unit == unitCount && v != math.Trunc(v): // a mean score
			return strconv.FormatFloat(v, 'f', 2, 64)
		}
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	add := func(c metricCard) {
		rows = append(rows, []string{c.Key, value(c, c.Value, c.Has), value(c, c.Prev, c.PrevHas), string(c.Unit)})
	}
	for _, c := range append(reportCards(cur, prev, func(string) string { return "" }), surveyCards(cur, prev, func(string) string { return "" })...) {
		add(c)
		if c.Key == "first_response_time" || c.Key == "next_response_time" {
			// The cards show calendar medians; the CSV has both.
			t := cur.FirstResponseTime
			pt := prev.FirstResponseTime
			if c.Key == "next_response_time" {
				t, pt = cur.NextResponseTime, prev.NextResponseTime
			}
			add(metricCard{Key: c.Key + "_business", Unit: unitSeconds, Value: time.Duration(t.Business.Median).Seconds(), Prev: time.Duration(pt.Business.Median).Seconds(),
				Has: t.Business.Count > 0, PrevHas: pt.Business.Count > 0})
		}
	}
	// The charts and the agents table, as rows too.
	count := func(key string, c, p int) {
		add(metricCard{Key: key, Unit: unitCount, Value: float64(c), Prev: float64(p), Has: true, PrevHas: true})
	}
	for _, ch := range parley.ChannelTypes {
		if c, p := cur.Volume.ByChannel[ch], prev.Volume.ByChannel[ch]; c+p > 0 {
			count("volume_channel_"+string(ch), c, p)
		}
	}
	for h := range 24 {
		count(fmt.Sprintf("volume_hour_%02d", h), cur.Volume.ByHour[h], prev.Volume.ByHour[h])
	}
	type pkey struct {
		id     int64
		target string
	}
	prevSLA := map[pkey]report.PolicyAttainment{}
	for _, p := range prev.SLAByPolicy {
		prevSLA[pkey{p.PolicyID, p.Target}] = p
	}
	for _, p := range cur.SLAByPolicy {
		pp, ok := prevSLA[pkey{p.PolicyID, p.Target}]
		add(metricCard{Key: fmt.Sprintf("sla_policy_%d_%s_met", p.PolicyID, p.Target), Unit: unitRatio, Value: p.Rate, Prev: pp.Rate,
			Has: p.Met+p.Breached > 0, PrevHas: ok && pp.Met+pp.Breached > 0})
	}
	before := map[int64]report.AgentLoad{}
	for _, l := range prev.Agents {
		before[l.AgentID] = l
	}
	for _, l := range cur.Agents {
		p, ok := before[l.AgentID]
		key := "agent_" + strconv.FormatInt(l.AgentID, 10)
		add(metricCard{Key: key + "_average_open", Unit: unitCount, Value: l.Average, Prev: p.Average, Has: true, PrevHas: ok})
		add(metricCard{Key: key + "_peak_open", Unit: unitCount, Value: float64(l.Peak), Prev: float64(p.Peak), Has: true, PrevHas: ok})
		add(metricCard{Key: key + "_occupancy", Unit: unitRatio, Value: l.Occupancy, Prev: p.Occupancy, Has: true, PrevHas: ok})
	}
	return writeCSV(w, csvName("parley-report", q), rows)
}

// conversationsCSV is one row per conversation created or resolved in
// the period with its own figures; durations are whole seconds, empty
// when the conversation has none (no reply yet, not resolved). The SLA
// columns are each target's latest outcome (met, breached or empty), the
// one the report's attainment counts.
func (s *Server) conversationsCSV(w http.ResponseWriter, r *http.Request) error {
	q, err := s.loadReport(r)
	if err != nil {
		return err
	}
	rc, err := s.reportConversations(r.Context(), q)
	if err != nil {
		return err
	}
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	secs := func(d time.Duration, ok bool) string {
		if !ok {
			return ""
		}
		return strconv.FormatInt(int64(d/time.Second), 10)
	}
	score := func(v *int) string {
		if v == nil {
			return ""
		}
		return strconv.Itoa(*v)
	}
	inboxNames, teamNames, names, list, answers := rc.inboxes, rc.teams, rc.agents, rc.list, rc.answers
	rows := [][]string{{"id", "inbox", "channel", "team", "priority", "labels", "assignee", "created_at", "resolved_at",
		"first_response_seconds", "first_response_business_seconds", "next_responses", "next_response_median_seconds", "next_response_median_business_seconds",
		"resolution_seconds", "resolution_business_seconds", "agent_replies", "resolutions", "reopens", "first_contact_resolution",
		"effort_score", "satisfaction_score", "survey_comment", "sla_first_response", "sla_next_response", "sla_resolution"}}
	for _, c := range list {
		resolvedAt := time.Time{}
		if c.HasResolution {
			resolvedAt = c.ResolvedAt
		}
		var cal, biz []time.Duration
		for _, n := range c.NextResponses {
			cal, biz = append(cal, n.Calendar), append(biz, n.Business)
		}
		sv := answers[c.ID]
		rows = append(rows, []string{strconv.FormatInt(c.ID, 10), inboxNames[c.InboxID], string(c.Channel), teamNames[c.TeamID], string(c.Priority),
			strings.Join(c.Labels, ";"), names[c.AssigneeID], stamp(c.CreatedAt), stamp(resolvedAt),
			secs(c.FirstResponse.Calendar, c.HasFirstResponse), secs(c.FirstResponse.Business, c.HasFirstResponse),
			strconv.Itoa(len(c.NextResponses)), secs(median(cal), len(cal) > 0), secs(median(biz), len(biz) > 0),
			secs(c.Resolution.Calendar, c.HasResolution), secs(c.Resolution.Business, c.HasResolution),
			strconv.Itoa(c.Replies), strconv.Itoa(c.Resolutions), strconv.Itoa(c.Reopens), c.FirstContact,
			score(sv.CES), score(sv.CSAT), sv.Comment, c.SLA["first_response"], c.SLA["next_response"], c.SLA["resolution"]})
	}
	return writeCSV(w, csvName("parley-conversations", q), rows)
}

// median is the middle of d (the mean of the two middle values of an even
// count), as the reports count it.
func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	n := len(d)
	if n%2 == 1 {
		return d[n/2]
	}
	return (d[n/2-1] + d[n/2]) / 2
}
