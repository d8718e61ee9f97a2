package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestOnboarding: the checklist ticks each step from what Parley sees,
// shows the widget's snippet once there is one, is for owners and admins
// only, and is gone once everything is done.
func TestOnboarding(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		owner, agent := e.login("owner@example.com"), e.login("agent@example.com")
		step := func(body, key string) string {
			_, after, ok := strings.Cut(body, `data-testid="onboarding-`+key+`" data-done="`)
			if !ok {
				t.Fatalf("no step %s", key)
			}
			return after[:strings.Index(after, `"`)]
		}
		_, body, _ := owner.do("GET", "/app/", nil, false)
		if !strings.Contains(body, `data-testid="onboarding"`) || !strings.Contains(body, "3 of 6 done") ||
			step(body, "inbox") != "true" || step(body, "team") != "true" || step(body, "test") != "true" ||
			step(body, "availability") != "false" || step(body, "widget") != "false" || step(body, "hours") != "false" {
			t.Fatalf("at first: %.3000s", body)
		}
		if _, body, _ := agent.do("GET", "/app/", nil, false); strings.Contains(body, `data-testid="onboarding"`) {
			t.Fatal("an agent sees the owner's checklist")
		}
		w, err := e.App.Inbox.CreateInbox(bg, inbox.System, parley.Inbox{Name: "Website", ChannelType: parley.ChannelWidget, AllowedOrigins: []string{"*"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, body, _ = owner.do("GET", "/app/", nil, false)
		if step(body, "widget") != "true" || !strings.Contains(body, `data-testid="onboarding-snippet">&lt;script src=`) {
			t.Fatalf("after the widget inbox: %.3000s", body)
		}
		// Hidden by an admin, it is gone for the whole team; agents may not.
		if status, _, _ := agent.do("POST", "/app/onboarding/hide", url.Values{}, false); status != 403 {
			t.Fatalf("an agent hiding it = %d", status)
		}
		if status, _, _ := owner.do("POST", "/app/onboarding/hide", url.Values{}, false); status != 303 {
			t.Fatalf("hide = %d", status)
		}
		if _, body, _ := owner.do("GET", "/app/", nil, false); strings.Contains(body, `data-testid="onboarding"`) {
			t.Fatal("hidden, the checklist is still shown")
		}
		if err := e.App.DB.Write(bg, func(tx *store.Tx) error { return tx.SetSetting("onboarding.hidden", false) }); err != nil {
			t.Fatal(err)
		}
		w.Routing.Hours = []byte(`{"time_zone":"Europe/Paris","week":{"mon":["09:00-17:00"]}}`)
		if _, err := e.App.Inbox.UpdateInbox(bg, inbox.System, w, nil); err != nil {
			t.Fatal(err)
		}
		if err := e.App.Inbox.SetAvailability(bg, inbox.System, e.ownerID, parley.Online, ""); err != nil {
			t.Fatal(err)
		}
		if _, body, _ := owner.do("GET", "/app/", nil, false); strings.Contains(body, `data-testid="onboarding"`) {
			t.Fatal("the checklist stays when everything is done")
		}
	})
}
