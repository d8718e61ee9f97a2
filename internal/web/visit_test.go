package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestVisitInContactPanel: a widget visitor's message carries where they
// were (the page, the trail, the host page's attributes) and their
// browser; the agent sees it in the contact panel, escaped, with the
// visitor named after their time zone.
func TestVisitInContactPanel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		w, err := e.App.Inbox.CreateInbox(bg, inbox.System, parley.Inbox{Name: "Website", ChannelType: parley.ChannelWidget, AllowedOrigins: []string{"*"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		call := func(path, token string, body any) []byte {
			b, _ := json.Marshal(body)
			req, _ := http.NewRequest("POST", fmt.Sprintf("%s/widget/%d%s", e.URL, w.ID, path), bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
			req.Header.Set("X-Parley-Time-Zone", "Europe/Lisbon")
			if token != "" {
				req.Header.Set("Authorization", "Visitor "+token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			out, _ := io.ReadAll(resp.Body)
			if resp.StatusCode >= 300 {
				t.Fatalf("%s = %d %s", path, resp.StatusCode, out)
			}
			return out
		}
		var session struct {
			Token string `json:"visitor_token"`
		}
		json.Unmarshal(call("/session", "", nil), &session)
		visit := map[string]any{"page": map[string]any{"url": "https://shop.example/checkout?coupon=SECRET", "title": "Checkout <script>"},
			"trail":      []any{map[string]any{"url": "https://shop.example/", "title": "Home"}, map[string]any{"url": "https://shop.example/checkout", "title": "Checkout"}},
			"attributes": map[string]any{"plan": "pro"}}
		var sent struct {
			Message struct{ ID int64 } `json:"message"`
		}
		json.Unmarshal(call("/messages", session.Token, map[string]any{"id": "visit-00000001", "text": "The coupon does not apply", "visit": visit}), &sent)
		m, err := e.App.DB.Message(bg, sent.Message.ID)
		if err != nil {
			t.Fatal(err)
		}
		c := e.login("agent@example.com")
		_, page, _ := c.do("GET", fmt.Sprintf("/app/conversations/%d", m.ConversationID), nil, false)
		for _, want := range []string{`data-testid="visit"`, `href="https://shop.example/checkout"`, "Checkout &lt;script&gt;", "Chrome 131 on Windows · desktop",
			`data-testid="visit-trail"`, "<dt>plan</dt><dd>pro</dd>", "Visitor from Lisbon"} {
			if !strings.Contains(page, want) {
				t.Errorf("the conversation page lacks %q", want)
			}
		}
		if strings.Contains(page, "SECRET") {
			t.Error("the page's query string reached the agent")
		}
	})
}
