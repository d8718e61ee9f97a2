package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

// testAdminResources: inboxes, agents and teams.
func testAdminResources(t *testing.T, dialect string) {
	e := start(t, dialect)
	in := e.createInbox(map[string]any{"name": "  Support  "})
	if in.Name != "Support" || in.ChannelType != parley.ChannelAPI || in.ReopenWindowSeconds != 7*24*3600 || len(in.WebhookSecret) < 32 {
		t.Fatalf("created inbox = %+v", in)
	}
	hook := e.createInbox(map[string]any{"name": "Hooked", "channel_type": "api", "reopen_window_seconds": 3600,
		"webhook_url": "https://example.com/parley"})
	if hook.ReopenWindowSeconds != 3600 || hook.WebhookURL != "https://example.com/parley" {
		t.Fatalf("created inbox = %+v", hook)
	}
	var ag struct {
		Agent    parley.Agent `json:"agent"`
		Password string       `json:"password"`
	}
	e.call("POST", "/api/v1/agents", map[string]any{"email": " Alice@Example.COM ", "name": "Alice"}, 201, &ag)
	if ag.Agent.Email != "alice@example.com" || ag.Agent.Role != parley.RoleAgent || !ag.Agent.Active || !ag.Agent.MustChangePassword || len(ag.Password) < 10 {
		t.Fatalf("created agent = %+v", ag)
	}
	alice := ag.Agent.ID
	var team parley.Team
	e.call("POST", "/api/v1/teams", map[string]any{"name": "Billing", "member_ids": []int64{alice}}, 201, &team)

	inboxPath := fmt.Sprintf("/api/v1/inboxes/%d", in.ID)
	e.run([]scenario{
		{name: "list inboxes", method: "GET", path: "/api/v1/inboxes", status: 200, want: []string{`"Support"`, `"Hooked"`, `"reopen_window_seconds":3600`}},
		{name: "get inbox", method: "GET", path: inboxPath, status: 200, want: []string{`"Support"`, in.WebhookSecret}},
		{name: "inbox without name", method: "POST", path: "/api/v1/inboxes", body: map[string]any{}, status: 400, want: []string{"name is required"}},
		{name: "inbox with blank name", method: "POST", path: "/api/v1/inboxes", body: map[string]any{"name": "   "}, status: 400},
		{name: "inbox with null name", method: "POST", path: "/api/v1/inboxes", body: `{"name": null}`, status: 400},
		{name: "inbox of unknown channel", method: "POST", path: "/api/v1/inboxes", body: map[string]any{"name": "X", "channel_type": "telex"},
			status: 400, want: []string{"telex", "not supported"}},
		{name: "provider inbox without its settings", method: "POST", path: "/api/v1/inboxes", body: map[string]any{"name": "X", "channel_type": "whatsapp"},
			status: 400, want: []string{"whatsapp", "phone_number_id"}},
		{name: "provider inbox with an unknown setting", method: "POST", path: "/api/v1/inboxes",
			body: map[string]any{"name": "X", "channel_type": "sms", "settings": map[string]string{"account_sid": "AC1", "from": "+15550100200", "color": "red"},
				"secrets": map[string]string{"auth_token": "x"}}, status: 400, want: []string{"color"}},
		{name: "settings on an api inbox", method: "POST", path: "/api/v1/inboxes", body: map[string]any{"name": "X", "settings": map[string]string{"a": "b"}},
			status: 400, want: []string{"no channel settings"}},
		{name: "inbox with negative window", method: "POST", path: "/api/v1/inboxes", body: map[string]any{"name": "X", "reopen_window_seconds": -1},
			status: 400, want: []string{"reopen window"}},
		{name: "inbox with zero window", method: "POST", path: "/api/v1/inboxes", body: map[string]any{"name": "X", "reopen_window_seconds": 0}, status: 400},
		{name: "inbox with window over a year", method: "POST", path: "/api/v1/inboxes",
			body: map[string]any{"name": "X", "reopen_window_seconds": 366 * 24 * 3600}, status: 400},
		{name: "inbox with ftp webhook", method: "POST", path: "/api/v1/inboxes", body: map[string]any{"name": "X", "webhook_url": "ftp://example.com/"},
			status: 400, want: []string{"webhook_url"}},
		{name: "inbox with relative webhook", method: "POST", path: "/api/v1/inboxes", body: map[string]any{"name": "X", "webhook_url": "/hook"}, status: 400},
		{name: "inbox with hostless webhook", method: "POST", path: "/api/v1/inboxes", body: map[string]any{"name": "X", "webhook_url": "http://"}, status: 400},
		{name: "inbox with broken webhook", method: "POST", path: "/api/v1/inboxes", body: map[string]any{"name": "X", "webhook_url": "http://[::1"}, status: 400},
		{name: "rename inbox", method: "PATCH", path: inboxPath, body: map[string]any{"name": "Help desk"}, status: 200,
			want: []string{`"Help desk"`, `"reopen_window_seconds":604800`}},
		{name: "change window", method: "PATCH", path: inboxPath, body: map[string]any{"reopen_window_seconds": 60}, status: 200,
			want: []string{`"Help desk"`, `"reopen_window_seconds":60`}},
		{name: "set webhook", method: "PATCH", path: inboxPath, body: map[string]any{"webhook_url": "http://example.com/h"}, status: 200,
			want: []string{`"webhook_url":"http://example.com/h"`}},
		{name: "clear webhook", method: "PATCH", path: inboxPath, body: map[string]any{"webhook_url": ""}, status: 200, notWant: []string{`"webhook_url"`}},
		{name: "same channel type", method: "PATCH", path: inboxPath, body: map[string]any{"channel_type": "api"}, status: 200},
		{name: "change channel type", method: "PATCH", path: inboxPath, body: map[string]any{"channel_type": "sms"}, status: 400,
			want: []string{"channel_type cannot change"}},
		{name: "blank the name", method: "PATCH", path: inboxPath, body: map[string]any{"name": ""}, status: 400},
		{name: "zero window", method: "PATCH", path: inboxPath, body: map[string]any{"reopen_window_seconds": 0}, status: 400},
		{name: "bad webhook", method: "PATCH", path: inboxPath, body: map[string]any{"webhook_url": "javascript:alert(1)"}, status: 400},
		{name: "edit unknown inbox", method: "PATCH", path: "/api/v1/inboxes/424242", body: map[string]any{"name": "X"}, status: 404},

		{name: "list agents", method: "GET", path: "/api/v1/agents", status: 200, want: []string{"alice@example.com"},
			notWant: []string{"password_hash", "$2a$"}},
		{name: "duplicate agent", method: "POST", path: "/api/v1/agents", body: map[string]any{"email": "ALICE@example.com", "name": "Alice 2"},
			status: 409, want: []string{"alice@example.com", "already exists"}},
		{name: "agent without email", method: "POST", path: "/api/v1/agents", body: map[string]any{"name": "X"}, status: 400, want: []string{"email"}},
		{name: "agent with bad email", method: "POST", path: "/api/v1/agents", body: map[string]any{"email": "not an email", "name": "X"}, status: 400},
		{name: "agent without name", method: "POST", path: "/api/v1/agents", body: map[string]any{"email": "x@example.com", "name": " "}, status: 400,
			want: []string{"name is required"}},
		{name: "agent with bad role", method: "POST", path: "/api/v1/agents", body: map[string]any{"email": "x@example.com", "name": "X", "role": "god"},
			status: 400, want: []string{"god"}},
		{name: "admin agent", method: "POST", path: "/api/v1/agents", body: map[string]any{"email": "bob@example.com", "name": "Bob", "role": "admin"},
			status: 201, want: []string{`"role":"admin"`}},

		{name: "list teams", method: "GET", path: "/api/v1/teams", status: 200, want: []string{`"Billing"`}},
		{name: "duplicate team", method: "POST", path: "/api/v1/teams", body: map[string]any{"name": "Billing"}, status: 409, want: []string{"already exists"}},
		{name: "team without name", method: "POST", path: "/api/v1/teams", body: map[string]any{"name": "  "}, status: 400, want: []string{"team name"}},
		{name: "team with unknown member", method: "POST", path: "/api/v1/teams", body: map[string]any{"name": "Ghosts", "member_ids": []int64{alice, 999999}},
			status: 404, want: []string{"agent 999999"}},
		{name: "team with zero member", method: "POST", path: "/api/v1/teams", body: map[string]any{"name": "Zeros", "member_ids": []int64{0}}, status: 404},
		{name: "team with a long name", method: "POST", path: "/api/v1/teams", body: map[string]any{"name": strings.Repeat("t", 300)}, status: 201},
		{name: "team with repeated member", method: "POST", path: "/api/v1/teams", body: map[string]any{"name": "Pairs", "member_ids": []int64{alice, alice}}, status: 201},
		{name: "team hours", method: "PATCH", path: fmt.Sprintf("/api/v1/teams/%d", team.ID),
			body:   map[string]any{"hours": map[string]any{"time_zone": "Asia/Ho_Chi_Minh", "week": map[string]any{"mon": []string{"08:00-17:00"}}}},
			status: 200, want: []string{`"Billing"`, `"Asia/Ho_Chi_Minh"`, `"08:00-17:00"`}},
		{name: "team hours with an unknown zone", method: "PATCH", path: fmt.Sprintf("/api/v1/teams/%d", team.ID),
			body: map[string]any{"hours": map[string]any{"time_zone": "Mars/Olympus"}}, status: 400, want: []string{"Mars/Olympus"}},
		{name: "team hours with nothing", method: "PATCH", path: fmt.Sprintf("/api/v1/teams/%d", team.ID), body: map[string]any{}, status: 400, want: []string{"hours"}},
		{name: "team hours of an unknown team", method: "PATCH", path: "/api/v1/teams/999999", body: map[string]any{"hours": nil}, status: 404},
		{name: "team hours removed", method: "PATCH", path: fmt.Sprintf("/api/v1/teams/%d", team.ID), body: map[string]any{"hours": nil},
			status: 200, want: []string{`"hours":null`}},
	})
	// A reopen window so large that seconds×10⁹ overflows int64 must be
	// refused, not wrapped round into some other window.
	t.Run("reopen window overflow", func(t *testing.T) {
		e := &env{Env: e.Env, t: t, clock: e.clock}
		for _, secs := range []int64{1 << 62, 1<<63 - 1, 9223372037} {
			r := e.send("POST", "/api/v1/inboxes", nil, map[string]any{"name": "Overflow", "reopen_window_seconds": secs}, "")
			if r.status != 400 {
				t.Fatalf("internal/api/inboxes.go inboxRequest.apply (time.Duration(*req.ReopenWindowSeconds) * time.Second) "+
					"overflows for huge values and Validate never sees them: reopen_window_seconds=%d gave %s", secs, r)
			}
		}
	})

	// A failed team creation left no team behind.
	var teams struct{ Teams []parley.Team }
	e.call("GET", "/api/v1/teams", nil, 200, &teams)
	for _, tm := range teams.Teams {
		if tm.Name == "Ghosts" || tm.Name == "Zeros" {
			t.Fatalf("team %q exists after its creation failed", tm.Name)
		}
	}
}
