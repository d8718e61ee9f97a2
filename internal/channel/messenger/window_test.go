package messenger

import (
	"testing"
	"time"
)

func TestWindow(t *testing.T) {
	last := time.Date(2026, 11, 1, 8, 30, 0, 0, time.UTC)
	day := last.Add(24 * time.Hour)
	week := last.Add(7 * 24 * time.Hour)
	tests := []struct {
		name       string
		last, now  time.Time
		humanAgent bool
		open       bool
		needs      string
	}{
		{"right after", last, last, false, true, ""},
		{"1ns before 24h", last, day.Add(-1), false, true, ""},
		{"exactly 24h, with permission", last, day, true, false, NeedsHumanAgent},
		{"exactly 24h, without permission", last, day, false, false, ""},
		{"3 days, with permission", last, last.Add(72 * time.Hour), true, false, NeedsHumanAgent},
		{"1ns before 7 days, with permission", last, week.Add(-1), true, false, NeedsHumanAgent},
		{"exactly 7 days, with permission", last, week, true, false, ""},
		{"30 days", last, last.Add(30 * 24 * time.Hour), true, false, ""},
		{"never wrote", time.Time{}, last, true, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := Window(tt.last, tt.now, tt.humanAgent)
			if w.Open != tt.open || w.Needs != tt.needs {
				t.Fatalf("got %+v, want open=%v needs=%q", w, tt.open, tt.needs)
			}
			if tt.open && (!w.ClosesAt.Equal(day) || w.Reason != "") {
				t.Fatalf("open window %+v", w)
			}
			if !tt.open && w.Reason == "" {
				t.Fatalf("closed window without a reason: %+v", w)
			}
		})
	}
}
