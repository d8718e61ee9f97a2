package api_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// testNotifications: a conversation's reply notices as the API shows
// them, and Retry on a failed one. The sending itself (a real SMTP server
// refusing, then accepting) is tested end to end in the widget package;
// here the notices are recorded directly so every answer can be checked.
func testNotifications(t *testing.T, dialect string) {
	e := start(t, dialect)
	in := e.createInbox(map[string]any{"name": "Support"})
	r := e.say(in.ID, "c-1", "hello")
	var reply parley.Message
	e.call("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", r.ConversationID), map[string]any{"text": "hi"}, 201, &reply)
	failed := store.Notification{ConversationID: r.ConversationID, MessageID: &reply.ID, Channel: "email",
		Recipient: "c***@example.com", Status: store.NotificationFailed, Reason: "the mail server refused the recipient"}
	sent := store.Notification{ConversationID: r.ConversationID, MessageID: &reply.ID, Channel: "email",
		Recipient: "c***@example.com", Status: store.NotificationSent}
	if err := e.App.DB.Write(context.Background(), func(tx *store.Tx) error {
		if err := tx.RecordNotification(&sent); err != nil {
			return err
		}
		return tx.RecordNotification(&failed)
	}); err != nil {
		t.Fatal(err)
	}
	list := fmt.Sprintf("/api/v1/conversations/%d/notifications", r.ConversationID)
	e.run([]scenario{
		{name: "listed, oldest first, with the reason", method: "GET", path: list, status: 200,
			want: []string{`"status":"sent"`, `"status":"failed"`, "the mail server refused the recipient", `"recipient":"c***@example.com"`}},
		{name: "unknown conversation", method: "GET", path: "/api/v1/conversations/424242/notifications", status: 404},
		{name: "bad conversation id", method: "GET", path: "/api/v1/conversations/x/notifications", status: 400},
		{name: "retry an unknown notice", method: "POST", path: "/api/v1/notifications/424242/retry", status: 404},
		{name: "retry a bad id", method: "POST", path: "/api/v1/notifications/-1/retry", status: 400},
		{name: "retry a sent notice", method: "POST", path: fmt.Sprintf("/api/v1/notifications/%d/retry", sent.ID), status: 409,
			want: []string{"not a failed email"}},
		{name: "retry the failed notice", method: "POST", path: fmt.Sprintf("/api/v1/notifications/%d/retry", failed.ID), status: 200,
			want: []string{`"status":"queued"`}, notWant: []string{"refused the recipient"}},
	})
}
