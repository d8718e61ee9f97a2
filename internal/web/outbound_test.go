package web_test

import (
	"net/url"
	"testing"

	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestOutboundSettings: an admin lists the private addresses Parley may
// call; a bad entry is refused and saves nothing; agents cannot see or
// change the list. The SMTP page refuses "none" off this machine.
func TestOutboundSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		cs := map[string]*client{"owner": e.login("owner@example.com"), "agent": e.login("agent@example.com")}
		runScenarios(t, e, cs, []scenario{
			{name: "page", who: "owner", method: "GET", path: "/app/admin/outbound", status: 200, want: []string{"Outbound", "127.0.0.0/8"}},
			{name: "agent page", who: "agent", method: "GET", path: "/app/admin/outbound", status: 403},
			{name: "agent save", who: "agent", method: "POST", path: "/app/admin/outbound", form: url.Values{"allow": {"10.0.0.0/8"}}, status: 403},
			{name: "save", who: "owner", method: "POST", path: "/app/admin/outbound", form: url.Values{"allow": {"10.0.5.0/24\nmail.internal, 192.168.1.20"}}, status: 303},
			{name: "shown", who: "owner", method: "GET", path: "/app/admin/outbound", status: 200, want: []string{"10.0.5.0/24\nmail.internal\n192.168.1.20"}},
			{name: "bad entry", who: "owner", method: "POST", path: "/app/admin/outbound", form: url.Values{"allow": {"10.0.0.0/8\nevil<b>"}}, status: 400,
				want: []string{"is not an address, a CIDR or a host name", "evil&lt;b&gt;"}, forbid: []string{"evil<b>"}},
			{name: "bad CIDR", who: "owner", method: "POST", path: "/app/admin/outbound", form: url.Values{"allow": {"10.0.0.0/33"}}, status: 400, want: []string{"is not a valid CIDR"}},
			{name: "smtp none remote", who: "owner", method: "POST", path: "/app/admin/smtp", form: url.Values{"host": {"smtp.example.com"}, "port": {"25"}, "security": {"none"},
				"username": {"u"}, "password": {"pw"}, "from": {"help@example.com"}}, status: 400, want: []string{"only for a mail server on this machine"}},
			{name: "smtp none local", who: "owner", method: "POST", path: "/app/admin/smtp", form: url.Values{"host": {"localhost"}, "port": {"25"}, "security": {"none"},
				"from": {"help@example.com"}}, status: 303},
		})
		list, err := e.App.Inbox.OutboundAllow(bg)
		if err != nil || list != "10.0.5.0/24, mail.internal, 192.168.1.20" {
			t.Fatalf("stored list = %q, %v (the bad save must change nothing)", list, err)
		}
		smtp, _ := e.App.Inbox.SMTPSettings(bg)
		if smtp.Host != "localhost" {
			t.Fatalf("smtp host = %q", smtp.Host)
		}
	})
}
