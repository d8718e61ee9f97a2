package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// reportSeed is a resolved conversation with known figures in an inbox,
// team and label whose names are spreadsheet formulas: created at t0, a
// first reply 90 seconds later, resolved after 10 minutes.
type reportSeed struct {
	inbox parley.Inbox
	team  parley.Team
	conv  int64
	t0    time.Time
}

// seedReport needs e started with clk shifted into the past (so that the
// seeded moments follow the first conversation's); it leaves clk at the
// real time.
func seedReport(t testing.TB, e *env, clk *clock) reportSeed {
	t.Helper()
	var s reportSeed
	var err error
	if s.inbox, err = e.App.Inbox.CreateInbox(bg, inbox.System, parley.Inbox{Name: `=HYPERLINK("http://evil.example")`, ChannelType: parley.ChannelAPI}, nil); err != nil {
		t.Fatal(err)
	}
	if s.team, err = e.App.Inbox.CreateTeam(bg, inbox.System, parley.Team{Name: "+Billing"}, []int64{e.ownerID}); err != nil {
		t.Fatal(err)
	}
	s.t0 = time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
	clk.pin(s.t0)
	s.conv = e.incomingTo(s.inbox.ID, "cust-r", "Rita Report", "Can I change my delivery address?")
	clk.pin(s.t0.Add(90 * time.Second))
	owner := inbox.Actor{AgentID: &e.ownerID, Role: parley.RoleOwner}
	if _, err := e.App.Inbox.Reply(bg, owner, s.conv, inbox.Outgoing{Text: "Yes, done."}); err != nil {
		t.Fatal(err)
	}
	clk.pin(s.t0.Add(5 * time.Minute))
	labels := []string{"@vip"}
	if _, err := e.App.Inbox.Update(bg, owner, s.conv, inbox.Change{TeamID: &s.team.ID, Labels: &labels}); err != nil {
		t.Fatal(err)
	}
	clk.pin(s.t0.Add(10 * time.Minute))
	resolved := parley.StatusResolved
	if _, err := e.App.Inbox.Update(bg, owner, s.conv, inbox.Change{Status: &resolved}); err != nil {
		t.Fatal(err)
	}
	clk.unpin()
	clk.shift(0)
	return s
}

func TestReportsPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		var clk clock
		clk.shift(-3 * time.Hour)
		e := startAt(t, dialect, clk.Now)
		if _, err := e.App.Inbox.SaveSLAPolicy(bg, inbox.System, parley.SLAPolicy{Name: "Quick <first> answer", Priority: parley.PriorityNormal,
			FirstResponse: time.Hour, WarnPercent: 80}); err != nil {
			t.Fatal(err)
		}
		s := seedReport(t, e, &clk)
		cs := map[string]*client{"agent": e.login("agent@example.com"), "owner": e.login("owner@example.com")}
		byInbox := fmt.Sprintf("/app/reports?inbox_id=%d&label=%%40vip", s.inbox.ID)
		runScenarios(t, e, cs, []scenario{
			{name: "admin sees the numbers", who: "owner", method: "GET", path: "/app/reports", status: 200,
				want: []string{`data-testid="nav-reports" aria-current="page"`, `data-testid="metric-conversations"`, `data-testid="metric-value">2</span>`,
					`data-testid="metric-resolution_time"`, `data-testid="metric-value">10m</span>`, `data-testid="metric-value">1m</span>`, "▲ new",
					`data-testid="chart-hours"`, `data-testid="chart-channels"`, `data-testid="chart-backlog"`, `data-testid="chart-daily"`, `data-testid="chart-daily-times"`, "API: 2", "Olivia Owner", "Andy Agent",
					`href="/app/reports.csv"`, "Last 30 days", `data-testid="sla-table"`, "Quick &lt;first&gt; answer", "first response", "100.0%",
					`data-testid="sla-drill"`, `href="/app/reports/conversations?show=sla"`, "at its latest outcome"},
				forbid: []string{`data-testid="report-error"`}},
			{name: "filtered", who: "owner", method: "GET", path: byInbox, status: 200,
				want: []string{`data-testid="metric-value">1</span>`, fmt.Sprintf(`href="/app/reports/conversations?inbox_id=%d&amp;label=%%40vip&amp;show=resolution"`, s.inbox.ID),
					`value="@vip"`, "days=30&amp;inbox_id=", fmt.Sprintf(`href="/app/reports/conversations.csv?inbox_id=%d&amp;label=%%40vip"`, s.inbox.ID)}},
			{name: "nav for admins", who: "owner", method: "GET", path: "/app/", status: 200, want: []string{`href="/app/reports"`}},
			{name: "no nav for agents", who: "agent", method: "GET", path: "/app/", status: 200, forbid: []string{`href="/app/reports"`}},
			{name: "agent refused", who: "agent", method: "GET", path: "/app/reports", status: 403},
			{name: "agent refused csv", who: "agent", method: "GET", path: "/app/reports.csv", status: 403},
			{name: "agent refused conversations csv", who: "agent", method: "GET", path: "/app/reports/conversations.csv", status: 403},
			{name: "drill-down", who: "owner", method: "GET", path: "/app/reports/conversations?show=resolution", status: 200,
				want: []string{"Conversations resolved in the period, slowest first", "1 conversation", fmt.Sprintf(`href="/app/conversations/%d"`, s.conv),
					"10m", `href="/app/reports"`}},
			{name: "drill-down keeps the filters", who: "owner", method: "GET", path: fmt.Sprintf("/app/reports/conversations?inbox_id=%d&label=%%40vip&show=created", s.inbox.ID),
				status: 200, want: []string{"1 conversation", fmt.Sprintf(`href="/app/reports/conversations.csv?inbox_id=%d&amp;label=%%40vip"`, s.inbox.ID)}},
			{name: "SLA drill-down", who: "owner", method: "GET", path: "/app/reports/conversations?show=sla", status: 200,
				want: []string{"Conversations with an SLA outcome in the period", fmt.Sprintf(`href="/app/conversations/%d"`, s.conv),
					`data-testid="drill-sla">first response met</td>`}},
			{name: "agent refused drill-down", who: "agent", method: "GET", path: "/app/reports/conversations", status: 403},
			{name: "drill-down bad query", who: "owner", method: "GET", path: "/app/reports/conversations?days=0", status: 400},
			{name: "bad tz", who: "owner", method: "GET", path: "/app/reports?tz=Mars/Olympus", status: 400,
				want: []string{`data-testid="report-error"`, "is not a time zone name", `value="Mars/Olympus" selected`}, forbid: []string{`data-testid="metric-conversations"`}},
			{name: "backwards period", who: "owner", method: "GET", path: "/app/reports?from=2026-02-01&to=2026-01-01", status: 400,
				want: []string{"the period must start before it ends"}},
			{name: "bad priority", who: "owner", method: "GET", path: "/app/reports?priority=asap", status: 400, want: []string{"priority"}},
			{name: "dates and zone", who: "owner", method: "GET", path: "/app/reports?from=2026-01-01&to=2026-01-31&tz=Asia/Ho_Chi_Minh", status: 200,
				want: []string{"Jan 1, 2026 00:00 – Feb 1, 2026 00:00 Asia/Ho_Chi_Minh", `data-testid="metric-value">0</span>`}},
			{name: "csv bad query", who: "owner", method: "GET", path: "/app/reports.csv?days=0", status: 400},
		})
	})
}

func TestReportsCSV(t *testing.T) {
	var clk clock
	clk.shift(-3 * time.Hour)
	e := startAt(t, "sqlite", clk.Now)
	s := seedReport(t, e, &clk)
	c := e.login("owner@example.com")

	status, body, h := c.do("GET", "/app/reports.csv?days=1", nil, false)
	if status != http.StatusOK {
		t.Fatalf("reports.csv = %d %s", status, body)
	}
	if ct, cd := h.Get("Content-Type"), h.Get("Content-Disposition"); !strings.HasPrefix(ct, "text/csv") || !strings.HasPrefix(cd, `attachment; filename="parley-report-`) {
		t.Errorf("headers: %q %q", ct, cd)
	}
	for _, want := range []string{"metric,period_value,previous_value,unit\n", "conversations,2,0,count\n", "resolution_time,600,,seconds\n",
		"resolution_time_business,600,,seconds\n", "first_response_time,90,,seconds\n", "first_response_time_business,90,,seconds\n",
		"reopen_rate,0.0000,,ratio\n", "agent_occupancy,", "customer_effort,,,count\n", "survey_response_rate,,,ratio\n",
		"volume_channel_api,2,0,count\n", "volume_hour_00,", "volume_hour_23,", fmt.Sprintf("agent_%d_peak_open,", e.ownerID)} {
		if !strings.Contains(body, want) {
			t.Errorf("reports.csv lacks %q:\n%s", want, body)
		}
	}

	status, body, h = c.do("GET", "/app/reports/conversations.csv?days=1", nil, false)
	if status != http.StatusOK {
		t.Fatalf("conversations.csv = %d %s", status, body)
	}
	if cd := h.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="parley-conversations-`) {
		t.Errorf("Content-Disposition %q", cd)
	}
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if lines[0] != "id,inbox,channel,team,priority,labels,assignee,created_at,resolved_at,first_response_seconds,first_response_business_seconds,"+
		"next_responses,next_response_median_seconds,next_response_median_business_seconds,resolution_seconds,resolution_business_seconds,"+
		"agent_replies,resolutions,reopens,first_contact_resolution,effort_score,satisfaction_score,survey_comment,"+
		"sla_first_response,sla_next_response,sla_resolution" {
		t.Errorf("header = %q", lines[0])
	}
	want := fmt.Sprintf(`%d,"'=HYPERLINK(""http://evil.example"")",api,'+Billing,normal,'@vip,,%s,%s,90,90,0,,,600,600,1,1,0,pending,,,,,,`, s.conv,
		s.t0.Format(time.RFC3339), s.t0.Add(10*time.Minute).Format(time.RFC3339))
	if !strings.Contains(body, want+"\n") {
		t.Errorf("conversations.csv lacks\n%s\nin\n%s", want, body)
	}
	if len(lines) != 3 {
		t.Errorf("want the header and 2 conversations, got %d lines", len(lines))
	}
	// The agent filter keeps the conversations the agent took part in.
	_, body, _ = c.do("GET", fmt.Sprintf("/app/reports/conversations.csv?agent_id=%d", e.ownerID), nil, false)
	if n := strings.Count(strings.TrimSpace(body), "\n"); n != 1 || !strings.Contains(body, want) {
		t.Errorf("by agent: %d rows\n%s", n, body)
	}
}
