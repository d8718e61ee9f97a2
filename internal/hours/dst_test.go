package hours_test

import (
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/hours"
)

// Daylight-saving changes in 2026 (UTC instant, local effect):
//
//	Europe/Paris        2026-03-29 01:00Z  02:00 CET  → 03:00 CEST (skip)
//	Europe/Paris        2026-10-25 01:00Z  03:00 CEST → 02:00 CET  (repeat 02:00–03:00)
//	America/New_York    2026-03-08 07:00Z  02:00 EST  → 03:00 EDT  (skip)
//	America/New_York    2026-11-01 06:00Z  02:00 EDT  → 01:00 EST  (repeat 01:00–02:00)
//	Australia/Sydney    2026-10-03 16:00Z  02:00 AEST → 03:00 AEDT (skip, on Sunday 10-04)
//	Australia/Lord_Howe 2026-04-04 15:00Z  02:00 +11  → 01:30 +1030 (repeat half an hour)
//	America/Santiago    2026-04-05 03:00Z  Sat 24:00 -03 → Sat 23:00 -04 (repeat 23:00–24:00)
//	America/Santiago    2026-09-06 04:00Z  Sat 24:00 -04 → Sun 01:00 -03 (skip midnight)

// TestDSTPeriods checks where one daily interval opens and closes on the
// day of a change: real elapsed time, skipped times at the jump, repeated
// times at their first occurrence.
func TestDSTPeriods(t *testing.T) {
	tests := []struct {
		name        string
		zone        string
		iv          hours.Interval
		open, close string // UTC; the interval on the day of the change
		length      time.Duration
	}{
		// Paris, spring forward.
		{"paris spring: 01:00-04:00 spans the gap", "Europe/Paris", HM(1, 0, 4, 0), "2026-03-29T00:00:00Z", "2026-03-29T02:00:00Z", 2 * time.Hour},
		{"paris spring: start in the gap opens at the jump", "Europe/Paris", HM(2, 30, 5, 0), "2026-03-29T01:00:00Z", "2026-03-29T03:00:00Z", 2 * time.Hour},
		{"paris spring: end in the gap closes at the jump", "Europe/Paris", HM(0, 0, 2, 30), "2026-03-28T23:00:00Z", "2026-03-29T01:00:00Z", 2 * time.Hour},
		{"paris spring: 09:00-17:00 is unchanged", "Europe/Paris", HM(9, 0, 17, 0), "2026-03-29T07:00:00Z", "2026-03-29T15:00:00Z", 8 * time.Hour},
		// Paris, fall back.
		{"paris fall: 01:00-04:00 spans the repeat", "Europe/Paris", HM(1, 0, 4, 0), "2026-10-24T23:00:00Z", "2026-10-25T03:00:00Z", 4 * time.Hour},
		{"paris fall: start in the repeat is the first one", "Europe/Paris", HM(2, 30, 5, 0), "2026-10-25T00:30:00Z", "2026-10-25T04:00:00Z", 3*time.Hour + 30*time.Minute},
		{"paris fall: end in the repeat is the first one", "Europe/Paris", HM(0, 0, 2, 30), "2026-10-24T22:00:00Z", "2026-10-25T00:30:00Z", 2*time.Hour + 30*time.Minute},
		// New York, spring forward (the gap is 02:00-03:00 local, 07:00Z).
		{"new york spring: 01:00-04:00", "America/New_York", HM(1, 0, 4, 0), "2026-03-08T06:00:00Z", "2026-03-08T08:00:00Z", 2 * time.Hour},
		{"new york spring: start in the gap", "America/New_York", HM(2, 30, 4, 0), "2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z", time.Hour},
		{"new york spring: end in the gap", "America/New_York", HM(0, 0, 2, 30), "2026-03-08T05:00:00Z", "2026-03-08T07:00:00Z", 2 * time.Hour},
		// New York, fall back (01:00-02:00 local happens twice).
		{"new york fall: 01:00-04:00", "America/New_York", HM(1, 0, 4, 0), "2026-11-01T05:00:00Z", "2026-11-01T09:00:00Z", 4 * time.Hour},
		{"new york fall: start in the repeat", "America/New_York", HM(1, 30, 3, 0), "2026-11-01T05:30:00Z", "2026-11-01T08:00:00Z", 2*time.Hour + 30*time.Minute},
		{"new york fall: end in the repeat", "America/New_York", HM(0, 0, 1, 30), "2026-11-01T04:00:00Z", "2026-11-01T05:30:00Z", time.Hour + 30*time.Minute},
		// Southern hemisphere and half-hour changes.
		{"sydney spring: 01:00-04:00", "Australia/Sydney", HM(1, 0, 4, 0), "2026-10-03T15:00:00Z", "2026-10-03T17:00:00Z", 2 * time.Hour},
		{"lord howe fall: half an hour repeats", "Australia/Lord_Howe", HM(1, 0, 3, 0), "2026-04-04T14:00:00Z", "2026-04-04T16:30:00Z", 2*time.Hour + 30*time.Minute},
		// Santiago changes at midnight.
		{"santiago fall: 22:00-24:00 lasts three hours", "America/Santiago", HM(22, 0, 24, 0), "2026-04-05T01:00:00Z", "2026-04-05T04:00:00Z", 3 * time.Hour},
		{"santiago spring: 22:00-24:00 closes at the jump", "America/Santiago", HM(22, 0, 24, 0), "2026-09-06T02:00:00Z", "2026-09-06T04:00:00Z", 2 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Daily(MustLoc(t, tt.zone), tt.iv)
			open, close := UTC(t, tt.open), UTC(t, tt.close)
			if close.Sub(open) != tt.length {
				t.Fatalf("bad case: %v to %v is not %v", open, close, tt.length)
			}
			checkPeriod(t, s, open, close)
		})
	}
}

// checkPeriod checks that [open, close) is one whole open period of s,
// with at least an hour closed on either side.
func checkPeriod(t *testing.T, s hours.Schedule, open, close time.Time) {
	t.Helper()
	ns := time.Nanosecond
	for _, c := range []struct {
		at   time.Time
		want bool
	}{{open.Add(-ns), false}, {open, true}, {close.Add(-ns), true}, {close, false}} {
		if got := s.IsOpen(c.at); got != c.want {
			t.Errorf("IsOpen(%v) = %v, want %v", c.at, got, c.want)
		}
	}
	if got := s.NextOpen(open.Add(-time.Hour)); !got.Equal(open) {
		t.Errorf("NextOpen(an hour before) = %v, want %v", got, open)
	}
	if got := s.NextClose(open); !got.Equal(close) {
		t.Errorf("NextClose(open) = %v, want %v", got, close)
	}
	length := close.Sub(open)
	if got := s.Between(open.Add(-time.Hour), close.Add(time.Hour)); got != length {
		t.Errorf("Between around the period = %v, want %v", got, length)
	}
	if got := s.Add(open, length); !got.Equal(close) {
		t.Errorf("Add(open, %v) = %v, want %v", length, got, close)
	}
}

// An interval wholly inside a skipped hour is empty that day.
func TestDSTIntervalInGap(t *testing.T) {
	for _, iv := range []hours.Interval{HM(2, 0, 3, 0), HM(2, 15, 2, 45)} {
		s := Daily(MustLoc(t, "Europe/Paris"), iv)
		day, next := UTC(t, "2026-03-28T23:00:00Z"), UTC(t, "2026-03-29T22:00:00Z") // Sunday 00:00 CET to Monday 00:00 CEST
		if got := s.Between(day, next); got != 0 {
			t.Errorf("%v: Between over the spring-forward day = %v, want 0", iv, got)
		}
		want := UTC(t, "2026-03-30T00:00:00Z").Add(time.Duration(iv.Start-120) * time.Minute) // Monday, CEST
		if got := s.NextOpen(day); !got.Equal(want) {
			t.Errorf("%v: NextOpen = %v, want %v (the next day)", iv, got, want)
		}
	}
}

// In the repeated hour, the first occurrence is inside an interval that ends
// there; the second is not.
func TestDSTRepeatedHourIsOpenOnce(t *testing.T) {
	s := Daily(MustLoc(t, "America/New_York"), HM(0, 0, 1, 30))
	for _, c := range []struct {
		at   string
		want bool
	}{
		{"2026-11-01T05:15:00Z", true},  // 01:15 EDT
		{"2026-11-01T06:15:00Z", false}, // 01:15 EST, the clock's second pass
	} {
		if got := s.IsOpen(UTC(t, c.at)); got != c.want {
			t.Errorf("IsOpen(%s) = %v, want %v", c.at, got, c.want)
		}
	}
}

// Overnight coverage built from 22:00-24:00 and 00:00-06:00 is one stretch,
// real elapsed time across the change.
func TestDSTOvernight(t *testing.T) {
	tests := []struct {
		zone        string
		open, close string // UTC: Saturday 22:00 to Sunday 06:00 local
		length      time.Duration
	}{
		{"Europe/Paris", "2026-03-28T21:00:00Z", "2026-03-29T04:00:00Z", 7 * time.Hour},
		{"Europe/Paris", "2026-10-24T20:00:00Z", "2026-10-25T05:00:00Z", 9 * time.Hour},
		{"America/New_York", "2026-03-08T03:00:00Z", "2026-03-08T10:00:00Z", 7 * time.Hour},
		{"America/New_York", "2026-11-01T02:00:00Z", "2026-11-01T11:00:00Z", 9 * time.Hour},
		{"America/Santiago", "2026-04-05T01:00:00Z", "2026-04-05T10:00:00Z", 9 * time.Hour},
		{"America/Santiago", "2026-09-06T02:00:00Z", "2026-09-06T09:00:00Z", 7 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.zone+" "+tt.open, func(t *testing.T) {
			s := hours.Schedule{Location: MustLoc(t, tt.zone)}
			s.Week[time.Saturday] = []hours.Interval{HM(22, 0, 24, 0)}
			s.Week[time.Sunday] = []hours.Interval{HM(0, 0, 6, 0)}
			open, close := UTC(t, tt.open), UTC(t, tt.close)
			if close.Sub(open) != tt.length {
				t.Fatalf("bad case: %v to %v is not %v", open, close, tt.length)
			}
			checkPeriod(t, s, open, close)
			if got := s.NextClose(open.Add(90 * time.Minute)); !got.Equal(close) {
				t.Errorf("NextClose before midnight = %v, want %v", got, close)
			}
			// A minute more than the night continues the next Saturday.
			o := open.In(s.Location)
			want := time.Date(o.Year(), o.Month(), o.Day()+7, 22, 1, 0, 0, s.Location)
			if got := s.Add(open, tt.length+time.Minute); !got.Equal(want) {
				t.Errorf("Add(open, night + 1m) = %v, want %v", got, want)
			}
		})
	}
}

// A 09:00-17:00 week over a change: days stay 09:00-17:00 local.
func TestDSTWorkingWeek(t *testing.T) {
	paris := MustLoc(t, "Europe/Paris")
	s := Weekdays(paris, HM(9, 0, 17, 0))
	// Friday 16:00 CET + 2 h = Monday 10:00 CEST.
	if got, want := s.Add(UTC(t, "2026-03-27T15:00:00Z"), 2*time.Hour), UTC(t, "2026-03-30T08:00:00Z"); !got.Equal(want) {
		t.Errorf("Add over the spring change = %v, want %v", got, want)
	}
	// Friday 16:00 CEST + 2 h = Monday 10:00 CET.
	if got, want := s.Add(UTC(t, "2026-10-23T14:00:00Z"), 2*time.Hour), UTC(t, "2026-10-26T09:00:00Z"); !got.Equal(want) {
		t.Errorf("Add over the fall change = %v, want %v", got, want)
	}
	ny := MustLoc(t, "America/New_York")
	// The whole week around each change is 40 hours.
	for _, c := range []struct {
		loc  *time.Location
		from string
	}{{paris, "2026-03-23 00:00"}, {paris, "2026-10-19 00:00"}, {ny, "2026-03-02 00:00"}, {ny, "2026-10-26 00:00"}} {
		from := Local(t, c.loc, c.from)
		to := from.AddDate(0, 0, 14)
		if got := Weekdays(c.loc, HM(9, 0, 17, 0)).Between(from, to); got != 80*time.Hour {
			t.Errorf("%s two weeks from %s = %v, want 80h", c.loc, c.from, got)
		}
	}
}
