package api_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// testSurveys: a widget conversation answered and resolved gets a survey
// after the delay; the API lists it without the customer's token.
func testSurveys(t *testing.T, dialect string) {
	e := start(t, dialect)
	in := e.createInbox(map[string]any{"name": "Site", "channel_type": "widget"})
	r, err := e.App.Inbox.Receive(context.Background(), in.ID, inbox.Incoming{
		Contact: store.ContactKey{Kind: parley.IdentityVisitor, ExternalID: "v1"}, Text: "Hi"})
	if err != nil {
		t.Fatal(err)
	}
	conv := fmt.Sprintf("/api/v1/conversations/%d", r.ConversationID)
	e.run([]scenario{{name: "no surveys yet", method: "GET", path: conv + "/surveys", status: 200, want: []string{`{"surveys":[]}`}}})
	e.call("POST", conv+"/messages", map[string]any{"text": "Fixed."}, 201, nil)
	e.call("PATCH", conv, map[string]any{"status": "resolved"}, 200, nil)
	e.advance(10 * time.Minute)
	eventually(t, "the survey", func() bool {
		list, err := e.App.DB.Surveys(context.Background(), r.ConversationID)
		return err == nil && len(list) == 1
	})
	// The "you have an answer" notices of the reply and of the survey are
	// enqueued by a background scan and run by the app's job runner, which
	// records their outcome; let all that happen before checking that
	// refused requests write nothing.
	eventually(t, "the notice jobs, enqueued and run", func() bool {
		jobs, err := e.App.DB.Jobs(context.Background(), "", 100)
		n := 0
		for _, j := range jobs {
			if j.Kind == inbox.JobWidgetNotify {
				n++
			}
			if j.Status == "running" || (j.Status == "pending" && !j.RunAt.After(e.App.DB.Now())) {
				return false // the app's runner writes its outcome as an event
			}
		}
		return err == nil && n == 2
	})
	list, _ := e.App.DB.Surveys(context.Background(), r.ConversationID)
	e.run([]scenario{
		{name: "list", method: "GET", path: conv + "/surveys", status: 200,
			want:    []string{`"status":"sent"`, `"channel":"widget"`, `"ces":null`, `"ask_csat":true`},
			notWant: []string{list[0].Token, `"token"`}},
		{name: "unknown conversation", method: "GET", path: "/api/v1/conversations/999999/surveys", status: 404},
		{name: "no token", method: "GET", path: conv + "/surveys", token: noToken, status: 401},
	})
}
