package zalo

import (
	"testing"
	"time"
)

func TestWindow(t *testing.T) {
	last := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	closesAt := last.Add(7 * 24 * time.Hour)
	const closedReason = "Zalo allows customer-service messages only within 7 days of the customer's last interaction"
	tests := []struct {
		name   string
		last   time.Time
		now    time.Time
		open   bool
		billed bool
	}{
		{"just now", last, last, true, false},
		{"clock skew: interaction in the future", last, last.Add(-time.Minute), true, false},
		{"one hour", last, last.Add(time.Hour), true, false},
		{"48h minus 1ns", last, last.Add(48*time.Hour - 1), true, false},
		{"exactly 48h", last, last.Add(48 * time.Hour), true, true},
		{"3 days", last, last.Add(72 * time.Hour), true, true},
		{"7d minus 1ns", last, last.Add(7*24*time.Hour - 1), true, true},
		{"exactly 7d", last, last.Add(7 * 24 * time.Hour), false, false},
		{"30 days", last, last.Add(30 * 24 * time.Hour), false, false},
		{"never interacted", time.Time{}, last, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := Window(tc.last, tc.now)
			if w.Open != tc.open {
				t.Fatalf("Open = %v, want %v (%+v)", w.Open, tc.open, w)
			}
			if w.Needs != "" {
				t.Errorf("Needs = %q, want empty: Zalo has no template/tag escape for CS messages", w.Needs)
			}
			switch {
			case !tc.open:
				if w.Reason != closedReason {
					t.Errorf("Reason = %q", w.Reason)
				}
				if !w.ClosesAt.IsZero() {
					t.Errorf("ClosesAt = %v on a closed window", w.ClosesAt)
				}
			case tc.billed:
				if w.Reason == "" || !w.ClosesAt.Equal(closesAt) {
					t.Errorf("billed window: %+v", w)
				}
			default:
				if w.Reason != "" || !w.ClosesAt.Equal(closesAt) {
					t.Errorf("free window: %+v", w)
				}
			}
		})
	}
}
