package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestWebhookGuarded: a Parley with no outbound allow-list does not post
// a webhook to a loopback address, fails the message at once with a
// reason in plain words (not the raw dial error), and delivers it on
// Retry once an admin allows the address. A webhook that redirects is
// not followed.
func TestWebhookGuarded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		c := &testClock{}
		e := &env{Env: apptest.StartWith(t, dialect, c.now, func(cfg *config.Config) { cfg.OutboundAllow = "" }), t: t, clock: c}
		hook := newHookServer(t)
		in := e.createInbox(map[string]any{"name": "Hooked", "webhook_url": hook.URL + "/parley"})
		r := e.say(in.ID, "c-1", "hello")
		base := fmt.Sprintf("/api/v1/conversations/%d", r.ConversationID)

		var reply parley.Message
		e.call("POST", base+"/messages", map[string]any{"text": "to a loopback webhook"}, 201, &reply)
		failed := e.waitDelivery(r.ConversationID, reply.ID, parley.DeliveryFailed)
		if !strings.Contains(failed.DeliveryError, "is a loopback address") || !strings.Contains(failed.DeliveryError, "which Parley does not call unless an admin allows it") {
			t.Fatalf("delivery_error = %q, want the refusal in plain words", failed.DeliveryError)
		}
		for _, leak := range []string{"dial", "connect:", "refused", "tcp"} {
			if strings.Contains(failed.DeliveryError, leak) {
				t.Errorf("delivery_error = %q carries %q", failed.DeliveryError, leak)
			}
		}
		if n := len(hook.requests()); n != 0 {
			t.Fatalf("the webhook got %d requests", n)
		}
		jobs := e.waitJobs("failed", 1)
		if strings.Contains(jobs[0].LastError, "dial") {
			t.Errorf("job last_error = %q carries the raw dial error", jobs[0].LastError)
		}

		// An admin allows loopback; Retry delivers.
		if err := e.App.Inbox.SetOutboundAllow(context.Background(), inbox.System, "127.0.0.1"); err != nil {
			t.Fatal(err)
		}
		e.call("POST", fmt.Sprintf("/api/v1/messages/%d/retry", reply.ID), nil, 200, nil)
		e.waitDelivery(r.ConversationID, reply.ID, parley.DeliverySent)
		if d := hook.forMessage(t, reply.ID); len(d) != 1 {
			t.Fatalf("the webhook got the message %d times, want 1", len(d))
		}

		// A redirect is not followed: the message fails, saying so.
		redirect := httptest.NewServer(http.RedirectHandler(hook.URL+"/elsewhere", http.StatusTemporaryRedirect))
		defer redirect.Close()
		moved := e.createInbox(map[string]any{"name": "Moved", "webhook_url": redirect.URL})
		r2 := e.say(moved.ID, "c-2", "hello")
		var reply2 parley.Message
		e.call("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", r2.ConversationID), map[string]any{"text": "to a redirect"}, 201, &reply2)
		failed = e.waitDelivery(r2.ConversationID, reply2.ID, parley.DeliveryFailed)
		if !strings.Contains(failed.DeliveryError, "redirect, which Parley does not follow") {
			t.Fatalf("delivery_error = %q, want the redirect named", failed.DeliveryError)
		}
		for _, req := range hook.requests() {
			if req.path == "/elsewhere" {
				t.Fatal("the redirect was followed")
			}
		}
	})
}
