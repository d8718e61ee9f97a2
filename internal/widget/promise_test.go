package widget_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// TestWidgetShowsThePromise: with business hours, the widget says when a
// reply comes before the visitor writes, the same promise an
// acknowledgement would make, in hours and after hours.
func TestWidgetShowsThePromise(t *testing.T) {
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), "We usually reply within 4 hours."},                      // Monday 10:00 in Paris
		{time.Date(2026, 3, 2, 19, 0, 0, 0, time.UTC), "We're away right now. We'll reply by 13:00 tomorrow."}, // Monday 20:00
	} {
		f := start(t, "sqlite", func() time.Time { return tc.at }, func(in *parley.Inbox) {
			in.Routing.Hours = json.RawMessage(`{"time_zone":"Europe/Paris","week":{"mon":["09:00-17:00"],"tue":["09:00-17:00"]}}`)
		})
		f.agentNamed("Maya")
		var c struct {
			ReplyTimeText string `json:"reply_time_text"`
		}
		f.visitor().json("GET", "/config", nil, http.StatusOK, &c)
		if c.ReplyTimeText != tc.want {
			t.Errorf("at %v: %q, want %q", tc.at, c.ReplyTimeText, tc.want)
		}
	}
}

// TestWidgetSpeaksTheVisitorsLanguage: the chat page's language and time
// zone headers make the promise read in the visitor's language and time,
// and they are kept on the contact when the visitor writes.
func TestWidgetSpeaksTheVisitorsLanguage(t *testing.T) {
	at := time.Date(2026, 3, 2, 19, 0, 0, 0, time.UTC) // Monday 20:00 in Paris: after hours
	f := start(t, "sqlite", func() time.Time { return at }, func(in *parley.Inbox) {
		in.Routing.Hours = json.RawMessage(`{"time_zone":"Europe/Paris","week":{"mon":["09:00-17:00"],"tue":["09:00-17:00"]}}`)
	})
	v := f.newVisitor()
	v.extraHeader = http.Header{"X-Parley-Language": {"vi-VN"}, "X-Parley-Time-Zone": {"Asia/Ho_Chi_Minh"}}
	var c struct {
		ReplyTimeText string `json:"reply_time_text"`
	}
	v.json("GET", "/config", nil, http.StatusOK, &c)
	// Tuesday 13:00 in Paris is 19:00 in Ho Chi Minh City, where it is
	// already Tuesday (02:00): "today".
	if c.ReplyTimeText != "Hiện chúng tôi đang ngoài giờ làm việc. Chúng tôi sẽ trả lời trước 19:00 hôm nay." {
		t.Errorf("Vietnamese: %q", c.ReplyTimeText)
	}
	contactOf := func(v interface {
		json(string, string, any, int, any)
	}, id string) parley.Contact {
		var sent struct {
			Message struct {
				ID int64 `json:"id"`
			} `json:"message"`
		}
		v.json("POST", "/messages", map[string]any{"id": id, "text": "Xin chào"}, http.StatusCreated, &sent)
		m, err := f.env.App.DB.Message(context.Background(), sent.Message.ID)
		if err != nil || m.AuthorContactID == nil {
			t.Fatalf("message %d: %v", sent.Message.ID, err)
		}
		ct, err := f.env.App.DB.Contact(context.Background(), *m.AuthorContactID)
		if err != nil {
			t.Fatal(err)
		}
		return ct
	}
	if ct := contactOf(v, "msg-locale-1"); ct.Language != "vi-VN" || ct.TimeZone != "Asia/Ho_Chi_Minh" {
		t.Errorf("contact %+v", ct)
	}
	// Junk in the headers is dropped, not stored.
	w := f.newVisitor()
	w.extraHeader = http.Header{"X-Parley-Language": {"<script>"}, "X-Parley-Time-Zone": {"Mars/Olympus"}}
	if ct := contactOf(w, "msg-locale-2"); ct.Language != "" || ct.TimeZone != "" {
		t.Errorf("junk stored: %+v", ct)
	}
}
