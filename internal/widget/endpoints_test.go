package widget_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/secret"
	"github.com/parleyhq/parley/internal/store/storetest"
)

func TestEndpoints(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f := start(t, dialect, nil, nil)
		ctx := context.Background()

		t.Run("other inbox types are not found", func(t *testing.T) {
			defer f.use(t)()
			api, err := f.env.App.Inbox.CreateInbox(ctx, inbox.System, parley.Inbox{Name: "API", ChannelType: parley.ChannelAPI}, nil)
			if err != nil {
				t.Fatal(err)
			}
			v := f.visitor()
			for _, id := range []int64{api.ID, 999999} {
				v.inboxID = id
				for _, rq := range [][2]string{{"GET", "/config"}, {"POST", "/session"}, {"GET", "/messages"}, {"POST", "/messages"}, {"GET", ""}, {"GET", "/resume"}} {
					if status, body := v.do(rq[0], rq[1], nil); status != http.StatusNotFound {
						t.Errorf("inbox %d: %s %s = %d %s, want 404", id, rq[0], rq[1], status, body)
					}
				}
			}
		})

		t.Run("config", func(t *testing.T) {
			defer f.use(t)()
			var c struct {
				Name, Greeting, ReplyTimeText, EmailAsk string
				AskEmail                                bool `json:"ask_email"`
			}
			f.visitor().json("GET", "/config", nil, http.StatusOK, &c)
			if c.Name != "Acme Support" || c.Greeting != f.inbox.Greeting || !c.AskEmail {
				t.Fatalf("config = %+v", c)
			}
		})

		t.Run("page and loader headers", func(t *testing.T) {
			defer f.use(t)()
			resp, err := http.Get(fmt.Sprintf("%s/widget/%d", f.env.URL, f.inbox.ID))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			csp := resp.Header.Get("Content-Security-Policy")
			if resp.StatusCode != 200 || !strings.HasSuffix(csp, "frame-ancestors "+f.env.URL) || !strings.Contains(csp, "script-src 'self'") ||
				strings.Contains(csp, "unsafe-inline") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Fatalf("page: %d CSP %q", resp.StatusCode, csp)
			}
			resp, err = http.Get(f.env.URL + "/widget.js")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "public, max-age=300" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
				t.Fatalf("loader: %d %v", resp.StatusCode, resp.Header)
			}
		})

		t.Run("writing without a session is refused", func(t *testing.T) {
			defer f.use(t)()
			v := f.visitor()
			if h := v.history(); len(h.Messages) != 0 {
				t.Fatalf("anonymous history = %+v", h)
			}
			if status, _ := v.do("POST", "/messages", map[string]any{"id": "abcdefgh", "text": "hi"}); status != http.StatusUnauthorized {
				t.Fatalf("no token: %d", status)
			}
			v.token = "pv_not-a-real-token"
			if status, _ := v.do("GET", "/messages", nil); status != http.StatusUnauthorized {
				t.Fatalf("malformed token: %d", status)
			}
		})

		a := f.newVisitor()
		first := a.say("Hello, is my order shipped?")
		conv := f.conversationOf(first)

		t.Run("send is idempotent by message id", func(t *testing.T) {
			defer f.use(t)()
			body := map[string]any{"id": "retry-0001", "text": "Sent twice"}
			var one, two struct{ Message wmessage }
			a.json("POST", "/messages", body, http.StatusCreated, &one)
			a.json("POST", "/messages", body, http.StatusOK, &two)
			if one.Message.ID != two.Message.ID {
				t.Fatalf("retry stored a second message: %d, %d", one.Message.ID, two.Message.ID)
			}
		})

		t.Run("bad input writes nothing", func(t *testing.T) {
			defer f.use(t)()
			before := f.countMessages()
			for _, tc := range []struct {
				body any
				want int
			}{
				{`{"id": "abcdefgh", "text": `, 400},
				{`{"id": "abcdefgh", "text": "x", "conversation_id": 1}`, 400},
				{`[1, 2]`, 400},
				{`{"id": "abcdefgh", "text": "x"} {}`, 400},
				{map[string]any{"id": "short", "text": "x"}, 400},
				{map[string]any{"id": "bad id with spaces", "text": "x"}, 400},
				{map[string]any{"id": "abcdefgh", "text": "   "}, 400},
				{map[string]any{"id": "abcdefgh", "text": "x", "attachments": []map[string]string{{"upload_id": strings.Repeat("a", 64)}}}, 404},
				{`{"id": "abcdefgh", "text": "` + strings.Repeat("x", 70<<10) + `"}`, 413},
			} {
				if status, body := a.do("POST", "/messages", tc.body); status != tc.want {
					t.Errorf("%.60v: %d %s, want %d", tc.body, status, body, tc.want)
				}
			}
			req := a.request("POST", "/messages", `{"id":"abcdefgh","text":"x"}`)
			req.Header.Set("Content-Type", "text/plain")
			if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 400 {
				t.Errorf("text/plain body: %v %v", resp.StatusCode, err)
			}
			if after := f.countMessages(); after != before {
				t.Fatalf("messages %d → %d after bad requests", before, after)
			}
		})

		t.Run("notes never reach the visitor", func(t *testing.T) {
			defer f.use(t)()
			sctx, cancel := context.WithCancel(ctx)
			defer cancel()
			live := a.stream(sctx)
			f.agentSays(conv, "notes", "INTERNAL: customer is a VIP")
			reply := f.agentSays(conv, "messages", "Yes, it shipped this morning.")
			deadline := time.After(5 * time.Second)
			for got := false; !got; {
				select {
				case m := <-live:
					if strings.Contains(m.Text, "INTERNAL") {
						t.Fatal("a note was streamed to the visitor")
					}
					got = m.ID == reply
					if got && (m.Direction != "outgoing" || m.Text != "Yes, it shipped this morning.") {
						t.Fatalf("streamed reply = %+v", m)
					}
				case <-deadline:
					t.Fatal("the reply did not arrive on the stream")
				}
			}
			h := a.history()
			for _, m := range h.Messages {
				if strings.Contains(m.Text, "INTERNAL") {
					t.Fatal("a note is in the widget history")
				}
			}
			if last := h.Messages[len(h.Messages)-1]; last.ID != reply || h.SeenID != 0 {
				t.Fatalf("history ends with %+v (seen %d)", last, h.SeenID)
			}
			a.json("POST", "/read", map[string]any{"message_id": reply}, http.StatusOK, nil)
			if h := a.history(); h.SeenID != reply {
				t.Fatalf("seen_id = %d, want %d", h.SeenID, reply)
			}
		})

		t.Run("another visitor sees nothing of it", func(t *testing.T) {
			defer f.use(t)()
			b := f.newVisitor()
			if h := b.history(); len(h.Messages) != 0 {
				t.Fatalf("a fresh visitor sees %+v", h.Messages)
			}
			b.say("I am someone else")
			if h := b.history(); len(h.Messages) != 1 || h.Messages[0].Text != "I am someone else" {
				t.Fatalf("b's history = %+v", h.Messages)
			}
			if status, _ := b.do("POST", "/read", map[string]any{"message_id": first}); status != http.StatusNotFound {
				t.Fatalf("b marked a's message read: %d", status)
			}
			// Reusing a's message id is b's own message, not a duplicate of a's.
			body := map[string]any{"id": "retry-0001", "text": "Mine"}
			var out struct{ Message wmessage }
			b.json("POST", "/messages", body, http.StatusCreated, &out)
			if out.Message.Text != "Mine" {
				t.Fatalf("b got %+v", out.Message)
			}
		})

		t.Run("email", func(t *testing.T) {
			defer f.use(t)()
			if status, _ := a.do("POST", "/email", map[string]any{"email": "not an email"}); status != 400 {
				t.Fatalf("bad email: %d", status)
			}
			a.json("POST", "/email", map[string]any{"email": "Ann@Example.com"}, http.StatusOK, nil)
			if h := a.history(); !h.HasEmail {
				t.Fatal("email not recorded")
			}
			c, _ := f.env.App.DB.Contact(ctx, mustContact(t, f, conv))
			if c.Email != "ann@example.com" {
				t.Fatalf("contact email = %q", c.Email)
			}
			for _, id := range c.Identities {
				if id.Kind == parley.IdentityEmail {
					t.Fatal("an unverified widget email became an identity")
				}
			}
		})

		t.Run("uploads and attachments", func(t *testing.T) {
			defer f.use(t)()
			png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)
			var up struct {
				UploadID string `json:"upload_id"`
			}
			if status, _ := f.visitor().do("POST", "/uploads", png); status != http.StatusUnauthorized {
				t.Fatalf("upload without a session: %d", status)
			}
			a.json("POST", "/uploads", png, http.StatusCreated, &up)
			big := make([]byte, f.env.App.Config.MaxUploadBytes+1)
			if status, _ := a.do("POST", "/uploads", big); status != http.StatusRequestEntityTooLarge {
				t.Fatalf("oversized upload: %d", status)
			}
			var out struct{ Message wmessage }
			a.json("POST", "/messages", map[string]any{"id": "with-file-1", "text": "",
				"attachments": []map[string]string{{"upload_id": up.UploadID, "filename": "shot.png"}}}, http.StatusCreated, &out)
			if len(out.Message.Attachments) != 1 || out.Message.Attachments[0].Filename != "shot.png" {
				t.Fatalf("attachments = %+v", out.Message.Attachments)
			}
			u := f.env.URL + out.Message.Attachments[0].URL
			resp, err := http.Get(u)
			if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Fatalf("attachment: %v %v", resp, err)
			}
			resp.Body.Close()
			resp, _ = http.Get(u[:len(u)-3] + "AAA")
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("tampered signature: %d", resp.StatusCode)
			}
			resp.Body.Close()
			// A host site (or one of its users, from the user hash it is
			// given) cannot sign an attachment URL: issue 11, item 1.
			path, _, _ := strings.Cut(out.Message.Attachments[0].URL, "?")
			payload := fmt.Sprintf("%d-%s", f.inbox.ID, path[strings.LastIndexByte(path, '/')+1:])
			for _, sig := range f.hostForged(inbox.PurposeAttachment, payload) {
				resp, err := http.Get(f.env.URL + path + "?sig=" + url.QueryEscape(sig))
				if err != nil || resp.StatusCode != http.StatusForbidden {
					t.Fatalf("host-forged attachment signature %q: %v %v, want 403", sig, resp, err)
				}
				resp.Body.Close()
			}
		})

		t.Run("identity verification", func(t *testing.T) {
			defer f.use(t)()
			bad := f.userVisitor("user-42")
			bad.hash = strings.Repeat("0", 64)
			before := f.countMessages()
			for _, rq := range [][2]string{{"GET", "/messages"}, {"POST", "/messages"}, {"POST", "/email"}} {
				body := map[string]any{"id": "verified-1", "text": "hi"}
				if rq[1] == "/email" {
					body = map[string]any{"email": "x@example.com"}
				}
				if rq[0] == "GET" {
					body = nil
				}
				if status, _ := bad.do(rq[0], rq[1], body); status != http.StatusForbidden {
					t.Errorf("wrong HMAC: %s %s = %d, want 403", rq[0], rq[1], status)
				}
			}
			if _, err := f.env.App.DB.ContactIDByIdentity(ctx, parley.IdentityUser, f.inbox.ID, "user-42"); parley.ErrorCode(err) != parley.ENOTFOUND {
				t.Fatalf("a refused user was stored: %v", err)
			}
			if f.countMessages() != before {
				t.Fatal("a refused user's message was stored")
			}
			good := f.userVisitor("user-42")
			good.say("Signed in and asking")
			again := f.userVisitor("user-42") // another device: same history
			if h := again.history(); len(h.Messages) != 1 || h.Messages[0].Text != "Signed in and asking" {
				t.Fatalf("verified user's history = %+v", h.Messages)
			}
		})

		t.Run("resume link", func(t *testing.T) {
			defer f.use(t)()
			contactID := mustContact(t, f, conv)
			box := f.env.App.Widget.Box
			tok, err := inbox.ResumeToken(box, f.inbox.ID, contactID, f.env.App.DB.Now().Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			v := f.visitor()
			var out struct {
				Token string `json:"visitor_token"`
			}
			v.json("POST", "/resume", map[string]any{"token": tok}, http.StatusCreated, &out)
			v.token = out.Token
			if h := v.history(); len(h.Messages) == 0 || h.Messages[0].ID != first {
				t.Fatalf("resumed history = %+v", h.Messages)
			}
			expired, _ := inbox.ResumeToken(box, f.inbox.ID, contactID, f.env.App.DB.Now().Add(-time.Minute))
			otherKey, _ := secret.New("a key that is not this Parley's, long enough for secret.New")
			forged, _ := inbox.ResumeToken(otherKey, f.inbox.ID, contactID, f.env.App.DB.Now().Add(time.Hour))
			// A host user whose id names a purpose gets HMAC(identity
			// secret, id) as their hash; with it, or with the identity
			// secret itself, no resume link can be made (issue 11, item 1).
			hostForged := f.hostForged(inbox.PurposeResume, fmt.Sprintf("%d-%d", f.inbox.ID, contactID))
			for _, bad := range append([]string{expired, forged, "", "a.b.c"}, hostForged...) {
				if status, _ := f.visitor().do("POST", "/resume", map[string]any{"token": bad}); status != http.StatusForbidden {
					t.Errorf("resume with %q: %d, want 403", bad, status)
				}
			}
		})

		t.Run("rate limits", func(t *testing.T) {
			defer f.use(t)()
			v := f.newVisitor()
			var last int
			var body []byte
			for i := 0; i < 21; i++ {
				last, body = v.do("POST", "/messages", map[string]any{"id": fmt.Sprintf("flood-%04d", i), "text": "flood"})
			}
			if last != http.StatusTooManyRequests || !strings.Contains(string(body), `"code":"rate_limited"`) {
				t.Fatalf("21st message: %d %s", last, body)
			}
		})
	})
}

func TestIPRateLimit(t *testing.T) {
	f := start(t, "sqlite", nil, nil)
	v := f.visitor()
	for i := 0; i < 60; i++ {
		if status, body := v.do("POST", "/session", nil); status != http.StatusCreated {
			t.Fatalf("request %d: %d %s", i+1, status, body)
		}
	}
	status, body := v.do("POST", "/session", nil)
	if status != http.StatusTooManyRequests || !strings.Contains(string(body), `"rate_limited"`) {
		t.Fatalf("61st write from one address: %d %s", status, body)
	}
	if status, _ := v.do("GET", "/config", nil); status != http.StatusOK {
		t.Fatalf("reads are not limited: %d", status)
	}
}

func mustContact(t *testing.T, f *fixture, conversationID int64) int64 {
	t.Helper()
	c, err := f.env.App.DB.Conversation(context.Background(), conversationID)
	if err != nil {
		t.Fatal(err)
	}
	return c.ContactID
}
