package widget_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/mail/mailtest"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// awaitJob waits for the notify job of a message and runs it once due:
// it moves the clock past the away time and waits for the outcome.
func (f *fixture) awaitJob(clock *fakeClock, messageID int64) store.Job {
	f.t.Helper()
	ctx := context.Background()
	payload := fmt.Sprintf(`{"message_id":%d}`, messageID)
	find := func() (store.Job, bool) {
		jobs, err := f.env.App.DB.Jobs(ctx, "", 100)
		if err != nil {
			f.t.Fatal(err)
		}
		for _, j := range jobs {
			if j.Kind == inbox.JobWidgetNotify && j.Payload == payload {
				return j, true
			}
		}
		return store.Job{}, false
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		j, ok := find()
		if ok && (j.Status == "done" || j.Status == "failed") {
			return j
		}
		if ok && j.Status == "pending" && j.RunAt.After(clock.Now()) {
			clock.Advance(j.RunAt.Sub(clock.Now()) + time.Second)
			f.env.App.Jobs.Wake()
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("notify job for message %d: found=%v %+v", messageID, ok, j)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (f *fixture) notifications(conversationID int64) []store.Notification {
	f.t.Helper()
	list, err := f.env.App.DB.Notifications(context.Background(), conversationID)
	if err != nil {
		f.t.Fatal(err)
	}
	return list
}

func TestReplyNotifications(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		clock := &fakeClock{}
		f := start(t, dialect, clock.Now, func(in *parley.Inbox) { in.AwayMinutes = 3 })
		ctx := context.Background()
		smtp := mailtest.Start(t, mailtest.Options{})
		setSMTP := func(host string) {
			err := f.env.App.Inbox.SetSMTPSettings(ctx, inbox.System, inbox.SMTPSettings{Host: host, Port: smtp.Port,
				From: "Acme Support <help@acme.test>", Security: "none"})
			if err != nil {
				t.Fatal(err)
			}
		}

		t.Run("away visitor is emailed the reply with a resume link", func(t *testing.T) {
			defer f.use(t)()
			setSMTP("127.0.0.1")
			v := f.newVisitor()
			conv := f.conversationOf(v.say("Do you ship to Norway?"))
			v.json("POST", "/email", map[string]any{"email": "ann@example.com"}, http.StatusOK, nil)
			reply := f.agentSays(conv, "messages", "Yes — we ship to Norway in 3–5 days.")
			if j := f.awaitJob(clock, reply); j.Status != "done" {
				t.Fatalf("job = %+v", j)
			}
			got := smtp.Wait(t, 1)[0]
			if len(got.To) != 1 || got.To[0] != "ann@example.com" || got.From != "help@acme.test" {
				t.Fatalf("envelope %q → %q", got.From, got.To)
			}
			text, html := mailtest.Parts(t, got.Data)
			if !strings.Contains(text, "Yes — we ship to Norway in 3–5 days.") || !strings.Contains(got.Data, "Subject: New reply from Acme Support") {
				t.Fatalf("email:\n%s", got.Data)
			}
			if !strings.Contains(html, "we ship to Norway") {
				t.Fatalf("html part: %s", html)
			}
			link := regexp.MustCompile(`http://\S+/resume\?token=\S+`).FindString(text)
			u, err := url.Parse(link)
			if err != nil || !strings.HasPrefix(link, f.env.URL+fmt.Sprintf("/widget/%d/resume?token=", f.inbox.ID)) {
				t.Fatalf("resume link %q in %s", link, text)
			}
			// The link opens the page, whose script trades the token for a
			// visitor token of the same contact.
			resp, err := http.Get(link)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("resume page: %v %v", resp, err)
			}
			resp.Body.Close()
			back := f.visitor()
			var out struct {
				Token string `json:"visitor_token"`
			}
			back.json("POST", "/resume", map[string]any{"token": u.Query().Get("token")}, http.StatusCreated, &out)
			back.token = out.Token
			if h := back.history(); len(h.Messages) != 2 || h.Messages[1].ID != reply {
				t.Fatalf("resumed history = %+v", h.Messages)
			}
			if n := f.notifications(conv); len(n) != 1 || n[0].Status != store.NotificationSent || n[0].Recipient != "ann@example.com" {
				t.Fatalf("notifications = %+v", n)
			}
		})

		t.Run("without SMTP or address the reply is recorded as not sent", func(t *testing.T) {
			defer f.use(t)()
			setSMTP("")
			v := f.newVisitor()
			conv := f.conversationOf(v.say("Hello?"))
			v.json("POST", "/email", map[string]any{"email": "bo@example.com"}, http.StatusOK, nil)
			reply := f.agentSays(conv, "messages", "Hi Bo!")
			f.awaitJob(clock, reply)
			n := f.notifications(conv)
			if len(n) != 1 || n[0].Status != store.NotificationNotSent || !strings.Contains(n[0].Reason, "SMTP") {
				t.Fatalf("notifications = %+v", n)
			}
			var events struct {
				Events []parley.Event `json:"events"`
			}
			f.env.JSON("GET", "/api/v1/events?after=0&limit=1000", nil, http.StatusOK, &events)
			found := false
			for _, e := range events.Events {
				if e.Type == inbox.EventNotificationEmail && e.ConversationID != nil && *e.ConversationID == conv {
					var d map[string]string
					json.Unmarshal(e.Data, &d)
					found = d["status"] == "not_sent" && d["reason"] != ""
				}
			}
			if !found {
				t.Fatal("no notification.email event for the agents")
			}

			setSMTP("127.0.0.1")
			w := f.newVisitor() // never gave an address
			conv = f.conversationOf(w.say("Quick question"))
			reply = f.agentSays(conv, "messages", "Sure!")
			f.awaitJob(clock, reply)
			if n := f.notifications(conv); len(n) != 1 || n[0].Status != store.NotificationNotSent || !strings.Contains(n[0].Reason, "no email") {
				t.Fatalf("notifications = %+v", n)
			}
		})

		t.Run("a visitor still here is not emailed", func(t *testing.T) {
			defer f.use(t)()
			sent := len(smtp.Messages())
			v := f.newVisitor()
			conv := f.conversationOf(v.say("I'll wait here"))
			v.json("POST", "/email", map[string]any{"email": "cy@example.com"}, http.StatusOK, nil)
			sctx, cancel := context.WithCancel(ctx)
			defer cancel()
			live := v.stream(sctx)
			reply := f.agentSays(conv, "messages", "Here you go")
			// The stream may first carry the visitor's own message, if the
			// hub had not handed it out yet when the stream began.
			for timeout := time.After(5 * time.Second); ; {
				var m wmessage
				select {
				case m = <-live:
				case <-timeout:
					t.Fatal("the reply was never streamed")
				}
				if m.ID == reply {
					break
				}
				if m.Direction != "incoming" {
					t.Fatalf("streamed %+v before the reply", m)
				}
			}
			if j := f.awaitJob(clock, reply); j.Status != "done" {
				t.Fatalf("job = %+v", j)
			}
			if n := f.notifications(conv); len(n) != 0 {
				t.Fatalf("notifications = %+v", n)
			}
			if len(smtp.Messages()) != sent {
				t.Fatal("a present visitor was emailed")
			}
		})
	})
}
