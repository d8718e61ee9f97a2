package api_test

import (
	"fmt"
	"testing"

	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestWidgetInboxSettings: widget inboxes and their settings through the API.
func TestWidgetInboxSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		var in inboxJSON
		e.call("POST", "/api/v1/inboxes", map[string]any{"name": "Website", "channel_type": "widget", "email_ask": "offline",
			"away_minutes": 10, "reply_time_text": "We reply within a few hours", "greeting": "Hi!"}, 201, &in)
		var got map[string]any
		e.call("GET", fmt.Sprintf("/api/v1/inboxes/%d", in.ID), nil, 200, &got)
		if got["channel_type"] != "widget" || got["email_ask"] != "offline" || got["away_minutes"] != float64(10) ||
			got["reply_time_text"] != "We reply within a few hours" || got["greeting"] != "Hi!" {
			t.Fatalf("inbox = %v", got)
		}
		path := fmt.Sprintf("/api/v1/inboxes/%d", in.ID)
		e.run([]scenario{
			{name: "email_ask always", method: "PATCH", path: path, body: map[string]any{"email_ask": "always"}, status: 200,
				want: []string{`"email_ask":"always"`}},
			{name: "email_ask bogus", method: "PATCH", path: path, body: map[string]any{"email_ask": "sometimes"}, status: 400,
				want: []string{"email_ask"}},
			{name: "away_minutes zero", method: "PATCH", path: path, body: map[string]any{"away_minutes": 0}, status: 400,
				want: []string{"away_minutes"}},
			{name: "away_minutes too long", method: "PATCH", path: path, body: map[string]any{"away_minutes": 20000}, status: 400},
			{name: "unknown channel", method: "POST", path: "/api/v1/inboxes", body: map[string]any{"name": "Fax", "channel_type": "fax"},
				status: 400, want: []string{"not supported"}},
		})
	})
}
