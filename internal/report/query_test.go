package report_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/report"
)

func TestParseQuery(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	saigon, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	for _, c := range []struct {
		query    string
		from, to time.Time
		loc      *time.Location
		filter   report.Filter
	}{
		{"", now.Add(-7 * 24 * time.Hour), now, time.UTC, report.Filter{}},
		{"days=30", now.Add(-30 * 24 * time.Hour), now, time.UTC, report.Filter{}},
		{"to=2026-11-01T00:00:00Z", time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.UTC, report.Filter{}},
		{"from=2026-11-01&to=2026-11-07&tz=Asia/Ho_Chi_Minh", time.Date(2026, 11, 1, 0, 0, 0, 0, saigon), time.Date(2026, 11, 8, 0, 0, 0, 0, saigon), saigon, report.Filter{}},
		{"inbox_id=3&inbox_id=4&channel=sms&team_id=5&agent_id=6&label=+VIP+&priority=high", now.Add(-7 * 24 * time.Hour), now, time.UTC,
			report.Filter{InboxIDs: []int64{3, 4}, Channels: []parley.ChannelType{parley.ChannelSMS}, TeamID: 5, AgentID: 6, Label: "vip", Priority: parley.PriorityHigh}},
	} {
		q, _ := url.ParseQuery(c.query)
		from, to, loc, f, err := report.ParseQuery(q, now)
		if err != nil {
			t.Errorf("%q: %v", c.query, err)
			continue
		}
		if !from.Equal(c.from) || !to.Equal(c.to) || loc.String() != c.loc.String() || !equalFilter(f, c.filter) {
			t.Errorf("%q = %v %v %v %+v", c.query, from, to, loc, f)
		}
	}
	for query, want := range map[string]string{
		"tz=Mars/Olympus": "tz", "tz=Local": "tz", "to=yesterday": "to", "from=2026-13-01": "from", "days=0": "days", "days=367": "days",
		"from=2026-11-24": "must start before", "from=2025-01-01&to=2026-11-01": "at most 366 days", "inbox_id=x": "inbox_id",
		"channel=fax": "channel", "team_id=-1": "team_id", "agent_id=a": "agent_id", "priority=asap": "priority",
	} {
		q, _ := url.ParseQuery(query)
		_, _, _, _, err := report.ParseQuery(q, now)
		if parley.ErrorCode(err) != parley.EINVALID || !strings.Contains(parley.ErrorMessage(err), want) {
			t.Errorf("%q: %v, want EINVALID about %q", query, err, want)
		}
	}
}

func equalFilter(a, b report.Filter) bool {
	if len(a.InboxIDs) != len(b.InboxIDs) || len(a.Channels) != len(b.Channels) {
		return false
	}
	for i := range a.InboxIDs {
		if a.InboxIDs[i] != b.InboxIDs[i] {
			return false
		}
	}
	for i := range a.Channels {
		if a.Channels[i] != b.Channels[i] {
			return false
		}
	}
	return a.TeamID == b.TeamID && a.AgentID == b.AgentID && a.Label == b.Label && a.Priority == b.Priority
}

// TestConversations: the per-conversation rows agree with the medians.
func TestConversations(t *testing.T) {
	var l events
	from, to := day(mon, 0, 0), day(tue, 0, 0)
	l.created(1, day(mon, 9, 0)) // created and resolved in the period
	l.customer(1, day(mon, 9, 0))
	l.reply(1, day(mon, 9, 5), 7)
	l.status(1, day(mon, 9, 30), parley.StatusOpen, parley.StatusResolved, "agent")
	l.created(2, day(mon, 10, 0)) // created, no reply
	l.customer(2, day(mon, 10, 0))
	l.created(3, day(mon, 0, 0).Add(-48*time.Hour)) // before the period, untouched
	l.customer(3, day(mon, 0, 0).Add(-48*time.Hour))
	in := report.Input{Events: l.list, Conversations: map[int64]report.ConvInfo{1: {InboxID: 1, Labels: []string{"vip"}}, 2: {InboxID: 2}, 3: {InboxID: 1}}}
	rows := report.Conversations(in, from, to, report.Filter{})
	if len(rows) != 2 || rows[0].ID != 1 || rows[1].ID != 2 {
		t.Fatalf("rows = %+v", rows)
	}
	r := rows[0]
	if !r.HasFirstResponse || r.FirstResponse.Calendar != 5*time.Minute || !r.HasResolution || r.Resolution.Calendar != 30*time.Minute ||
		!r.ResolvedAt.Equal(day(mon, 9, 30)) || !r.CreatedAt.Equal(day(mon, 9, 0)) || r.Labels[0] != "vip" {
		t.Errorf("row 1 = %+v", r)
	}
	if rows[1].HasFirstResponse || rows[1].HasResolution {
		t.Errorf("row 2 = %+v", rows[1])
	}
	rep := report.Compute(in, from, to, report.Filter{})
	if time.Duration(rep.ResolutionTime.Calendar.Median) != r.Resolution.Calendar || time.Duration(rep.FirstResponseTime.Calendar.Median) != r.FirstResponse.Calendar {
		t.Errorf("report %+v disagrees with the rows", rep)
	}
	if rows := report.Conversations(in, from, to, report.Filter{InboxIDs: []int64{2}}); len(rows) != 1 || rows[0].ID != 2 {
		t.Errorf("by inbox = %+v", rows)
	}
	if rows := report.Conversations(in, from, to, report.Filter{AgentID: 7}); len(rows) != 1 || rows[0].ID != 1 {
		t.Errorf("by agent = %+v", rows)
	}
}
