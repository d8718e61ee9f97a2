package api_test

import (
	"fmt"
	"testing"

	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestWidgetAllowedOrigins: the sites allowed to embed a widget inbox,
// through the API. Every refused change must write nothing (run checks).
func TestWidgetAllowedOrigins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		var created struct {
			ID             int64    `json:"id"`
			AllowedOrigins []string `json:"allowed_origins"`
		}
		// Left out: Parley's own origin only, never any site by default.
		e.call("POST", "/api/v1/inboxes", map[string]any{"name": "Website", "channel_type": "widget"}, 201, &created)
		if len(created.AllowedOrigins) != 1 || created.AllowedOrigins[0] != e.URL {
			t.Fatalf("default allowed_origins = %q, want [%s]", created.AllowedOrigins, e.URL)
		}
		e.call("POST", "/api/v1/inboxes", map[string]any{"name": "Shop", "channel_type": "widget",
			"allowed_origins": []string{"HTTPS://Shop.Example.com:443/", "https://*.example.org"}}, 201, &created)
		if fmt.Sprint(created.AllowedOrigins) != "[https://shop.example.com https://*.example.org]" {
			t.Fatalf("allowed_origins = %q", created.AllowedOrigins)
		}
		path := fmt.Sprintf("/api/v1/inboxes/%d", created.ID)
		var api struct {
			ID int64 `json:"id"`
		}
		e.call("POST", "/api/v1/inboxes", map[string]any{"name": "API", "channel_type": "api"}, 201, &api)
		e.run([]scenario{
			{name: "shown on read", method: "GET", path: path, status: 200,
				want: []string{`"allowed_origins":["https://shop.example.com","https://*.example.org"]`}},
			{name: "a path", method: "PATCH", path: path, body: map[string]any{"allowed_origins": []string{"https://shop.example.com/contact"}},
				status: 400, want: []string{"no path"}},
			{name: "no scheme", method: "PATCH", path: path, body: map[string]any{"allowed_origins": []string{"shop.example.com"}},
				status: 400, want: []string{"https://"}},
			{name: "a CSP injection", method: "PATCH", path: path, body: map[string]any{"allowed_origins": []string{"https://a.example; script-src *"}},
				status: 400, want: []string{"not a site origin"}},
			{name: "any with others", method: "PATCH", path: path, body: map[string]any{"allowed_origins": []string{"*", "https://a.example"}},
				status: 400, want: []string{"any site"}},
			{name: "not a list", method: "PATCH", path: path, body: map[string]any{"allowed_origins": "*"}, status: 400},
			{name: "unchanged after refusals", method: "GET", path: path, status: 200,
				want: []string{`"allowed_origins":["https://shop.example.com","https://*.example.org"]`}},
			{name: "any site, explicitly", method: "PATCH", path: path, body: map[string]any{"allowed_origins": []string{"*"}}, status: 200,
				want: []string{`"allowed_origins":["*"]`}},
			{name: "no site", method: "PATCH", path: path, body: map[string]any{"allowed_origins": []string{}}, status: 200,
				want: []string{`"allowed_origins":[]`}},
			{name: "other settings keep them", method: "PATCH", path: path, body: map[string]any{"greeting": "Hi"}, status: 200,
				want: []string{`"allowed_origins":[]`}},
			{name: "not for an API inbox", method: "PATCH", path: fmt.Sprintf("/api/v1/inboxes/%d", api.ID),
				body: map[string]any{"allowed_origins": []string{"https://a.example"}}, status: 400, want: []string{"widget inboxes only"}},
			{name: "API inboxes show none", method: "GET", path: fmt.Sprintf("/api/v1/inboxes/%d", api.ID), status: 200,
				notWant: []string{"allowed_origins"}},
		})
	})
}
