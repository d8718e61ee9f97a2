package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

type scenario struct {
	name   string
	who    string // "anon", "agent", "owner"
	method string
	path   string
	form   url.Values
	hx     bool
	status int
	want   []string
	forbid []string
}

func runScenarios(t *testing.T, e *env, cs map[string]*client, list []scenario) {
	t.Helper()
	for _, sc := range list {
		c := cs[sc.who]
		status, body, _ := c.do(sc.method, sc.path, sc.form, sc.hx)
		if status != sc.status {
			t.Errorf("%s: %s %s = %d, want %d; body %.400s%s", sc.name, sc.method, sc.path, status, sc.status, body, alertIn(body))
			continue
		}
		for _, w := range sc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: body lacks %q: %.600s%s", sc.name, w, body, alertIn(body))
			}
		}
		for _, f := range sc.forbid {
			if strings.Contains(body, f) {
				t.Errorf("%s: body has forbidden %q", sc.name, f)
			}
		}
	}
}

// alertIn quotes the first error shown on a page, which the start of a
// long page does not reach.
func alertIn(body string) string {
	_, after, ok := strings.Cut(body, `class="error"`)
	if !ok {
		return ""
	}
	return fmt.Sprintf("\n… alert: %.300s", after)
}

func TestPagesAndActions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		cs := map[string]*client{"anon": e.anon(), "agent": e.login("agent@example.com"), "owner": e.login("owner@example.com")}
		conv := fmt.Sprintf("/app/conversations/%d", e.convID)
		_, err := e.App.Inbox.SaveCanned(bg, inbox.System, cannedFixture())
		if err != nil {
			t.Fatal(err)
		}
		runScenarios(t, e, cs, []scenario{
			{name: "root redirects", who: "anon", method: "GET", path: "/", status: 303},
			{name: "login page", who: "anon", method: "GET", path: "/login", status: 200, want: []string{`data-testid="login-form"`}},
			{name: "inbox", who: "agent", method: "GET", path: "/app/", status: 200,
				want: []string{"Ana Pham", "order #1234", `data-testid="conversation-row"`, "Support API", "Unassigned"}},
			{name: "mine is empty", who: "agent", method: "GET", path: "/app/?view=mine", status: 200, want: []string{`data-testid="list-empty"`}, forbid: []string{"Ana Pham"}},
			{name: "unassigned", who: "agent", method: "GET", path: "/app/?view=unassigned", status: 200, want: []string{"Ana Pham"}},
			{name: "by inbox", who: "agent", method: "GET", path: fmt.Sprintf("/app/?inbox=%d", e.inboxID), status: 200, want: []string{"Ana Pham"}},
			{name: "resolved empty", who: "agent", method: "GET", path: "/app/?status=resolved", status: 200, forbid: []string{"Ana Pham"}},
			{name: "bad status", who: "agent", method: "GET", path: "/app/?status=closed", status: 400},
			{name: "search", who: "agent", method: "GET", path: "/app/?q=arrived", status: 200, want: []string{"Ana Pham", "Results for"}},
			{name: "search miss", who: "agent", method: "GET", path: "/app/?q=zebra", status: 200, forbid: []string{`data-testid="conversation-row"`}},
			{name: "list partial", who: "agent", method: "GET", path: "/app/list?view=unassigned", hx: true, status: 200, want: []string{"Ana Pham"}, forbid: []string{"<html"}},
			{name: "sidebar partial", who: "agent", method: "GET", path: "/app/sidebar", hx: true, status: 200, want: []string{`data-testid="count-unassigned">1<`}},
			{name: "conversation", who: "agent", method: "GET", path: conv, status: 200,
				want: []string{`data-testid="timeline"`, "order #1234", `data-testid="composer"`, "/thanks", "Thanks Ana Pham, Andy Agent here", `data-testid="contact-panel"`}},
			{name: "timeline partial", who: "agent", method: "GET", path: conv + "/timeline", hx: true, status: 200, want: []string{"order #1234"}, forbid: []string{"<html"}},
			{name: "meta partial", who: "agent", method: "GET", path: conv + "/meta", hx: true, status: 200, want: []string{`hx-swap-oob="true"`}},
			{name: "unknown conversation", who: "agent", method: "GET", path: "/app/conversations/9999", status: 404},
			{name: "reply", who: "agent", method: "POST", path: conv + "/reply", form: url.Values{"text": {"We are on it!"}}, status: 303},
			{name: "reply htmx", who: "agent", method: "POST", path: conv + "/reply", form: url.Values{"text": {"Second reply"}}, hx: true, status: 200, want: []string{"We are on it!", "Second reply"}},
			{name: "note", who: "agent", method: "POST", path: conv + "/reply", form: url.Values{"text": {"Customer is VIP"}, "kind": {"note"}}, hx: true, status: 200, want: []string{"msg-note", "Internal note"}},
			{name: "empty reply", who: "agent", method: "POST", path: conv + "/reply", form: url.Values{"text": {"  "}}, hx: true, status: 400, want: []string{"needs text"}},
			{name: "assign me", who: "agent", method: "POST", path: conv + "/assign", form: url.Values{"assignee_id": {"me"}}, hx: true, status: 200, want: []string{"selected>Andy Agent"}},
			{name: "mine now", who: "agent", method: "GET", path: "/app/?view=mine", status: 200, want: []string{"Ana Pham"}},
			{name: "priority", who: "agent", method: "POST", path: conv + "/priority", form: url.Values{"priority": {"urgent"}}, hx: true, status: 200, want: []string{`value="urgent" selected`}},
			{name: "bad priority", who: "agent", method: "POST", path: conv + "/priority", form: url.Values{"priority": {"meh"}}, hx: true, status: 400},
			{name: "labels", who: "agent", method: "POST", path: conv + "/labels", form: url.Values{"labels": {"Billing, vip"}}, hx: true, status: 200, want: []string{"#billing", "#vip"}},
			{name: "by label", who: "agent", method: "GET", path: "/app/?label=vip", status: 200, want: []string{"Ana Pham"}},
			{name: "snooze 1h", who: "agent", method: "POST", path: conv + "/snooze", form: url.Values{"until": {"1h"}, "tz_offset": {"-420"}}, hx: true, status: 200, want: []string{`data-testid="status">snoozed`}},
			{name: "snooze reply", who: "agent", method: "POST", path: conv + "/snooze", form: url.Values{"until": {"reply"}}, hx: true, status: 200, want: []string{"until the customer replies"}},
			{name: "snooze custom past", who: "agent", method: "POST", path: conv + "/snooze", form: url.Values{"until": {"custom"}, "at": {"2001-01-01T09:00"}}, hx: true, status: 400},
			{name: "resolve", who: "agent", method: "POST", path: conv + "/status", form: url.Values{"status": {"resolved"}}, hx: true, status: 200, want: []string{`data-testid="reopen"`}},
			{name: "resolved view", who: "agent", method: "GET", path: "/app/?status=resolved", status: 200, want: []string{"Ana Pham"}},
			{name: "reopen", who: "agent", method: "POST", path: conv + "/status", form: url.Values{"status": {"open"}}, status: 303},
			{name: "team none", who: "agent", method: "POST", path: conv + "/team", form: url.Values{"team_id": {"0"}}, hx: true, status: 200},
			{name: "team unknown", who: "agent", method: "POST", path: conv + "/team", form: url.Values{"team_id": {"77"}}, hx: true, status: 404},
			{name: "edit contact", who: "agent", method: "POST", path: "/app/contacts/1", form: url.Values{"name": {"Ana P."}, "email": {"ana@example.com"}, "phone": {""}, "conversation_id": {fmt.Sprint(e.convID)}}, hx: true, status: 200, want: []string{"Ana P."}},
			{name: "merge candidates", who: "agent", method: "GET", path: fmt.Sprintf("/app/contacts/1/merge-candidates?q=zzz&conversation_id=%d", e.convID), hx: true, status: 200, want: []string{"No other contact matches"}},
			{name: "password page", who: "agent", method: "GET", path: "/app/password", status: 200, want: []string{"Change your password"}},
			{name: "static fingerprinted", who: "anon", method: "GET", path: "/app/static/nope.css", status: 404},
			{name: "admin agents", who: "owner", method: "GET", path: "/app/admin/agents", status: 200, want: []string{"Andy Agent", "Invite an agent"}},
			{name: "admin teams", who: "owner", method: "GET", path: "/app/admin/teams", status: 200, want: []string{"New team"}},
			{name: "admin inboxes", who: "owner", method: "GET", path: "/app/admin/inboxes", status: 200, want: []string{"Support API"}},
			{name: "admin inbox", who: "owner", method: "GET", path: fmt.Sprintf("/app/admin/inboxes/%d", e.inboxID), status: 200, want: []string{"Reopen window"}},
			{name: "admin canned", who: "owner", method: "GET", path: "/app/admin/canned", status: 200, want: []string{"/thanks"}},
			{name: "admin tokens", who: "owner", method: "GET", path: "/app/admin/tokens", status: 200, want: []string{"test"}},
			{name: "admin smtp", who: "owner", method: "GET", path: "/app/admin/smtp", status: 200, want: []string{"SMTP"}},
			{name: "invite", who: "owner", method: "POST", path: "/app/admin/agents", form: url.Values{"name": {"Binh Tran"}, "email": {"binh@example.com"}, "role": {"agent"}}, status: 200,
				want: []string{`data-testid="generated-password"`, "Binh Tran"}},
			{name: "invite duplicate", who: "owner", method: "POST", path: "/app/admin/agents", form: url.Values{"name": {"B"}, "email": {"binh@example.com"}, "role": {"agent"}}, status: 409, want: []string{"already exists"}},
			{name: "create team", who: "owner", method: "POST", path: "/app/admin/teams", form: url.Values{"name": {"Billing"}}, status: 303},
			{name: "team member", who: "owner", method: "POST", path: "/app/admin/teams/1/members", form: url.Values{"agent_id": {fmt.Sprint(e.agentID)}, "action": {"add"}}, status: 303},
			{name: "teams listed", who: "owner", method: "GET", path: "/app/admin/teams", status: 200, want: []string{"Billing", "Andy Agent"}},
			{name: "assign team", who: "agent", method: "POST", path: conv + "/team", form: url.Values{"team_id": {"1"}}, hx: true, status: 200, want: []string{`value="1" selected`}},
			{name: "by team", who: "agent", method: "GET", path: "/app/?team=1", status: 200, want: []string{"Ana P.", `data-testid="conversation-row"`}},
			{name: "by other team", who: "agent", method: "GET", path: "/app/?team=2", status: 200, forbid: []string{`data-testid="conversation-row"`}},
			{name: "create widget inbox", who: "owner", method: "POST", path: "/app/admin/inboxes", form: url.Values{"name": {"Website"}, "channel_type": {"widget"}}, status: 303},
			{name: "widget settings", who: "owner", method: "GET", path: "/app/admin/inboxes/2", status: 200, want: []string{`/widget.js&#34; data-inbox=&#34;2&#34; async&gt;&lt;/script&gt;`, "HMAC-SHA256", `data-testid="identity-secret"`}},
			{name: "update inbox", who: "owner", method: "POST", path: "/app/admin/inboxes/2", form: url.Values{"name": {"Website chat"}, "reopen_days": {"3"}, "webhook_url": {""},
				"email_ask": {"offline"}, "away_minutes": {"10"}, "reply_time_text": {"Within an hour"}, "greeting": {"Hi there!"}}, status: 303},
			{name: "update inbox bad", who: "owner", method: "POST", path: "/app/admin/inboxes/2", form: url.Values{"name": {"W"}, "reopen_days": {"3"}, "email_ask": {"sometimes"}, "away_minutes": {"10"}}, status: 400, want: []string{"email_ask"}},
			{name: "inbox saved", who: "owner", method: "GET", path: "/app/admin/inboxes/2", status: 200, want: []string{"Website chat", `value="offline" selected`, "Within an hour"}},
			{name: "create canned", who: "owner", method: "POST", path: "/app/admin/canned", form: url.Values{"shortcut": {"/bye"}, "title": {"Goodbye"}, "body": {"Bye {{contact.first_name}}"}}, status: 303},
			{name: "update canned", who: "owner", method: "POST", path: "/app/admin/canned/2", form: url.Values{"shortcut": {"bye"}, "title": {"Farewell"}, "body": {"Bye!"}}, status: 303},
			{name: "canned listed", who: "owner", method: "GET", path: "/app/admin/canned", status: 200, want: []string{"Farewell"}},
			{name: "delete canned", who: "owner", method: "POST", path: "/app/admin/canned/2/delete", form: url.Values{}, status: 303},
			{name: "canned gone", who: "owner", method: "GET", path: "/app/admin/canned", status: 200, forbid: []string{"Farewell"}},
			{name: "create token", who: "owner", method: "POST", path: "/app/admin/tokens", form: url.Values{"name": {"CRM"}}, status: 200, want: []string{`data-testid="token-secret">prly_`}},
			{name: "smtp save", who: "owner", method: "POST", path: "/app/admin/smtp", form: url.Values{"host": {"smtp.example.com"}, "port": {"587"}, "username": {"u"}, "password": {"s3cret-pass"}, "from": {"Support <help@example.com>"}, "security": {"starttls"}}, status: 303},
			{name: "smtp hides password", who: "owner", method: "GET", path: "/app/admin/smtp", status: 200, want: []string{"smtp.example.com", "Stored"}, forbid: []string{"s3cret-pass"}},
			{name: "smtp bad", who: "owner", method: "POST", path: "/app/admin/smtp", form: url.Values{"host": {"smtp.example.com"}, "from": {"nope"}}, status: 400, want: []string{"not a valid address"}},
		})
		if ms := e.messages(e.convID); len(ms) != 4 || ms[1].Text != "We are on it!" || ms[3].Direction != parley.Note {
			t.Errorf("messages = %+v", ms)
		}
		c := e.conversation(e.convID)
		if c.Status != parley.StatusOpen || c.Priority != parley.PriorityUrgent || strings.Join(c.Labels, ",") != "billing,vip" || c.AssigneeID == nil || *c.AssigneeID != e.agentID {
			t.Errorf("conversation = %+v", c)
		}
		smtp, _ := e.App.Inbox.SMTPSettings(bg)
		if smtp.Password != "s3cret-pass" {
			t.Errorf("smtp password not stored")
		}
	})
}

func cannedFixture() (c store.CannedResponse) {
	c.Shortcut, c.Title, c.Body = "thanks", "Thanks", "Thanks {{contact.name}}, {{agent.name}} here."
	return c
}

// TestSecurityHeaders checks the headers every page carries.
func TestSecurityHeaders(t *testing.T) {
	e := start(t, "sqlite")
	c := e.login("agent@example.com")
	for _, p := range []string{"/login", "/app/", fmt.Sprintf("/app/conversations/%d", e.convID)} {
		_, _, h := c.do("GET", p, nil, false)
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP = %q", p, csp)
		}
		if h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
			t.Errorf("%s: headers = %v", p, h)
		}
	}
	_, body := c.get("/app/")
	if strings.Contains(body, "<script>") || strings.Contains(body, " on") && strings.Contains(body, "onclick=") {
		t.Error("inline script on the page")
	}
}

func TestSignedOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		anon := e.anon()
		for _, p := range []string{"/app/", "/app/admin/agents", fmt.Sprintf("/app/conversations/%d", e.convID), "/app/password"} {
			status, _, h := anon.do("GET", p, nil, false)
			if status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/login?next=") {
				t.Errorf("GET %s signed out = %d %s", p, status, h.Get("Location"))
			}
			if status, _, _ := anon.do("GET", p, nil, true); status != http.StatusUnauthorized {
				t.Errorf("htmx GET %s signed out = %d, want 401", p, status)
			}
		}
		if status, _ := anon.post(fmt.Sprintf("/app/conversations/%d/reply", e.convID), url.Values{"text": {"x"}}); status != http.StatusUnauthorized {
			t.Errorf("POST signed out = %d", status)
		}
		// A bogus cookie is no session either.
		u, _ := url.Parse(e.URL)
		anon.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "parley_session", Value: "forged"}})
		if status, _, _ := anon.do("GET", "/app/list", nil, true); status != http.StatusUnauthorized {
			t.Errorf("forged cookie = %d", status)
		}
		// Sign out ends the session server-side.
		c := e.login("agent@example.com")
		cookies := c.hc.Jar.Cookies(u)
		if status, _ := c.post("/logout", url.Values{}); status != http.StatusSeeOther {
			t.Fatalf("logout = %d", status)
		}
		replay := e.anon()
		replay.hc.Jar.SetCookies(u, cookies)
		if status, _, _ := replay.do("GET", "/app/", nil, true); status != http.StatusUnauthorized {
			t.Errorf("old cookie after sign-out = %d", status)
		}
	})
}

// TestCSRF: state-changing requests without the session's token are
// refused with 403 and change nothing.
func TestCSRF(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		c := e.login("owner@example.com")
		conv := fmt.Sprintf("/app/conversations/%d", e.convID)
		posts := []struct {
			path string
			form url.Values
		}{
			{conv + "/reply", url.Values{"text": {"sneaky"}}},
			{conv + "/assign", url.Values{"assignee_id": {"me"}}},
			{conv + "/status", url.Values{"status": {"resolved"}}},
			{conv + "/priority", url.Values{"priority": {"low"}}},
			{conv + "/labels", url.Values{"labels": {"x"}}},
			{conv + "/snooze", url.Values{"until": {"1h"}}},
			{"/app/contacts/1", url.Values{"name": {"Mallory"}, "conversation_id": {fmt.Sprint(e.convID)}}},
			{"/app/admin/agents", url.Values{"name": {"Eve"}, "email": {"eve@example.com"}, "role": {"owner"}}},
			{"/app/admin/tokens", url.Values{"name": {"evil"}}},
			{"/app/admin/tokens/1/revoke", url.Values{}},
			{"/app/admin/canned", url.Values{"shortcut": {"x"}, "title": {"x"}, "body": {"x"}}},
			{"/app/password", url.Values{"current_password": {testPassword}, "new_password": {"pwned-pwned-1"}, "confirm_password": {"pwned-pwned-1"}}},
			{"/logout", url.Values{}},
		}
		for _, p := range posts {
			for _, tok := range []string{"", "wrong-token"} {
				f := url.Values{}
				for k, v := range p.form {
					f[k] = v
				}
				f.Set("csrf_token", tok)
				if status, body := c.post(p.path, f); status != http.StatusForbidden {
					t.Errorf("POST %s with csrf %q = %d %.200s", p.path, tok, status, body)
				}
			}
		}
		if ms := e.messages(e.convID); len(ms) != 1 {
			t.Errorf("messages after refused posts: %d", len(ms))
		}
		cv := e.conversation(e.convID)
		if cv.Status != parley.StatusOpen || cv.AssigneeID != nil || len(cv.Labels) != 0 || cv.Priority != parley.PriorityNormal {
			t.Errorf("conversation changed: %+v", cv)
		}
		agents, _ := e.App.DB.Agents(bg)
		if len(agents) != 2 {
			t.Errorf("agents = %d", len(agents))
		}
		if toks, _ := e.App.DB.APITokens(bg); len(toks) != 1 || toks[0].RevokedAt != nil {
			t.Errorf("tokens changed: %+v", toks)
		}
		ct, _ := e.App.DB.Contact(bg, 1)
		if ct.Name != "Ana Pham" {
			t.Errorf("contact renamed to %q", ct.Name)
		}
		// Still signed in (logout was refused), and the header form works.
		if status, _, _ := c.do("GET", "/app/", nil, false); status != http.StatusOK {
			t.Errorf("session ended by a refused logout")
		}
		// A cross-site login post is refused too.
		req, _ := http.NewRequest("POST", e.URL+"/login", strings.NewReader(url.Values{"email": {"agent@example.com"}, "password": {testPassword}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site login = %d", resp.StatusCode)
		}
	})
}

// TestAdminOnly: agents get 403 on every admin page and action.
func TestAdminOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		c := e.login("agent@example.com")
		gets := []string{"/app/admin/agents", "/app/admin/teams", "/app/admin/inboxes", fmt.Sprintf("/app/admin/inboxes/%d", e.inboxID),
			"/app/admin/canned", "/app/admin/tokens", "/app/admin/smtp"}
		for _, p := range gets {
			if status, body := c.get(p); status != http.StatusForbidden || strings.Contains(body, "Invite an agent") {
				t.Errorf("agent GET %s = %d", p, status)
			}
		}
		posts := map[string]url.Values{
			"/app/admin/agents": {"name": {"Eve"}, "email": {"eve@example.com"}, "role": {"owner"}},
			fmt.Sprintf("/app/admin/agents/%d/role", e.agentID):   {"role": {"owner"}},
			fmt.Sprintf("/app/admin/agents/%d/active", e.ownerID): {"active": {"false"}},
			"/app/admin/teams":                              {"name": {"T"}},
			"/app/admin/teams/1/members":                    {"agent_id": {"1"}},
			"/app/admin/inboxes":                            {"name": {"X"}, "channel_type": {"api"}},
			fmt.Sprintf("/app/admin/inboxes/%d", e.inboxID): {"name": {"Hacked"}, "reopen_days": {"1"}, "away_minutes": {"5"}},
			"/app/admin/canned":                             {"shortcut": {"x"}, "title": {"x"}, "body": {"x"}},
			"/app/admin/canned/1":                           {"shortcut": {"x"}, "title": {"x"}, "body": {"x"}},
			"/app/admin/canned/1/delete":                    {},
			"/app/admin/tokens":                             {"name": {"mine"}},
			"/app/admin/tokens/1/revoke":                    {},
			"/app/admin/smtp":                               {"host": {"evil.example"}, "from": {"a@evil.example"}},
		}
		for p, f := range posts {
			if status, _ := c.post(p, f); status != http.StatusForbidden {
				t.Errorf("agent POST %s = %d", p, status)
			}
		}
		agents, _ := e.App.DB.Agents(bg)
		for _, a := range agents {
			if a.ID == e.agentID && a.Role != parley.RoleAgent || !a.Active {
				t.Errorf("agent changed: %+v", a)
			}
		}
		in, _, _ := e.App.DB.Inbox(bg, e.inboxID)
		toks, _ := e.App.DB.APITokens(bg)
		if in.Name != "Support API" || len(agents) != 2 || len(toks) != 1 || toks[0].RevokedAt != nil {
			t.Errorf("admin data changed: inbox %q, %d agents, %d tokens", in.Name, len(agents), len(toks))
		}
		if _, body := c.get("/app/"); strings.Contains(body, `data-testid="nav-admin"`) {
			t.Error("agents see the settings link")
		}
	})
}
