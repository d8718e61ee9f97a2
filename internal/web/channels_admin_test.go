package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

// TestAdminChannelInbox: creating a WhatsApp inbox asks for its settings
// and secrets, stores the secrets sealed, never shows them again, and an
// edit that leaves them empty keeps them.
func TestAdminChannelInbox(t *testing.T) {
	e := start(t, "sqlite")
	c := e.login("owner@example.com")

	status, body := c.post("/app/admin/inboxes", url.Values{"name": {"WhatsApp EU"}, "channel_type": {"whatsapp"}})
	if status != http.StatusOK || !strings.Contains(body, `name="setting.phone_number_id"`) || !strings.Contains(body, `name="secret.app_secret"`) {
		t.Fatalf("first step = %d, want the WhatsApp fields: %.500s", status, body)
	}
	// Missing a required secret: the form again, with the reason, nothing stored.
	form := url.Values{"name": {"WhatsApp EU"}, "channel_type": {"whatsapp"}, "channel_form": {"1"},
		"setting.phone_number_id": {"1098"}, "secret.access_token": {"EAAG-secret-token"}, "secret.verify_token": {"vt"}}
	status, body = c.post("/app/admin/inboxes", form)
	if status != http.StatusBadRequest || !strings.Contains(body, "App secret") {
		t.Fatalf("missing secret = %d: %.500s", status, body)
	}
	if list, _ := e.App.DB.Inboxes(bg); len(list) != 1 {
		t.Fatalf("%d inboxes after a refused form", len(list))
	}
	form.Set("secret.app_secret", "meta-app-secret")
	status, body, h := c.do("POST", "/app/admin/inboxes", form, false)
	if status != http.StatusSeeOther {
		t.Fatalf("create = %d %.300s", status, body)
	}
	status, page := c.get(h.Get("Location"))
	if status != 200 || strings.Contains(page, "EAAG-secret-token") || strings.Contains(page, "meta-app-secret") {
		t.Fatalf("settings page = %d, or it shows a secret", status)
	}
	if !strings.Contains(page, "stored — leave empty to keep") || !strings.Contains(page, "/hooks/whatsapp/") {
		t.Errorf("settings page lacks the stored marker or the webhook address: %.800s", page)
	}
	id := strings.TrimPrefix(strings.SplitN(h.Get("Location"), "?", 2)[0], "/app/admin/inboxes/")
	edit := url.Values{"name": {"WhatsApp Europe"}, "reopen_days": {"7"}, "away_minutes": {"5"}, "email_ask": {"never"}, "channel_form": {"1"},
		"setting.phone_number_id": {"1098"}, "setting.display_number": {"+44 20 7946 0000"}, "secret.access_token": {""}, "secret.app_secret": {""}, "secret.verify_token": {""}}
	if status, body := c.post("/app/admin/inboxes/"+id, edit); status != http.StatusSeeOther {
		t.Fatalf("edit = %d %.500s", status, body)
	}
	list, _ := e.App.DB.Inboxes(bg)
	var got parley.Inbox
	for _, in := range list {
		if in.ChannelType == parley.ChannelWhatsApp {
			got = in
		}
	}
	stored, err := e.App.Gateway.StoredSecrets(bg, got.ID)
	if got.Name != "WhatsApp Europe" || got.Settings["display_number"] != "+44 20 7946 0000" || err != nil || !stored["access_token"] || !stored["app_secret"] {
		t.Errorf("after edit: %+v, secrets %v %v", got, stored, err)
	}
}
