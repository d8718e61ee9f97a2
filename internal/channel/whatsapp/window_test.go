package whatsapp

import (
	"testing"
	"time"
)

func TestWindow(t *testing.T) {
	last := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	closes := last.Add(24 * time.Hour)
	tests := []struct {
		name string
		last time.Time
		now  time.Time
		open bool
	}{
		{"just after the message", last, last, true},
		{"23h59m59s later", last, closes.Add(-time.Second), true},
		{"1ns before 24h", last, closes.Add(-1), true},
		{"exactly 24h", last, closes, false},
		{"25h later", last, closes.Add(time.Hour), false},
		{"never wrote", time.Time{}, last, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := Window(tt.last, tt.now)
			if w.Open != tt.open {
				t.Fatalf("Open = %v, want %v (%+v)", w.Open, tt.open, w)
			}
			if tt.open {
				if !w.ClosesAt.Equal(closes) || w.Needs != "" || w.Reason != "" {
					t.Fatalf("open window %+v", w)
				}
				return
			}
			if w.Needs != "template" || w.Reason == "" {
				t.Fatalf("closed window %+v", w)
			}
		})
	}
}
