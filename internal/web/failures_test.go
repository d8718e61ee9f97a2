package web_test

import (
	"errors"
	"fmt"
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

// TestFailuresOnTheTimeline: a reply whose send keeps failing shows
// "Retrying — reason, attempt n of m, next try at …" instead of a bare
// "queued", and a reply whose email notice failed shows the failure, with
// the address masked, and a Retry that queues the notice again.
func TestFailuresOnTheTimeline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		conv := e.incoming("cust-f", "Fay Tran", "Where is my parcel?")
		m, err := e.App.Inbox.Reply(bg, inbox.System, conv, inbox.Outgoing{Text: "Checking now"})
		if err != nil {
			t.Fatal(err)
		}
		// The reply's send failed once and waits an hour for its next try
		// (claimed and failed in one transaction, so no runner takes it),
		// and its email notice failed for good.
		var notice store.Notification
		err = e.App.DB.Write(bg, func(tx *store.Tx) error {
			msg, err := tx.Message(m.ID)
			if err != nil {
				return err
			}
			c, err := tx.Conversation(conv)
			if err != nil {
				return err
			}
			if err := tx.SetDelivery(&msg, c, parley.DeliveryQueued, ""); err != nil {
				return err
			}
			id, err := tx.EnqueueJob(inbox.JobChannelSend, fmt.Sprintf(`{"message_id":%d}`, m.ID), tx.Now().Add(-time.Hour), 8)
			if err != nil {
				return err
			}
			claimed, err := tx.ClaimJobs("failures-test", time.Millisecond, 100)
			if err != nil {
				return err
			}
			for _, j := range claimed {
				if j.ID == id {
					next := tx.Now().Add(time.Hour)
					if _, err := tx.FinishJob(id, "failures-test", errors.New("Twilio is having trouble (HTTP 503)"), &next); err != nil {
						return err
					}
				}
			}
			notice = store.Notification{ConversationID: conv, MessageID: &m.ID, Channel: "email", Recipient: "fay@example.com",
				Status: store.NotificationFailed, Reason: "550 mailbox unavailable"}
			return tx.RecordNotification(&notice)
		})
		if err != nil {
			t.Fatal(err)
		}
		agent := e.login("agent@example.com")
		_, page := agent.get(fmt.Sprintf("/app/conversations/%d", conv))
		for _, want := range []string{"Retrying — Twilio is having trouble (HTTP 503), attempt 1 of 8, next try at",
			"Email notification to f***@example.com failed: 550 mailbox unavailable", `data-testid="notice-retry"`,
			fmt.Sprintf(`/app/notifications/%d/retry`, notice.ID)} {
			if !strings.Contains(page, want) {
				t.Errorf("the conversation page lacks %q", want)
			}
		}
		if strings.Contains(page, "fay@example.com") {
			t.Error("the notice shows the whole address")
		}
		status, body := agent.post(fmt.Sprintf("/app/notifications/%d/retry", notice.ID), url.Values{})
		if status != http.StatusOK && status != http.StatusSeeOther {
			t.Fatalf("retry = %d %.300s", status, body)
		}
		// The notice is queued again, and its job's outcome replaces the
		// failure: Fay never left an address, so it is not sent, and says why.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			list, err := e.App.DB.Notifications(bg, conv)
			if err != nil || len(list) != 1 || (list[0].Status != store.NotificationQueued && list[0].Status != store.NotificationNotSent) {
				t.Fatalf("after retry: %+v %v", list, err)
			}
			if list[0].Status == store.NotificationNotSent && strings.Contains(list[0].Reason, "no email address") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the retried notice never ran: %+v", list)
			}
		}
		// Only a failed notice can be retried.
		if status, _ := agent.post(fmt.Sprintf("/app/notifications/%d/retry", notice.ID), url.Values{}); status != http.StatusConflict {
			t.Fatalf("retrying a notice that did not fail = %d", status)
		}
	})
}

// TestStorageFullPage: the inbox's own forms answer a full database with
// 503 and Retry-After (the same mapping as the API), with a message that
// says what happened and nothing stored.
func TestStorageFullPage(t *testing.T) {
	e := start(t, "sqlite")
	conv := e.incoming("cust-g", "Gia Do", "Hello")
	agent := e.login("agent@example.com")
	pages, err := e.App.DB.PageCount(bg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.DB.LimitPages(bg, pages); err != nil {
		t.Fatal(err)
	}
	before := len(e.messages(conv))
	text := strings.Repeat("The parcel left the warehouse today. ", 1500)
	for i := 0; ; i++ {
		status, body, h := agent.do("POST", fmt.Sprintf("/app/conversations/%d/reply", conv), url.Values{"text": {fmt.Sprint(i, text)}}, true)
		if status < 300 {
			before++
			if i == 30 {
				t.Fatal("the database never filled up")
			}
			continue
		}
		if status != http.StatusServiceUnavailable || h.Get("Retry-After") == "" || !strings.Contains(body, "Storage is full") {
			t.Fatalf("reply into a full database = %d %q (Retry-After %q)", status, body, h.Get("Retry-After"))
		}
		break
	}
	if n := len(e.messages(conv)); n != before {
		t.Fatalf("%d messages after a refused reply, want %d", n, before)
	}
}
