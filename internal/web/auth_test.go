package web_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

func TestDeactivatedAgent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		agent := e.login("agent@example.com")
		owner := e.login("owner@example.com")
		if status, _ := owner.post(fmt.Sprintf("/app/admin/agents/%d/active", e.agentID), url.Values{"active": {"false"}}); status != http.StatusSeeOther {
			t.Fatalf("deactivate = %d", status)
		}
		if status, _, _ := agent.do("GET", "/app/", nil, true); status != http.StatusUnauthorized {
			t.Errorf("deactivated agent's session still works: %d", status)
		}
		status, body, _ := e.anon().do("POST", "/login", url.Values{"email": {"agent@example.com"}, "password": {testPassword}}, false)
		if status != http.StatusUnauthorized || strings.Contains(body, "deactivated") {
			t.Errorf("deactivated sign-in = %d", status)
		}
		// The owner cannot deactivate themself, the last owner.
		if status, _ := owner.post(fmt.Sprintf("/app/admin/agents/%d/active", e.ownerID), url.Values{"active": {"false"}}); status != http.StatusBadRequest {
			t.Errorf("self-deactivate = %d", status)
		}
		if status, _ := owner.post(fmt.Sprintf("/app/admin/agents/%d/active", e.agentID), url.Values{"active": {"true"}}); status != http.StatusSeeOther {
			t.Errorf("reactivate = %d", status)
		}
		e.login("agent@example.com")
		if status, _ := owner.post(fmt.Sprintf("/app/admin/agents/%d/role", e.agentID), url.Values{"role": {"admin"}}); status != http.StatusSeeOther {
			t.Errorf("role = %d", status)
		}
		if status, _ := owner.post(fmt.Sprintf("/app/admin/agents/%d/role", e.ownerID), url.Values{"role": {"agent"}}); status != http.StatusConflict {
			t.Errorf("demote last owner = %d", status)
		}
		a, _ := e.App.DB.Agent(bg, e.agentID)
		if a.Role != parley.RoleAdmin || !a.Active {
			t.Errorf("agent = %+v", a)
		}
	})
}

func TestForcedPasswordChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		owner := e.login("owner@example.com")
		_, body := owner.post("/app/admin/agents", url.Values{"name": {"Binh Tran"}, "email": {"binh@example.com"}, "role": {"agent"}})
		i := strings.Index(body, `data-testid="generated-password">`)
		if i < 0 {
			t.Fatalf("no password shown: %.300s", body)
		}
		rest := body[i+len(`data-testid="generated-password">`):]
		password := rest[:strings.Index(rest, "<")]
		c := e.anon()
		status, _, h := c.do("POST", "/login", url.Values{"email": {"binh@example.com"}, "password": {password}}, false)
		if status != http.StatusSeeOther || h.Get("Location") != "/app/password" {
			t.Fatalf("first sign-in = %d %s", status, h.Get("Location"))
		}
		if status, _, h := c.do("GET", "/app/", nil, false); status != http.StatusSeeOther || h.Get("Location") != "/app/password" {
			t.Errorf("inbox before the change = %d %s", status, h.Get("Location"))
		}
		_, page := c.get("/app/password")
		c.csrf = csrfRE.FindStringSubmatch(page)[1]
		if !strings.Contains(page, "generated password") {
			t.Error("forced notice missing")
		}
		if status, body := c.post("/app/password", url.Values{"current_password": {password}, "new_password": {"short"}, "confirm_password": {"short"}}); status != 400 || !strings.Contains(body, "at least 10") {
			t.Errorf("short password = %d", status)
		}
		if status, _ := c.post("/app/password", url.Values{"current_password": {"nope nope nope"}, "new_password": {"a new passphrase"}, "confirm_password": {"a new passphrase"}}); status != 400 {
			t.Errorf("wrong current password = %d", status)
		}
		if status, _ := c.post("/app/password", url.Values{"current_password": {password}, "new_password": {"a new passphrase"}, "confirm_password": {"a new passphrase"}}); status != http.StatusSeeOther {
			t.Fatalf("change = %d", status)
		}
		if status, body := c.get("/app/?flash=password"); status != 200 || !strings.Contains(body, "Your password was changed.") {
			t.Errorf("inbox after the change = %d", status)
		}
		if status, _, _ := e.anon().do("POST", "/login", url.Values{"email": {"binh@example.com"}, "password": {"a new passphrase"}}, false); status != http.StatusSeeOther {
			t.Errorf("sign in with the new password = %d", status)
		}
	})
}

// TestXSS: customer text renders escaped, and only http(s) URLs become links.
func TestXSS(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		id := e.incoming("evil", `<img src=x onerror=alert(1)>`, `<img src=x onerror=alert(1)><script>alert(2)</script> javascript:alert(3) see https://example.com/help?a=1&b=2`)
		c := e.login("agent@example.com")
		for _, p := range []string{"/app/", fmt.Sprintf("/app/conversations/%d", id), "/app/?q=see"} {
			_, body := c.get(p)
			for _, bad := range []string{"<img src=x", "<script>alert", `href="javascript:`, "onerror=alert(1)>"} {
				if strings.Contains(body, bad) {
					t.Errorf("%s contains %q", p, bad)
				}
			}
			if !strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt;") {
				t.Errorf("%s: escaped text missing", p)
			}
		}
		_, body := c.get(fmt.Sprintf("/app/conversations/%d", id))
		if !strings.Contains(body, `<a href="https://example.com/help?a=1&amp;b=2" target="_blank" rel="noopener noreferrer nofollow ugc">`) {
			t.Errorf("link missing: %s", body[strings.Index(body, "msg-body"):][:600])
		}
	})
}

func TestAttachmentsAndRetry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		c := e.login("agent@example.com")
		png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("csrf_token", c.csrf)
		mw.WriteField("text", "Here is the screenshot")
		fw, _ := mw.CreateFormFile("files", "shot.png")
		fw.Write(png)
		fw, _ = mw.CreateFormFile("files", "page.html")
		fw.Write([]byte("<html><script>alert(1)</script></html>"))
		mw.Close()
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/app/conversations/%d/reply", e.URL, e.convID), &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("HX-Request", "true")
		resp, err := c.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(out), `<img src="/app/attachments/1"`) || !strings.Contains(string(out), "page.html") {
			t.Fatalf("reply with files = %d %s", resp.StatusCode, out)
		}
		_, _, h := c.do("GET", "/app/attachments/1", nil, false)
		if h.Get("Content-Type") != "image/png" || !strings.HasPrefix(h.Get("Content-Disposition"), "inline") || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("image headers = %v", h)
		}
		_, _, h = c.do("GET", "/app/attachments/2", nil, false)
		if !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("html file headers = %v", h)
		}
		if status, _, _ := e.anon().do("GET", "/app/attachments/1", nil, true); status != http.StatusUnauthorized {
			t.Errorf("signed-out attachment = %d", status)
		}
		// A failed delivery shows its reason and a Retry button.
		ms := e.messages(e.convID)
		out2 := ms[len(ms)-1]
		err = e.App.DB.Write(bg, func(tx *store.Tx) error {
			m, err := tx.Message(out2.ID)
			if err != nil {
				return err
			}
			cv, err := tx.Conversation(m.ConversationID)
			if err != nil {
				return err
			}
			return tx.SetDelivery(&m, cv, parley.DeliveryFailed, "webhook answered 500 Internal Server Error")
		})
		if err != nil {
			t.Fatal(err)
		}
		_, body := c.get(fmt.Sprintf("/app/conversations/%d", e.convID))
		if !strings.Contains(body, `data-testid="retry"`) || !strings.Contains(body, "webhook answered 500") {
			t.Errorf("no retry button")
		}
		if status, _, _ := c.do("POST", fmt.Sprintf("/app/messages/%d/retry", out2.ID), url.Values{}, true); status != 200 {
			t.Errorf("retry = %d", status)
		}
		if status, _, _ := c.do("POST", fmt.Sprintf("/app/messages/%d/retry", ms[0].ID), url.Values{}, true); status != http.StatusConflict {
			t.Errorf("retry of an incoming message = %d", status)
		}
	})
}

func TestMergeUnmergeAndPaging(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		other := e.incoming("cust-2", "Ana on WhatsApp", "Me again from my phone")
		src := e.conversation(other).ContactID
		target := e.conversation(e.convID).ContactID
		c := e.login("agent@example.com")
		_, body, _ := c.do("GET", fmt.Sprintf("/app/contacts/%d/merge-candidates?q=whatsapp&conversation_id=%d", target, e.convID), nil, true)
		if !strings.Contains(body, "Ana on WhatsApp") || !strings.Contains(body, fmt.Sprintf(`name="source_id" value="%d"`, src)) {
			t.Fatalf("candidates: %s", body)
		}
		status, body, _ := c.do("POST", fmt.Sprintf("/app/contacts/%d/merge", target), url.Values{"source_id": {fmt.Sprint(src)}, "conversation_id": {fmt.Sprint(e.convID)}}, true)
		if status != 200 || !strings.Contains(body, `data-testid="unmerge"`) {
			t.Fatalf("merge = %d %.300s", status, body)
		}
		// The timeline now holds both conversations, with a separator each.
		_, body, _ = c.do("GET", fmt.Sprintf("/app/conversations/%d/timeline", e.convID), nil, true)
		if strings.Count(body, `data-testid="separator"`) != 2 || !strings.Contains(body, "Me again from my phone") {
			t.Errorf("merged timeline wrong")
		}
		merges, _ := e.App.DB.ContactMerges(bg, target)
		status, _, _ = c.do("POST", fmt.Sprintf("/app/contacts/%d/unmerge", target), url.Values{"merge_id": {fmt.Sprint(merges[0].ID)}, "conversation_id": {fmt.Sprint(e.convID)}}, true)
		if status != 200 {
			t.Fatalf("unmerge = %d", status)
		}
		_, body, _ = c.do("GET", fmt.Sprintf("/app/conversations/%d/timeline", e.convID), nil, true)
		if strings.Contains(body, "Me again from my phone") {
			t.Error("unmerge left the other conversation in the timeline")
		}
		// Cursor pagination: 30 conversations → 25 and a "Load more".
		for i := 0; i < 28; i++ {
			e.incoming(fmt.Sprintf("bulk-%d", i), fmt.Sprintf("Bulk %02d", i), "hello")
		}
		_, body = c.get("/app/")
		if strings.Count(body, `data-testid="conversation-row"`) != 25 || !strings.Contains(body, `data-testid="load-more"`) {
			t.Fatalf("first page: %d rows", strings.Count(body, `data-testid="conversation-row"`))
		}
		i := strings.Index(body, `hx-get="/app/list?cursor=`)
		next := body[i+len(`hx-get="`):]
		next = strings.ReplaceAll(next[:strings.Index(next, `"`)], "&amp;", "&")
		_, page2, _ := c.do("GET", next, nil, true)
		if n := strings.Count(page2, `data-testid="conversation-row"`); n != 5 || strings.Contains(page2, "load-more") {
			t.Errorf("second page: %d rows", n)
		}
	})
}

func TestPresenceAndCanned(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		since := time.Now().Add(-time.Minute)
		if n, err := e.App.Inbox.AgentsOnline(bg, since); err != nil || n != 0 {
			t.Fatalf("online before = %d, %v", n, err)
		}
		e.login("agent@example.com")
		if n, err := e.App.Inbox.AgentsOnline(bg, since); err != nil || n != 1 {
			t.Errorf("online after sign-in = %d, %v", n, err)
		}
		got := inbox.FillCanned("Hi {{contact.first_name}} ({{contact.name}}, {{contact.email}}) — {{agent.name}} {{x}}",
			parley.Contact{Name: "Ana Pham", Email: "ana@example.com"}, parley.Agent{Name: "Lan"})
		if got != "Hi Ana (Ana Pham, ana@example.com) — Lan {{x}}" {
			t.Errorf("FillCanned = %q", got)
		}
	})
}

// TestEventStream: the SSE endpoint replays from ?after= and needs a session.
func TestEventStream(t *testing.T) {
	e := start(t, "sqlite")
	c := e.login("agent@example.com")
	req, _ := http.NewRequest("GET", e.URL+"/app/events?after=0", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	b := make([]byte, 4096)
	n, _ := io.ReadAtLeast(resp.Body, b, 50)
	if !strings.Contains(string(b[:n]), "event: conversation.created") && !strings.Contains(string(b[:n]), "event: contact.created") {
		t.Errorf("no replay: %q", b[:n])
	}
	anon := e.anon()
	req, _ = http.NewRequest("GET", e.URL+"/app/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp2, err := anon.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusUnauthorized {
		t.Errorf("signed-out events = %d", resp2.StatusCode)
	}
}
