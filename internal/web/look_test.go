package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestWidgetLook: an admin gives the chat a colour, a title, a side and
// a language in the inbox's settings (a bad colour is refused and
// nothing saved); the chat page then shows them, its own words in that
// language, and a default greeting that says what to expect.
func TestWidgetLook(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		w, err := e.App.Inbox.CreateInbox(bg, inbox.System, parley.Inbox{Name: "Website", ChannelType: parley.ChannelWidget, AllowedOrigins: []string{"*"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		c := e.login("owner@example.com")
		path := fmt.Sprintf("/app/admin/inboxes/%d", w.ID)
		_, page, _ := c.do("GET", path, nil, false)
		if !strings.Contains(page, `data-testid="look-preview"`) || !strings.Contains(page, `value="#2f5bea"`) {
			t.Fatal("no look section with its preview")
		}
		form := func(color string) url.Values {
			return url.Values{"name": {"Website"}, "reopen_days": {"7"}, "away_minutes": {"5"}, "email_ask": {"never"}, "allowed_origins": {"*"},
				"look_color": {color}, "look_title": {"Acme Help"}, "look_position": {"left"}, "look_language": {"fr"}, "look_logo_url": {""}}
		}
		if status, body, _ := c.do("POST", path, form("red"), false); status != 400 || !strings.Contains(body, "hex colour") {
			t.Fatalf("a bad colour = %d %s", status, alertIn(body))
		}
		if in, _, _ := e.App.DB.Inbox(bg, w.ID); in.Look != (parley.WidgetLook{}) {
			t.Fatalf("a refused form saved %+v", in.Look)
		}
		if status, _, _ := c.do("POST", path, form("#FF0066"), false); status != 303 {
			t.Fatalf("save = %d", status)
		}
		if in, _, _ := e.App.DB.Inbox(bg, w.ID); in.Look != (parley.WidgetLook{Color: "#ff0066", Title: "Acme Help", Position: "left", Language: "fr"}) {
			t.Fatalf("stored %+v", in.Look)
		}
		resp, err := http.Get(fmt.Sprintf("%s/widget/%d", e.URL, w.ID))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		chat := string(b)
		for _, want := range []string{`lang="fr"`, `data-color="#ff0066"`, `data-position="left"`, "<h1>Acme Help</h1>", `placeholder="Écrivez un message…"`,
			"Bonjour ! Posez-nous vos questions ici.", "Nous sommes en ligne", `aria-label="Enregistrer votre écran"`} {
			if !strings.Contains(chat, want) {
				t.Errorf("the chat page lacks %q", want)
			}
		}
	})
}
