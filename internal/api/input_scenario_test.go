package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// fixture is a small workspace for bad-input tables: an inbox, two
// contacts with a conversation each, a merge, an agent and a team.
type fixture struct {
	inbox            inboxJSON
	contactA, convA  int64
	contactB, convB  int64
	agentID, teamID  int64
	messageID, merge int64
	policy           int64 // an SLA policy, made after the conversations
}

func (e *env) fixture() fixture {
	e.t.Helper()
	var f fixture
	f.inbox = e.createInbox(map[string]any{"name": "Support"})
	a := e.say(f.inbox.ID, "cust-a", "hello from a")
	b := e.say(f.inbox.ID, "cust-b", "hello from b")
	c := e.say(f.inbox.ID, "cust-c", "hello from c")
	f.contactA, f.convA, f.messageID = a.ContactID, a.ConversationID, a.MessageID
	f.contactB, f.convB = b.ContactID, b.ConversationID
	var ag struct {
		Agent struct{ ID int64 } `json:"agent"`
	}
	e.call("POST", "/api/v1/agents", map[string]any{"email": "agent@example.com", "name": "Agent"}, 201, &ag)
	f.agentID = ag.Agent.ID
	var tm struct{ ID int64 }
	e.call("POST", "/api/v1/teams", map[string]any{"name": "Tier 1", "member_ids": []int64{f.agentID}}, 201, &tm)
	f.teamID = tm.ID
	var m struct{ ID int64 }
	e.call("POST", fmt.Sprintf("/api/v1/contacts/%d/merge", f.contactA), map[string]any{"source_id": c.ContactID}, 200, &m)
	f.merge = m.ID
	f.policy = e.createSLAPolicy(map[string]any{"name": "Urgent", "priority": "urgent", "first_response_seconds": 900}).ID
	return f
}

// jsonRoute is a route that reads a JSON body, with a valid body and
// bodies whose fields have the wrong JSON type.
type jsonRoute struct {
	method, path string
	valid        any
	wrongTypes   []wrongType
}

// wrongType is a body with a field of the wrong JSON type.
type wrongType struct {
	body, field string // the error must name the field
	bug         string
}

// Bugs these scenarios once found, now fixed: kept as names so a
// regression fails rather than skips (an empty bug never skips).
const (
	bugSecondObject = ""
	bugGoTypes      = ""
	bugTimeText     = ""
)

func (f fixture) jsonRoutes() []jsonRoute {
	return []jsonRoute{
		{"POST", "/api/v1/inboxes", map[string]any{"name": "New"}, []wrongType{
			{`{"name": 5}`, "name", ""}, {`{"reopen_window_seconds": "1h"}`, "reopen_window_seconds", ""},
			{`{"webhook_url": false}`, "webhook_url", ""}, {`{"reopen_window_seconds": 1.5}`, "reopen_window_seconds", ""},
			{`{"name": "X", "channel_type": 1}`, "channel_type", bugGoTypes}}},
		{"PATCH", fmt.Sprintf("/api/v1/inboxes/%d", f.inbox.ID), map[string]any{"name": "Renamed"}, []wrongType{
			{`{"name": ["x"]}`, "name", ""}, {`{"reopen_window_seconds": "60"}`, "reopen_window_seconds", ""},
			{`{"routing": []}`, "routing", ""}, {`{"routing": {"auto_assign": 1}}`, "auto_assign", ""},
			{`{"routing": {"team_id": "1"}}`, "team_id", ""}, {`{"routing": {"ack": {"enabled": "yes"}}}`, "enabled", ""},
			{`{"routing": {"auto_resolve_days": 1.5}}`, "auto_resolve_days", ""}}},
		{"POST", fmt.Sprintf("/api/v1/inboxes/%d/incoming", f.inbox.ID),
			map[string]any{"contact": map[string]any{"external_id": "new"}, "text": "hi"}, []wrongType{
				{`{"text": 5, "contact": {"external_id": "x"}}`, "text", ""},
				{`{"contact": {"external_id": 7}, "text": "hi"}`, "external_id", ""},
				{`{"contact": "x", "text": "hi"}`, "contact", bugGoTypes},
				{`{"contact": {"external_id": "x"}, "text": "hi", "attachments": {"upload_id": "x"}}`, "attachments", bugGoTypes},
				{`{"contact": {"external_id": "x"}, "text": "hi", "external_message_id": 12}`, "external_message_id", ""}}},
		{"PATCH", fmt.Sprintf("/api/v1/contacts/%d", f.contactB), map[string]any{"name": "Bee"}, []wrongType{
			{`{"email": 5}`, "email", ""}, {`{"name": {"first": "B"}}`, "name", ""}}},
		{"POST", fmt.Sprintf("/api/v1/contacts/%d/merge", f.contactB), map[string]any{"source_id": f.contactA}, []wrongType{
			{`{"source_id": "2"}`, "source_id", ""}, {`{"source_id": 2.5}`, "source_id", ""}, {`{"source_id": true}`, "source_id", ""}}},
		{"POST", fmt.Sprintf("/api/v1/contacts/%d/unmerge", f.contactA), map[string]any{"merge_id": f.merge}, []wrongType{
			{`{"merge_id": "1"}`, "merge_id", ""}, {`{"merge_id": 1e400}`, "merge_id", ""}}},
		{"PATCH", fmt.Sprintf("/api/v1/conversations/%d", f.convA), map[string]any{"priority": "high"}, []wrongType{
			{`{"labels": "vip"}`, "labels", ""}, {`{"assignee_id": "1"}`, "assignee_id", ""}, {`{"status": 1}`, "status", bugGoTypes},
			{`{"priority": 1}`, "priority", bugGoTypes}, {`{"team_id": [1]}`, "team_id", ""}, {`{"labels": [1, 2]}`, "labels", ""}}},
		{"POST", fmt.Sprintf("/api/v1/conversations/%d/snooze", f.convB), map[string]any{"until": nil}, []wrongType{
			{`{"until": 1700000000}`, "until", bugTimeText}, {`{"until": "tomorrow"}`, "until", bugTimeText},
			{`{"until": "2030-01-01"}`, "until", bugTimeText}}},
		{"POST", fmt.Sprintf("/api/v1/conversations/%d/messages", f.convA), map[string]any{"text": "reply"}, []wrongType{
			{`{"text": ["a"]}`, "text", ""}, {`{"text": "a", "attachments": "x"}`, "attachments", bugGoTypes},
			{`{"text": "a", "attachments": [{"upload_id": 1}]}`, "upload_id", ""}}},
		{"POST", fmt.Sprintf("/api/v1/conversations/%d/notes", f.convA), map[string]any{"text": "note"}, []wrongType{
			{`{"text": null, "attachments": [{"filename": 3}]}`, "filename", ""}, {`{"text": 1}`, "text", ""}}},
		{"POST", "/api/v1/agents", map[string]any{"email": "new@example.com", "name": "New"}, []wrongType{
			{`{"email": 1, "name": "x"}`, "email", ""}, {`{"email": "a@b.c", "name": "x", "role": 3}`, "role", bugGoTypes}}},
		{"POST", "/api/v1/teams", map[string]any{"name": "Tier 2"}, []wrongType{
			{`{"name": "T", "member_ids": ["a"]}`, "member_ids", ""}, {`{"name": "T", "member_ids": 1}`, "member_ids", ""},
			{`{"name": 2}`, "name", ""}}},
		{"PATCH", fmt.Sprintf("/api/v1/agents/%d", f.agentID), map[string]any{"capacity": 5}, []wrongType{
			{`{"capacity": "5"}`, "capacity", ""}, {`{"capacity": 2.5}`, "capacity", ""}, {`{"availability": 1}`, "availability", ""},
			{`{"availability": ["online"]}`, "availability", ""}}},
		{"POST", "/api/v1/sla-policies", map[string]any{"name": "New", "resolution_seconds": 60}, []wrongType{
			{`{"name": 1}`, "name", ""}, {`{"name": "X", "first_response_seconds": "60"}`, "first_response_seconds", ""},
			{`{"name": "X", "resolution_seconds": 60, "inbox_id": "1"}`, "inbox_id", ""},
			{`{"name": "X", "resolution_seconds": 60, "warn_percent": 50.5}`, "warn_percent", ""},
			{`{"name": "X", "resolution_seconds": 60, "label": ["vip"]}`, "label", ""}}},
		{"PATCH", fmt.Sprintf("/api/v1/sla-policies/%d", f.policy), map[string]any{"name": "Renamed"}, []wrongType{
			{`{"team_id": true}`, "team_id", ""}, {`{"priority": 1}`, "priority", ""}, {`{"next_response_seconds": {}}`, "next_response_seconds", ""}}},
	}
}

// testBadJSON sends every JSON-taking route every kind of bad body: each
// is refused with 400 (or 413) and writes nothing.
func testBadJSON(t *testing.T, dialect string) {
	e := start(t, dialect)
	f := e.fixture()
	huge := `{"text": "` + strings.Repeat("a", 1<<20) + `"}`
	var scs []scenario
	for _, rt := range f.jsonRoutes() {
		add := func(name, bug string, body any, header map[string]string, status int, want ...string) {
			scs = append(scs, scenario{name: rt.method + " " + rt.path + " " + name, method: rt.method, path: rt.path,
				body: body, header: header, status: status, want: want, bug: bug,
				notWant: []string{"struct {", "api.", "inbox.", "parley.", "time.", `field \"\"`}})
		}
		add("malformed", "", `{"text": }`, nil, 400, "malformed JSON")
		add("malformed key", "", `{text: "a"}`, nil, 400, "malformed JSON")
		add("truncated", "", `{"text": "abc"`, nil, 400, "malformed JSON")
		add("just a brace", "", `{`, nil, 400, "malformed JSON")
		add("unknown field", "", `{"bogus_field": 1}`, nil, 400, `unknown field \"bogus_field\"`)
		add("unknown nested field", "", `{"contact": {"nickname": "x"}, "bogus": 1}`, nil, 400, "unknown field")
		add("two objects", "", `{} {}`, nil, 400, "one JSON object")
		add("valid then another", bugSecondObject, mustJSON(rt.valid)+"\n"+mustJSON(rt.valid), nil, 400, "one JSON object")
		add("trailing garbage", "", `{} x`, nil, 400, "malformed JSON")
		add("empty body", "", "", nil, 400, "body is empty")
		add("no body", "", nil, map[string]string{"Content-Type": "-"}, 400, "body is empty")
		add("whitespace body", "", "  \n ", nil, 400, "body is empty")
		add("array", bugGoTypes, `[]`, nil, 400)
		add("string", bugGoTypes, `"hello"`, nil, 400)
		add("number", bugGoTypes, `42`, nil, 400)
		add("text/plain", "", mustJSON(rt.valid), map[string]string{"Content-Type": "text/plain"}, 400, "Content-Type must be application/json")
		add("form", "", "name=x", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 400, "Content-Type must be application/json")
		add("multipart", "", mustJSON(rt.valid), map[string]string{"Content-Type": "multipart/form-data; boundary=x"}, 400, "Content-Type")
		add("bad content type", "", mustJSON(rt.valid), map[string]string{"Content-Type": ";;;"}, 400, "Content-Type")
		add("json suffix type", "", mustJSON(rt.valid), map[string]string{"Content-Type": "application/problem+json"}, 400, "Content-Type")
		add("over the limit", "", huge, nil, 413, "1048576-byte limit")
		add("over the limit, wrong field", "", `{"bogus": "`+strings.Repeat("b", 1<<20+10)+`"}`, nil, 413, "limit")
		for i, wt := range rt.wrongTypes {
			add(fmt.Sprintf("wrong type %d", i+1), wt.bug, wt.body, nil, 400, wt.field)
		}
	}
	e.run(scs)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// testBadIDsAndQueries: path ids that are not positive integers are 400,
// unknown ones 404; query parameters out of range are 400. None writes.
func testBadIDsAndQueries(t *testing.T, dialect string) {
	e := start(t, dialect)
	f := e.fixture()
	type idRoute struct {
		method, pattern string // pattern has one %s for the id
		body            any
		unknown         string // the not-found message fragment
	}
	routes := []idRoute{
		{"GET", "/api/v1/inboxes/%s", nil, "inbox"},
		{"GET", "/api/v1/inboxes/%s/expected-reply", nil, "inbox"},
		{"PATCH", "/api/v1/agents/%s", map[string]any{"capacity": 5}, "agent"},
		{"PATCH", "/api/v1/sla-policies/%s", map[string]any{"name": "X"}, "SLA policy"},
		{"DELETE", "/api/v1/sla-policies/%s", nil, "SLA policy"},
		{"PATCH", "/api/v1/inboxes/%s", map[string]any{"name": "X"}, "inbox"},
		{"POST", "/api/v1/inboxes/%s/incoming", map[string]any{"contact": map[string]any{"external_id": "x"}, "text": "hi"}, "inbox"},
		{"GET", "/api/v1/contacts/%s", nil, "contact"},
		{"PATCH", "/api/v1/contacts/%s", map[string]any{"name": "X"}, "contact"},
		{"POST", "/api/v1/contacts/%s/merge", map[string]any{"source_id": f.contactB}, "contact"},
		{"POST", "/api/v1/contacts/%s/unmerge", map[string]any{"merge_id": 999999}, "merge"},
		{"GET", "/api/v1/contacts/%s/merges", nil, "contact"},
		{"GET", "/api/v1/conversations/%s", nil, "conversation"},
		{"PATCH", "/api/v1/conversations/%s", map[string]any{"priority": "high"}, "conversation"},
		{"POST", "/api/v1/conversations/%s/snooze", map[string]any{"until": nil}, "conversation"},
		{"GET", "/api/v1/conversations/%s/messages", nil, "conversation"},
		{"POST", "/api/v1/conversations/%s/messages", map[string]any{"text": "x"}, "conversation"},
		{"POST", "/api/v1/conversations/%s/notes", map[string]any{"text": "x"}, "conversation"},
		{"POST", "/api/v1/messages/%s/retry", nil, "message"},
		{"GET", "/api/v1/attachments/%s", nil, "attachment"},
		{"POST", "/api/v1/jobs/%s/retry", nil, "job"},
	}
	var scs []scenario
	for _, rt := range routes {
		for _, bad := range []string{"abc", "0", "-1", "1.5", "1e3", "0x10", "99999999999999999999", "%20", "1%00"} {
			path := fmt.Sprintf(rt.pattern, bad)
			scs = append(scs, scenario{name: rt.method + " " + path, method: rt.method, path: path, body: rt.body,
				status: 400, want: []string{"is not a positive integer id"}})
		}
		path := fmt.Sprintf(rt.pattern, "999999")
		scs = append(scs, scenario{name: rt.method + " " + path, method: rt.method, path: path, body: rt.body,
			status: 404, want: []string{rt.unknown, "999999", "not found"}})
		path = fmt.Sprintf(rt.pattern, "9223372036854775807")
		scs = append(scs, scenario{name: rt.method + " max int64", method: rt.method, path: path, body: rt.body, status: 404})
	}
	for _, q := range []struct{ path, want string }{
		{"/api/v1/conversations?limit=0", "limit"},
		{"/api/v1/conversations?limit=101", "limit"},
		{"/api/v1/conversations?limit=1000", "from 1 to 100"},
		{"/api/v1/conversations?limit=-5", "limit"},
		{"/api/v1/conversations?limit=ten", "limit"},
		{"/api/v1/conversations?limit=", ""}, // empty: the default, see below
		{"/api/v1/conversations?status=bogus", "status"},
		{"/api/v1/conversations?status=OPEN", "status"},
		{"/api/v1/conversations?priority=bogus", "priority"},
		{"/api/v1/conversations?cursor=garbage", "cursor"},
		{"/api/v1/conversations?cursor=%25%25%25", "cursor"},
		{"/api/v1/conversations?cursor=MTox", ""}, // "1:1", well-formed
		{"/api/v1/conversations?cursor=OTk5OTk5OTk5OTk5OTk5OTk5OTk6MQ", "cursor"},
		{"/api/v1/conversations?inbox_id=0", "inbox_id"},
		{"/api/v1/conversations?inbox_id=abc", "inbox_id"},
		{"/api/v1/conversations?team_id=-1", "team_id"},
		{"/api/v1/conversations?contact_id=1.5", "contact_id"},
		{"/api/v1/conversations?assignee_id=abc", "assignee_id"},
		{"/api/v1/conversations?assignee_id=0", "assignee_id"},
		{"/api/v1/conversations?assignee_id=None", "assignee_id"},
		{"/api/v1/contacts?limit=0", "limit"},
		{"/api/v1/contacts?limit=1000", "limit"},
		{"/api/v1/contacts?before_id=-1", "before_id"},
		{"/api/v1/contacts?before_id=x", "before_id"},
		{"/api/v1/search", "q is required"},
		{"/api/v1/search?q=", "q is required"},
		{"/api/v1/search?q=%20%20%20", "q is required"},
		{"/api/v1/search?q=hello&status=bogus", "status"},
		{"/api/v1/search?q=hello&inbox_id=0", "inbox_id"},
		{"/api/v1/search?q=hello&assignee_id=x", "assignee_id"},
		{"/api/v1/search?q=hello&contact_id=-1", "contact_id"},
		{"/api/v1/search?q=hello&before_id=x", "before_id"},
		{"/api/v1/search?q=hello&from=yesterday", "from"},
		{"/api/v1/search?q=hello&to=2024-13-01T00:00:00Z", "to"},
		{"/api/v1/search?q=hello&from=2024-01-01", "RFC 3339"},
		{"/api/v1/search?q=hello&limit=0", "limit"},
		{"/api/v1/search?q=hello&limit=1000", "limit"},
		{"/api/v1/events?after=-1", "after"},
		{"/api/v1/events?after=x", "after"},
		{"/api/v1/events?limit=0", "limit"},
		{"/api/v1/events?limit=1001", "limit"},
		{"/api/v1/jobs?status=bogus", "status"},
		{"/api/v1/jobs?status=FAILED", "status"},
		{"/api/v1/jobs?limit=0", "limit"},
		{"/api/v1/jobs?limit=501", "limit"},
		{"/api/v1/queue?limit=0", "limit"},
		{"/api/v1/queue?limit=501", "limit"},
		{"/api/v1/queue?limit=x", "limit"},
		{"/api/v1/conversations/breaching-soon?limit=0", "limit"},
		{"/api/v1/conversations/breaching-soon?limit=101", "from 1 to 100"},
		{"/api/v1/conversations/breaching-soon?limit=-1", "limit"},
	} {
		if q.want == "" {
			scs = append(scs, scenario{name: "GET " + q.path, method: "GET", path: q.path, status: 200})
			continue
		}
		scs = append(scs, scenario{name: "GET " + q.path, method: "GET", path: q.path, status: 400, want: []string{q.want}})
	}
	// The largest allowed values are fine.
	for _, p := range []string{"/api/v1/conversations?limit=100", "/api/v1/contacts?limit=100", "/api/v1/events?limit=1000",
		"/api/v1/jobs?limit=500", "/api/v1/search?q=hello&limit=100", "/api/v1/queue?limit=500", "/api/v1/conversations/breaching-soon?limit=100", "/api/v1/conversations?assignee_id=none",
		"/api/v1/conversations?inbox_id=4611686018427387904", "/api/v1/search?q=hello&from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00%2B02:00"} {
		scs = append(scs, scenario{name: "GET " + p, method: "GET", path: p, status: 200})
	}
	e.run(scs)
}
