package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/report"
)

// The drill-down behind a report's numbers: the conversations of the
// period under the report's own filters (period, channel, agent, label,
// priority and all), one row each with its figures, the slowest first for
// the metric clicked. The inbox's lists show conversations as they are
// now; this page shows the ones a number was drawn from.

// drillShows are the metrics a card can drill into, with their titles.
var drillShows = map[string]string{
	"created":        "Conversations created in the period",
	"resolution":     "Conversations resolved in the period, slowest first",
	"first_response": "First responses, slowest first",
	"next_response":  "Conversations with next responses, slowest median first",
	"reopened":       "Conversations reopened by the customer",
	"first_contact":  "First contact resolution: conversations with a first resolution",
	"surveyed":       "Conversations with survey answers, hardest first",
	"sla":            "Conversations with an SLA outcome in the period (the latest per target)",
}

// drillLimit bounds the rows shown; the conversations CSV has them all.
const drillLimit = 500

type drillRow struct {
	ID                                      int64
	Inbox, Channel, Assignee, Priority      string
	Created, Resolved                       string
	FirstResponse, NextResponse, Resolution string
	Replies, Reopens                        int
	FirstContact, Effort, Satisfaction      string
	SLA                                     string
}

// slaSummary is a conversation's latest outcome per SLA target, as the
// report counts it: "first response met · resolution breached".
func slaSummary(outcomes map[string]string) string {
	var parts []string
	for _, target := range []string{"first_response", "next_response", "resolution"} {
		if o := outcomes[target]; o != "" {
			parts = append(parts, strings.ReplaceAll(target, "_", " ")+" "+o)
		}
	}
	return strings.Join(parts, " · ")
}

type drillView struct {
	Page
	Title, Period, Back, CSV string
	Rows                     []drillRow
	Total                    int
	Truncated                bool
}

func (s *Server) reportConversationsPage(w http.ResponseWriter, r *http.Request) error {
	show := r.URL.Query().Get("show")
	title, ok := drillShows[show]
	if !ok {
		show, title = "created", drillShows["created"]
	}
	q, err := s.loadReport(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	list, total, err := report.DrillDown(ctx, s.DB, q.from, q.to, q.filter, report.Drill(show), drillLimit)
	if err != nil {
		return err
	}
	ids := make([]int64, len(list))
	for i, c := range list {
		ids[i] = c.ID
	}
	answers, err := s.DB.AnsweredSurveys(ctx, ids)
	if err != nil {
		return err
	}
	inboxNames, _, agentNames, err := s.reportNames(ctx)
	if err != nil {
		return err
	}
	nextMedian := func(c report.ConvResult) time.Duration {
		var d []time.Duration
		for _, n := range c.NextResponses {
			d = append(d, n.Calendar)
		}
		return median(d)
	}
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(q.loc).Format("Jan 2 15:04")
	}
	dur := func(d time.Duration, ok bool) string {
		if !ok {
			return ""
		}
		return humanDuration(d)
	}
	num := func(v *int) string {
		if v == nil {
			return ""
		}
		return strconv.Itoa(*v) + "/5"
	}
	v := drillView{Page: s.page(r, "Reports", "reports"), Title: title, Total: total, Truncated: total > len(list)}
	const layout = "Jan 2, 2006 15:04"
	v.Period = q.from.In(q.loc).Format(layout) + " – " + q.to.In(q.loc).Format(layout) + " " + q.loc.String()
	back := url.Values{}
	for k, vals := range r.URL.Query() {
		if k != "show" {
			back[k] = vals
		}
	}
	v.Back, v.CSV = "/app/reports", "/app/reports/conversations.csv"
	if enc := back.Encode(); enc != "" {
		v.Back += "?" + enc
		v.CSV += "?" + enc
	}
	for _, c := range list {
		sv := answers[c.ID]
		v.Rows = append(v.Rows, drillRow{ID: c.ID, Inbox: inboxNames[c.InboxID], Channel: channelName(c.Channel), Assignee: agentNames[c.AssigneeID],
			Priority: string(c.Priority), Created: stamp(c.CreatedAt), Resolved: stamp(c.ResolvedAt),
			FirstResponse: dur(c.FirstResponse.Calendar, c.HasFirstResponse), NextResponse: dur(nextMedian(c), len(c.NextResponses) > 0),
			Resolution: dur(c.Resolution.Calendar, c.HasResolution), Replies: c.Replies, Reopens: c.Reopens, FirstContact: c.FirstContact,
			Effort: num(sv.CES), Satisfaction: num(sv.CSAT), SLA: slaSummary(c.SLA)})
	}
	return s.render(w, r, http.StatusOK, "reports_conversations", "", v)
}

// drillLink returns a card's link to the drill-down of show, under the
// report's own query.
func drillLink(query url.Values) func(show string) string {
	return func(show string) string {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("show", show)
		return "/app/reports/conversations?" + q.Encode()
	}
}

// reportConvs is what the conversation-level views of a report
// read: each conversation's figures (report.Conversations, replayed), its
// latest survey answers, and the names of inboxes, teams and agents.
type reportConvs struct {
	list                   []report.ConvResult
	answers                map[int64]parley.Survey
	inboxes, teams, agents map[int64]string
}

func (s *Server) reportConversations(ctx context.Context, q reportQuery) (rc reportConvs, err error) {
	in, err := report.Load(ctx, s.DB, q.from, q.to, q.loc)
	if err != nil {
		return rc, err
	}
	rc.list = report.Conversations(in, q.from, q.to, q.filter)
	ids := make([]int64, len(rc.list))
	for i, c := range rc.list {
		ids[i] = c.ID
	}
	if rc.answers, err = s.DB.AnsweredSurveys(ctx, ids); err != nil {
		return rc, err
	}
	rc.inboxes, rc.teams, rc.agents, err = s.reportNames(ctx)
	return rc, err
}

// reportNames returns the names of inboxes, teams and agents, by id.
func (s *Server) reportNames(ctx context.Context) (inboxes, teams, agents map[int64]string, err error) {
	inboxes, teams, agents = map[int64]string{}, map[int64]string{}, map[int64]string{}
	ibs, err := s.DB.Inboxes(ctx)
	if err != nil {
		return
	}
	ts, err := s.DB.Teams(ctx)
	if err != nil {
		return
	}
	as, err := s.DB.Agents(ctx)
	if err != nil {
		return
	}
	for _, ib := range ibs {
		inboxes[ib.ID] = ib.Name
	}
	for _, t := range ts {
		teams[t.ID] = t.Name
	}
	for _, a := range as {
		agents[a.ID] = a.Name
	}
	return inboxes, teams, agents, nil
}
