package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestAdminWidgetOrigins: the sites allowed to embed a widget are asked
// for when it is created and edited on its settings page; bad ones are
// refused with the reason and change nothing; "any site" is allowed only
// as an explicit choice, and warned about.
func TestAdminWidgetOrigins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		c := e.login("owner@example.com")
		stored := func(id int64) []string {
			t.Helper()
			in, _, err := e.App.DB.Inbox(bg, id)
			if err != nil {
				t.Fatal(err)
			}
			return in.AllowedOrigins
		}
		count := func() int {
			list, _ := e.App.DB.Inboxes(bg)
			return len(list)
		}

		// A bad site on creation: the form again with the reason, nothing stored.
		before := count()
		status, body := c.post("/app/admin/inboxes", url.Values{"name": {"Website"}, "channel_type": {"widget"}, "allowed_origins": {"www.example.com/shop"}})
		if status != http.StatusBadRequest || !strings.Contains(body, `data-testid="form-error"`) || !strings.Contains(body, "https://") {
			t.Fatalf("bad site on create = %d: %.600s", status, body)
		}
		if count() != before {
			t.Fatal("a refused widget inbox was stored")
		}

		status, _, h := c.do("POST", "/app/admin/inboxes", url.Values{"name": {"Website"}, "channel_type": {"widget"},
			"allowed_origins": {"https://WWW.example.com/"}}, false)
		if status != http.StatusSeeOther {
			t.Fatalf("create = %d", status)
		}
		path := strings.SplitN(h.Get("Location"), "?", 2)[0]
		list, _ := e.App.DB.Inboxes(bg)
		id := list[len(list)-1].ID
		if got := stored(id); len(got) != 1 || got[0] != "https://www.example.com" {
			t.Fatalf("created with %q", got)
		}
		status, page := c.get(path)
		if status != 200 || !strings.Contains(page, "https://www.example.com</textarea>") || strings.Contains(page, `data-testid="origins-warning"`) {
			t.Fatalf("settings page = %d: %.400s", status, page)
		}

		edit := func(origins string) (int, string) {
			return c.post(path, url.Values{"name": {"Website"}, "reopen_days": {"7"}, "away_minutes": {"5"}, "email_ask": {"never"},
				"allowed_origins": {origins}})
		}
		for _, bad := range []string{"https://www.example.com/page", "ftp://files.example.com", "*\nhttps://www.example.com", "https://a.example; frame-ancestors *"} {
			status, body := edit(bad)
			if status != http.StatusBadRequest || !strings.Contains(body, `class="error"`) {
				t.Fatalf("%q = %d: %.400s", bad, status, body)
			}
			if got := stored(id); len(got) != 1 || got[0] != "https://www.example.com" {
				t.Fatalf("%q changed the sites to %q", bad, got)
			}
		}
		if status, body := edit("https://www.example.com\r\nhttps://*.example.org, http://localhost:3000"); status != http.StatusSeeOther {
			t.Fatalf("good list = %d: %.400s", status, body)
		}
		if got := stored(id); strings.Join(got, " ") != "https://www.example.com https://*.example.org http://localhost:3000" {
			t.Fatalf("stored %q", got)
		}

		// Any site, chosen explicitly: saved, and the page warns.
		if status, _ := edit(" * "); status != http.StatusSeeOther {
			t.Fatalf("any = %d", status)
		}
		if got := stored(id); !parley.AnyOriginAllowed(got) {
			t.Fatalf("stored %q", got)
		}
		if _, page := c.get(path); !strings.Contains(page, `data-testid="origins-warning"`) {
			t.Fatal("no warning while any site may embed the widget")
		}
		// A form without the field (an older page) keeps the sites.
		if status, _ := c.post(path, url.Values{"name": {"Website"}, "reopen_days": {"7"}, "away_minutes": {"5"}, "email_ask": {"never"}}); status != http.StatusSeeOther {
			t.Fatalf("edit without the field = %d", status)
		}
		if got := stored(id); !parley.AnyOriginAllowed(got) {
			t.Fatalf("an edit without the field changed the sites to %q", got)
		}
	})
}
