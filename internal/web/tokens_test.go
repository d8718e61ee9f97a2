package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

var secretRE = regexp.MustCompile(`data-testid="token-secret">(prly_[A-Za-z0-9_-]+)<`)

// tokenRow is the table row of the token with id on the tokens page.
func tokenRow(t *testing.T, body string, id int64) string {
	t.Helper()
	_, after, ok := strings.Cut(body, fmt.Sprintf(`data-token-id="%d"`, id))
	if !ok {
		t.Fatalf("no row for token %d: %.600s", id, body)
	}
	row, _, _ := strings.Cut(after, "</tr>")
	return row
}

// apiStatus calls the REST API with a bearer token.
func (e *env) apiStatus(method, path, token string, body string) int {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestAdminTokens: the settings page creates tokens with a scope and an
// expiry, shows their standing and last use, and revokes them.
func TestAdminTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		clk := &clock{}
		e := startAt(t, dialect, clk.Now)
		c := e.login("owner@example.com")
		incoming := fmt.Sprintf("/api/v1/inboxes/%d/incoming", e.inboxID)
		msg := `{"contact":{"external_id":"web-1"},"text":"hi"}`

		status, body, _ := c.do("POST", "/app/admin/tokens", url.Values{"name": {"Dashboard"}, "scope": {"read"}, "expires": {"30d"}}, false)
		m := secretRE.FindStringSubmatch(body)
		if status != 200 || m == nil {
			t.Fatalf("create token = %d %.500s%s", status, body, alertIn(body))
		}
		secret := m[1]
		toks, _ := e.App.DB.APITokens(bg)
		dash := toks[0]
		if dash.Name != "Dashboard" || dash.Scope != parley.ScopeRead || dash.ExpiresAt == nil || dash.AgentID == nil || *dash.AgentID != e.ownerID ||
			dash.ExpiresAt.Sub(clk.Now()) < 29*24*time.Hour || dash.ExpiresAt.Sub(clk.Now()) > 30*24*time.Hour {
			t.Fatalf("created %+v", dash)
		}
		// The scope holds on the API.
		if s := e.apiStatus("GET", "/api/v1/conversations", secret, ""); s != 200 {
			t.Errorf("read token GET = %d", s)
		}
		if s := e.apiStatus("POST", incoming, secret, msg); s != 403 {
			t.Errorf("read token POST incoming = %d, want 403", s)
		}

		// Bad input: a clear 400, nothing created.
		for _, f := range []url.Values{
			{"name": {"X"}, "scope": {"admin"}},
			{"name": {"X"}, "expires": {"forever"}},
			{"name": {"X"}, "expires": {"-7d"}},
			{"name": {""}},
		} {
			if status, body, _ := c.do("POST", "/app/admin/tokens", f, false); status != 400 || strings.Contains(body, "prly_") {
				t.Errorf("create %v = %d%s", f, status, alertIn(body))
			}
		}
		if n, _ := e.App.DB.APITokens(bg); len(n) != len(toks) {
			t.Errorf("refused forms created tokens: %d, want %d", len(n), len(toks))
		}

		// The list shows scope, expiry, last use and a revoke button.
		var row string
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, body := c.get("/app/admin/tokens")
			row = tokenRow(t, body, dash.ID)
			if !strings.Contains(row, `data-testid="token-last-used"><span class="muted">Never`) || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		for _, w := range []string{"Dashboard", "Read only", `data-status="active"`, `data-testid="token-revoke"`, dash.ExpiresAt.Format("Jan 2, 15:04")} {
			if !strings.Contains(row, w) {
				t.Errorf("token row lacks %q: %s", w, row)
			}
		}
		if strings.Contains(row, `data-testid="token-last-used"><span class="muted">Never`) {
			t.Errorf("last use not shown after the token was used: %s", row)
		}

		// Revoke: the API refuses it at once, and the page says so.
		status, _, h := c.do("POST", fmt.Sprintf("/app/admin/tokens/%d/revoke", dash.ID), url.Values{}, false)
		if status != http.StatusSeeOther || h.Get("Location") != "/app/admin/tokens?flash=revoked" {
			t.Fatalf("revoke = %d %v", status, h)
		}
		if s := e.apiStatus("GET", "/api/v1/conversations", secret, ""); s != 401 {
			t.Errorf("revoked token GET = %d, want 401", s)
		}
		_, body = c.get("/app/admin/tokens?flash=revoked")
		row = tokenRow(t, body, dash.ID)
		if !strings.Contains(body, "Token revoked") || !strings.Contains(row, `data-status="revoked"`) || strings.Contains(row, "token-revoke") {
			t.Errorf("after revoke, row = %s", row)
		}
		if status, _, _ := c.do("POST", "/app/admin/tokens/999999/revoke", url.Values{}, false); status != 404 {
			t.Errorf("revoke unknown = %d", status)
		}

		// Expiry: an ingest token for 7 days works, then stops.
		_, body, _ = c.do("POST", "/app/admin/tokens", url.Values{"name": {"Form"}, "scope": {"ingest"}, "expires": {"7d"}}, false)
		m = secretRE.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("create ingest token: %.400s%s", body, alertIn(body))
		}
		if s := e.apiStatus("POST", incoming, m[1], msg); s != 201 {
			t.Errorf("ingest token POST incoming = %d", s)
		}
		if s := e.apiStatus("GET", "/api/v1/conversations", m[1], ""); s != 403 {
			t.Errorf("ingest token GET conversations = %d, want 403", s)
		}
		clk.shift(8 * 24 * time.Hour)
		if s := e.apiStatus("POST", incoming, m[1], msg); s != 401 {
			t.Errorf("expired token POST incoming = %d, want 401", s)
		}
		toks, _ = e.App.DB.APITokens(bg)
		_, body = c.get("/app/admin/tokens")
		if row := tokenRow(t, body, toks[0].ID); toks[0].Name != "Form" || !strings.Contains(row, `data-status="expired"`) || !strings.Contains(row, "Ingest only") {
			t.Errorf("expired token row = %s", row)
		}
	})
}
