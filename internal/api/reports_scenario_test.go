package api_test

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// testReports: the report of a period counts what happened in it, honours
// its filters, and refuses bad periods and filters; agents may not read it.
func testReports(t *testing.T, dialect string) {
	e := start(t, dialect)
	_, agentTok := e.agentToken("agent@example.com", parley.RoleAgent)
	in := e.createInbox(map[string]any{"name": "Support"})
	other := e.createInbox(map[string]any{"name": "Other"})
	r := e.say(in.ID, "ana", "my parcel?")
	e.say(other.ID, "ben", "hello")
	// Replies count as responses when a person wrote them: the agent's token.
	e.run([]scenario{{name: "an agent replies", method: "POST", path: fmt.Sprintf("/api/v1/conversations/%d/messages", r.ConversationID),
		body: map[string]any{"text": "On its way"}, token: agentTok, status: 201}})

	from := e.App.DB.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	to := e.App.DB.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	period := "from=" + url.QueryEscape(from) + "&to=" + url.QueryEscape(to)
	e.run([]scenario{
		{name: "report", method: "GET", path: "/api/v1/reports?" + period, status: 200,
			want: []string{`"total":2`, `"first_response_time":{"calendar":{"count":1`}},
		{name: "report of one inbox", method: "GET", path: fmt.Sprintf("/api/v1/reports?%s&inbox_id=%d", period, other.ID), status: 200,
			want: []string{`"total":1`, `"first_response_time":{"calendar":{"count":0`}},
		{name: "report by channel and tz", method: "GET", path: "/api/v1/reports?" + period + "&channel=api&tz=Asia/Ho_Chi_Minh", status: 200,
			want: []string{`"total":2`, `"by_hour":[`}},
		{name: "report of the default period", method: "GET", path: "/api/v1/reports", status: 200, want: []string{`"volume"`}},
		{name: "report as an agent", method: "GET", path: "/api/v1/reports", token: agentTok, status: 403},
		{name: "report with a bad from", method: "GET", path: "/api/v1/reports?from=yesterday", status: 400, want: []string{"from"}},
		{name: "report ending before it starts", method: "GET", path: "/api/v1/reports?from=" + url.QueryEscape(to) + "&to=" + url.QueryEscape(from), status: 400},
		{name: "report of two years", method: "GET", path: "/api/v1/reports?from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", status: 400, want: []string{"366"}},
		{name: "report with a bad tz", method: "GET", path: "/api/v1/reports?tz=Mars/Olympus", status: 400, want: []string{"tz"}},
		{name: "report with a bad channel", method: "GET", path: "/api/v1/reports?channel=fax", status: 400, want: []string{"fax"}},
		{name: "report with a bad inbox", method: "GET", path: "/api/v1/reports?inbox_id=x", status: 400},
		{name: "report with a bad priority", method: "GET", path: "/api/v1/reports?priority=asap", status: 400},
		{name: "report with a bad agent", method: "GET", path: "/api/v1/reports?agent_id=-1", status: 400},
	})
}
