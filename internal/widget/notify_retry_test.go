package widget_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/mail/mailtest"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestFailedNotificationRetry: an email notice the mail server refuses is
// shown with its reason in the conversation's notifications (not only in
// the events); once the mail settings are fixed, Retry sends it and the
// sent outcome replaces the failure. Retrying one that has not failed
// answers 409 and changes nothing.
func TestFailedNotificationRetry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		clock := &fakeClock{}
		f := start(t, dialect, clock.Now, func(in *parley.Inbox) { in.AwayMinutes = 3 })
		ctx := context.Background()
		refusing := mailtest.Start(t, mailtest.Options{RejectRcpt: "dan@example.com"})
		working := mailtest.Start(t, mailtest.Options{})
		setSMTP := func(port int) {
			if err := f.env.App.Inbox.SetSMTPSettings(ctx, inbox.System, inbox.SMTPSettings{Host: "127.0.0.1", Port: port,
				From: "Acme Support <help@acme.test>", Security: "none"}); err != nil {
				t.Fatal(err)
			}
		}
		setSMTP(refusing.Port)
		v := f.newVisitor()
		conv := f.conversationOf(v.say("Can I change my order?"))
		v.json("POST", "/email", map[string]any{"email": "dan@example.com"}, http.StatusOK, nil)
		reply := f.agentSays(conv, "messages", "Yes, until it ships.")
		if j := f.awaitJob(clock, reply); j.Status != "failed" {
			t.Fatalf("job = %+v", j)
		}
		var list struct{ Notifications []store.Notification }
		f.env.JSON("GET", fmt.Sprintf("/api/v1/conversations/%d/notifications", conv), nil, http.StatusOK, &list)
		if len(list.Notifications) != 1 || list.Notifications[0].Status != store.NotificationFailed ||
			!strings.Contains(list.Notifications[0].Reason, "550") || list.Notifications[0].Recipient != "dan@example.com" {
			t.Fatalf("notifications = %+v", list.Notifications)
		}
		failed := list.Notifications[0]

		setSMTP(working.Port)
		var queued store.Notification
		f.env.JSON("POST", fmt.Sprintf("/api/v1/notifications/%d/retry", failed.ID), nil, http.StatusOK, &queued)
		if queued.ID != failed.ID || queued.Status != store.NotificationQueued || queued.Reason != "" {
			t.Fatalf("retried = %+v", queued)
		}
		// Generous deadlines: this runs beside other suites on loaded machines.
		for deadline := time.Now().Add(30 * time.Second); len(working.Messages()) == 0; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the retried notice was never sent: %+v", f.notifications(conv))
			}
		}
		got := working.Messages()[0]
		if len(got.To) != 1 || got.To[0] != "dan@example.com" || !strings.Contains(got.Data, "until it ships") {
			t.Fatalf("sent %q: %s", got.To, got.Data)
		}
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			n := f.notifications(conv)
			if len(n) == 1 && n[0].Status == store.NotificationSent && n[0].Reason == "" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after the retry: %+v", n)
			}
		}
		// Sent now: nothing to retry, and nothing changes.
		status, _ := f.env.Do("POST", fmt.Sprintf("/api/v1/notifications/%d/retry", failed.ID), nil, true)
		if status != http.StatusConflict {
			t.Fatalf("retrying a sent notification = %d", status)
		}
		if n := f.notifications(conv); len(n) != 1 || n[0].Status != store.NotificationSent {
			t.Fatalf("a refused retry changed %+v", n)
		}
		if len(working.Messages()) != 1 {
			t.Fatalf("sent %d emails", len(working.Messages()))
		}
	})
}
