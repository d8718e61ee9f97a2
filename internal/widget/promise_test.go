package widget_test

import (
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
		var c struct {
			ReplyTimeText string `json:"reply_time_text"`
		}
		f.visitor().json("GET", "/config", nil, http.StatusOK, &c)
		if c.ReplyTimeText != tc.want {
			t.Errorf("at %v: %q, want %q", tc.at, c.ReplyTimeText, tc.want)
		}
	}
}
