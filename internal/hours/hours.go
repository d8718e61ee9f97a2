// Package hours models business hours — when a team works — and does
// arithmetic in business time: whether an instant is open, when the team
// next opens or closes, the instant by which a duration of business time
// has passed, and how much business time lies between two instants. It is
// pure and depends on the standard library only.
//
// A Schedule's intervals are local wall-clock times on each local date, in
// the schedule's time zone. Across a daylight-saving change a 09:00–17:00
// day is still 09:00–17:00 on the wall clock, so its real length may be an
// hour longer or shorter; all durations here are real elapsed time.
//
// Wall-clock times that do not exist or exist twice (the hour skipped or
// repeated by a daylight-saving change) resolve to the first instant at
// which the local clock on that date reads that time or later:
//
//   - a time in a skipped hour is the moment the clock jumps (02:30 on a
//     spring-forward night at 02:00 is 03:00 in the new offset), so an
//     interval 02:30–05:00 opens at 03:00, and 02:00–03:00 is empty that day;
//   - a time in a repeated hour is its first occurrence (01:30 on a
//     fall-back night at 02:00 is 01:30 in the summer offset), so an
//     interval 00:00–01:30 closes at the first 01:30, and 01:30–03:00 lasts
//     two and a half real hours.
//
// This rule keeps the open periods of the timeline ordered and disjoint,
// and it agrees with the wall clock on every ordinary day.
//
// Schedules that are never open are not an error. The forward searches
// walk day by day and are bounded (see HorizonDays): NextOpen and Add return
// the zero time for a schedule that stays closed that long, which callers
// treat as "no promise". Methods expect a valid schedule
// (see Validate); on an invalid one their results are unspecified, but they
// do not panic or loop forever. A nil Location counts as UTC.
package hours

import (
	"errors"
	"fmt"
	"time"
)

// Interval is an opening period within one local day, in minutes since
// local midnight: 0 <= Start < End <= 1440. End 1440 is the next midnight.
type Interval struct{ Start, End int }

// Schedule is when a team works: a time zone, intervals per weekday
// (several a day, sorted and not overlapping; touching is allowed and
// counts as one stretch), and holidays (whole local dates closed).
type Schedule struct {
	Location *time.Location
	Week     [7][]Interval     // indexed by time.Weekday
	Holidays map[string]string // "2026-12-25" → name
}

// HorizonDays bounds the forward searches, about two years: NextOpen and
// Add give up after this many consecutive closed days, NextClose after an
// open stretch this long.
const HorizonDays = 2*366 + 1

// AlwaysOpen returns a schedule open around the clock in UTC, with no
// holidays: what an inbox without business hours uses.
func AlwaysOpen() Schedule {
	var s Schedule
	s.Location = time.UTC
	for d := range s.Week {
		s.Week[d] = []Interval{{0, 1440}}
	}
	return s
}

// Validate reports the first problem with s: no time zone, an interval out
// of range, empty, out of order or overlapping another, or a holiday that
// is not a YYYY-MM-DD date. Errors name the day and interval.
func (s Schedule) Validate() error {
	if s.Location == nil {
		return errors.New("hours: no time zone")
	}
	for d := range s.Week {
		if err := validateDay(time.Weekday(d), s.Week[d]); err != nil {
			return err
		}
	}
	for date := range s.Holidays {
		if !isDate(date) {
			return fmt.Errorf("hours: holidays[%q]: not a date (want YYYY-MM-DD)", date)
		}
	}
	return nil
}

// validateDay checks one weekday's intervals.
func validateDay(d time.Weekday, ivs []Interval) error {
	for i, iv := range ivs {
		where := func() string { return fmt.Sprintf("hours: week.%s[%d] %q", dayKeys[d], i, formatInterval(iv, "-")) }
		switch {
		case iv.Start < 0 || iv.Start >= 1440:
			return fmt.Errorf("%s: start must be between 00:00 and 23:59", where())
		case iv.End <= 0 || iv.End > 1440:
			return fmt.Errorf("%s: end must be between 00:01 and 24:00", where())
		case iv.Start >= iv.End:
			return fmt.Errorf("%s: start must be before end", where())
		case i > 0 && iv.Start < ivs[i-1].End:
			prev := ivs[i-1]
			if iv.Start < prev.Start {
				return fmt.Errorf("%s: out of order, starts before week.%s[%d] %q", where(), dayKeys[d], i-1, formatInterval(prev, "-"))
			}
			return fmt.Errorf("%s: overlaps week.%s[%d] %q", where(), dayKeys[d], i-1, formatInterval(prev, "-"))
		}
	}
	return nil
}

// isDate reports whether v is a date written YYYY-MM-DD.
func isDate(v string) bool {
	d, err := time.Parse(time.DateOnly, v)
	return err == nil && d.Format(time.DateOnly) == v
}

// IsOpen reports whether the team works at t.
func (s Schedule) IsOpen(t time.Time) bool {
	w := s.walk(t)
	w.last = w.date.AddDate(0, 0, 1)
	for p, ok := w.next(); ok; p, ok = w.next() {
		if p.end.After(t) {
			return !p.start.After(t)
		}
	}
	return false
}

// NextOpen returns t itself when the schedule is open at t, otherwise the
// next instant at which it opens. A schedule that does not open within
// HorizonDays of closed days returns the zero time.
func (s Schedule) NextOpen(t time.Time) time.Time {
	w := s.walk(t)
	w.idleLimit = HorizonDays
	for p, ok := w.next(); ok; p, ok = w.next() {
		if !p.end.After(t) {
			continue
		}
		if !p.start.After(t) {
			return t
		}
		return p.start.In(t.Location())
	}
	return time.Time{}
}

// NextClose returns, for an open t, the instant at which the current open
// stretch ends; periods that touch (12:00–13:00 then 13:00–17:00, or 22:00–24:00
// then 00:00–06:00 the next day) are one stretch. For a closed t it returns
// t itself. A stretch that lasts beyond HorizonDays (AlwaysOpen) returns
// the zero time: it never closes.
func (s Schedule) NextClose(t time.Time) time.Time {
	w := s.walk(t)
	w.last = w.date.AddDate(0, 0, HorizonDays)
	var end time.Time // end of the open stretch holding t, once found
	for p, ok := w.next(); ok; p, ok = w.next() {
		if !p.end.After(t) {
			continue
		}
		if end.IsZero() {
			if p.start.After(t) {
				return t
			}
			end = p.end
			continue
		}
		if p.start.After(end) {
			return end.In(t.Location())
		}
		end = p.end
	}
	if end.IsZero() { // closed through the horizon
		return t
	}
	return time.Time{}
}

// Add returns the instant at which d of business time has passed after t.
// When t is closed, counting starts at NextOpen(t). The result is the
// earliest such instant, so a duration that fills an open period exactly
// ends at the period's close, not at the next opening. d <= 0 returns t
// unchanged, open or closed. The zero time means the schedule stops
// opening (HorizonDays of closed days) before d has passed.
func (s Schedule) Add(t time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return t
	}
	w := s.walk(t)
	w.idleLimit = HorizonDays
	for p, ok := w.next(); ok; p, ok = w.next() {
		if !p.end.After(t) {
			continue
		}
		start := p.start
		if start.Before(t) {
			start = t
		}
		if n := p.end.Sub(start); d > n {
			d -= n
			continue
		}
		return start.Add(d).In(t.Location())
	}
	return time.Time{}
}

// Between returns the business time within [a, b): 0 if b is not after a.
func (s Schedule) Between(a, b time.Time) time.Duration {
	if !a.Before(b) {
		return 0
	}
	w := s.walk(a)
	w.last = s.localDate(b).AddDate(0, 0, 1)
	var sum time.Duration
	for p, ok := w.next(); ok; p, ok = w.next() {
		if !p.start.Before(b) {
			break
		}
		lo, hi := p.start, p.end
		if lo.Before(a) {
			lo = a
		}
		if hi.After(b) {
			hi = b
		}
		if lo.Before(hi) {
			sum += hi.Sub(lo)
		}
	}
	return sum
}
