package hours

import "time"

// span is one open period on the timeline: [start, end).
type span struct{ start, end time.Time }

// walker yields a schedule's open periods in time order, day by day, from
// the local date of an instant. The open periods of local date D lie
// between the first instants of D and D+1, and an instant on local date D
// is never before the first instant of D, so walking from the instant's
// local date misses nothing (periods that end before it are the caller's
// to skip).
type walker struct {
	week     [7][]Interval // copies, so that the Schedule stays on the stack
	holidays map[string]string
	loc      *time.Location
	date     time.Time // UTC midnight naming the local date being walked
	last     time.Time // when not zero, the last local date to walk
	// idleLimit, when above 0, ends the walk after that many consecutive
	// days without an open period.
	idleLimit int
	idle      int
	never     bool // no weekday has an interval: nothing to walk

	loaded   bool
	ivs      []Interval // the intervals of date, nil when it is closed
	i        int        // next interval of ivs
	dayStart time.Time  // first instant of date
	fast     bool       // dayStart reads 00:00 and the offset holds for 24 h
}

// walk starts a walk at the local date of t.
func (s *Schedule) walk(t time.Time) walker {
	w := walker{week: s.Week, holidays: s.Holidays, loc: s.location(), never: true}
	w.date = localDate(t, w.loc)
	for _, ivs := range s.Week {
		if len(ivs) > 0 {
			w.never = false
			break
		}
	}
	return w
}

// next returns the next open period, or false when the walk is over.
func (w *walker) next() (span, bool) {
	if w.never {
		return span{}, false
	}
	for {
		for w.i < len(w.ivs) {
			iv := w.ivs[w.i]
			w.i++
			a, b := w.at(iv.Start), w.at(iv.End)
			if a.Before(b) {
				w.idle = 0
				return span{a, b}, true
			}
		}
		if w.loaded {
			w.date = w.date.Add(24 * time.Hour) // UTC: days are 24 h
		}
		w.loaded = true
		if !w.last.IsZero() && w.date.After(w.last) {
			return span{}, false
		}
		if w.idle++; w.idleLimit > 0 && w.idle > w.idleLimit {
			return span{}, false
		}
		w.load()
	}
}

// load reads the intervals of w.date and where that local day starts.
func (w *walker) load() {
	w.i, w.ivs = 0, w.week[w.date.Weekday()]
	if len(w.ivs) == 0 {
		return
	}
	if len(w.holidays) > 0 && isHoliday(w.holidays, w.date) {
		w.ivs = nil
		return
	}
	// The fast path needs the day to start at 00:00 on the wall clock (not
	// at a jump over midnight) and keep its offset for 24 hours.
	w.dayStart = resolve(w.loc, w.date, 0)
	_, off := w.dayStart.Zone()
	_, end := w.dayStart.ZoneBounds()
	w.fast = w.dayStart.Unix()+int64(off) == w.date.Unix() &&
		(end.IsZero() || end.After(w.dayStart.Add(24*time.Hour)))
}

// at is the instant of a wall-clock time (minutes since midnight) on w.date.
func (w *walker) at(minute int) time.Time {
	if w.fast {
		return w.dayStart.Add(time.Duration(minute) * time.Minute)
	}
	return resolve(w.loc, w.date, minute)
}

// resolve returns the first instant at which the clock in loc reads the
// given wall-clock time (minutes since midnight, 1440 being the next
// midnight) on the local date named by the UTC midnight date, or later: a
// time in a skipped hour is the moment the clock jumps, a time in a
// repeated hour is its first occurrence.
func resolve(loc *time.Location, date time.Time, minute int) time.Time {
	y, m, d := date.Date()
	t := time.Date(y, m, d, 0, minute, 0, 0, loc)
	want := date.Unix() + int64(minute)*60 // the wall-clock reading, as seconds
	_, off := t.Zone()
	got := t.Unix() + int64(off)
	switch {
	case got > want: // skipped, and t is after the jump: the jump is t's zone start
		if start, _ := t.ZoneBounds(); !start.IsZero() {
			return start
		}
	case got < want: // skipped, and t is before the jump: the jump is t's zone end
		if _, end := t.ZoneBounds(); !end.IsZero() {
			return end
		}
	default: // exists; if the clocks went back when t's zone began, it may have occurred before
		start, _ := t.ZoneBounds()
		if start.IsZero() {
			return t
		}
		_, prev := start.Add(-time.Second).Zone()
		if prev <= off {
			return t
		}
		e := time.Unix(want-int64(prev), 0).In(loc)
		if _, eoff := e.Zone(); e.Before(start) && e.Unix()+int64(eoff) == want {
			return e
		}
	}
	return t
}

// localDate returns the UTC midnight naming t's date in loc.
func localDate(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// localDate returns the UTC midnight naming t's date in s's time zone.
func (s *Schedule) localDate(t time.Time) time.Time { return localDate(t, s.location()) }

// location is s.Location, or UTC when it is not set.
func (s *Schedule) location() *time.Location {
	if s.Location == nil {
		return time.UTC
	}
	return s.Location
}

// isHoliday reports whether the date named by a UTC midnight is a holiday.
func isHoliday(holidays map[string]string, date time.Time) bool {
	y, m, d := date.Date()
	if y < 0 || y > 9999 {
		return false
	}
	var k [10]byte
	k[0], k[1], k[2], k[3] = byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10)
	k[4], k[5], k[6] = '-', byte('0'+m/10), byte('0'+m%10)
	k[7], k[8], k[9] = '-', byte('0'+d/10), byte('0'+d%10)
	_, ok := holidays[string(k[:])]
	return ok
}
