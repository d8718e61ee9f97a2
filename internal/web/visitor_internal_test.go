package web

import (
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// TestVisitorName: an anonymous visitor is named after where their
// browser's clock is set, never a hash; a name, email or phone still
// wins, and zones named after no place fall back to the number.
func TestVisitorName(t *testing.T) {
	for _, tc := range []struct {
		c    parley.Contact
		want string
	}{
		{parley.Contact{ID: 7, TimeZone: "Europe/Lisbon"}, "Visitor from Lisbon"},
		{parley.Contact{ID: 7, TimeZone: "Asia/Ho_Chi_Minh"}, "Visitor from Ho Chi Minh"},
		{parley.Contact{ID: 7, TimeZone: "America/Argentina/Buenos_Aires"}, "Visitor from Buenos Aires"},
		{parley.Contact{ID: 7, TimeZone: "UTC"}, "Contact #7"},
		{parley.Contact{ID: 7, TimeZone: "Etc/GMT+3"}, "Contact #7"},
		{parley.Contact{ID: 7, TimeZone: "Europe/Lisbon", Email: "ana@example.com"}, "ana@example.com"},
		{parley.Contact{ID: 7, TimeZone: "Europe/Lisbon", Name: "Ana"}, "Ana"},
	} {
		if got := contactName(tc.c); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.c, got, tc.want)
		}
	}
	now := time.Date(2026, 12, 7, 13, 5, 0, 0, time.UTC)
	if got := localTime(now, "Asia/Ho_Chi_Minh"); got != "20:05 Mon" {
		t.Errorf("local time %q", got)
	}
	if got := localTime(now, "Mars/Base"); got != "" {
		t.Errorf("a bad zone: %q", got)
	}
}
