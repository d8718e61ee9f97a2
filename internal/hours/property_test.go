package hours_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/hours"
)

// The property test compares the package with a slow reference built
// straight from the rule in the package comment — an interval boundary is
// the first instant at which the local clock on that date reads that time or
// later — found by scanning instants, over random schedules (several
// intervals a day, overnight pairs, whole days, holidays) and random
// instants near each zone's 2026 offset changes. The seed is fixed.

// propertyZones have every UTC offset and offset change on a 15-minute grid,
// which the reference scans.
var propertyZones = []string{
	"UTC", "Europe/Paris", "America/New_York", "America/Los_Angeles",
	"Australia/Sydney", "Australia/Lord_Howe", "America/Santiago",
	"Asia/Kolkata", "Asia/Kathmandu", "Asia/Ho_Chi_Minh", "Pacific/Chatham",
}

func TestProperties(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 200
	}
	r := rand.New(rand.NewPCG(20260329, 1))
	type zone struct {
		loc     *time.Location
		changes []time.Time // offset changes in 2026
	}
	var zones []zone
	for _, name := range propertyZones {
		z := zone{loc: MustLoc(t, name)}
		for at := time.Date(2026, 1, 1, 0, 0, 0, 0, z.loc); ; {
			_, end := at.ZoneBounds()
			if end.IsZero() || end.Year() > 2026 {
				break
			}
			z.changes = append(z.changes, end)
			at = end
		}
		zones = append(zones, z)
	}
	for i := range n {
		z := zones[r.IntN(len(zones))]
		anchor := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour))))
		if len(z.changes) > 0 && r.IntN(4) > 0 {
			anchor = z.changes[r.IntN(len(z.changes))]
		}
		a := anchor.Add(time.Duration(r.Int64N(int64(6*24*time.Hour))) - 3*24*time.Hour)
		switch r.IntN(3) { // on the grid, on the second, or anywhere
		case 0:
			a = a.Truncate(15 * time.Minute)
		case 1:
			a = a.Truncate(time.Second)
		}
		b := a.Add(time.Duration(r.Int64N(int64(5 * 24 * time.Hour))))
		s := randomSchedule(r, z.loc, a)
		if err := s.Validate(); err != nil {
			t.Fatalf("sample %d: random schedule: %v", i, err)
		}
		known := b.AddDate(0, 0, 9) // the reference lists every period that starts before this
		ref := referencePeriods(s, a.AddDate(0, 0, -2), known.AddDate(0, 0, 1))
		checkProperties(t, i, s, ref, known, a, b, r)
	}
}

// randomSchedule draws a schedule in loc, with holidays near at.
func randomSchedule(r *rand.Rand, loc *time.Location, at time.Time) hours.Schedule {
	s := hours.Schedule{Location: loc}
	for d := range s.Week {
		switch r.IntN(8) {
		case 0: // closed
			continue
		case 1:
			s.Week[d] = []hours.Interval{{0, 1440}}
			continue
		}
		var pts []int // boundaries in quarter hours, favouring the hours DST changes touch
		for range 2 * (1 + r.IntN(3)) {
			switch r.IntN(3) {
			case 0:
				pts = append(pts, r.IntN(97))
			case 1:
				pts = append(pts, r.IntN(17)) // 00:00–04:00
			default:
				pts = append(pts, 88+r.IntN(9)) // 22:00–24:00
			}
		}
		slices.Sort(pts)
		for j := 0; j < len(pts); j += 2 {
			if pts[j] < pts[j+1] {
				s.Week[d] = append(s.Week[d], hours.Interval{Start: pts[j] * 15, End: pts[j+1] * 15})
			}
		}
	}
	if r.IntN(2) == 0 {
		s.Holidays = map[string]string{}
		for range 1 + r.IntN(3) {
			day := at.In(loc).AddDate(0, 0, r.IntN(9)-2)
			s.Holidays[day.Format(time.DateOnly)] = "holiday"
		}
	}
	return s
}

// period is an open period of the reference.
type period struct{ start, end time.Time }

// referencePeriods lists the open periods of s on the local dates from
// from's to to's, by brute force.
func referencePeriods(s hours.Schedule, from, to time.Time) []period {
	var ps []period
	y, m, d := from.In(s.Location).Date()
	last := to.In(s.Location).Format(time.DateOnly)
	for date := time.Date(y, m, d, 0, 0, 0, 0, time.UTC); date.Format(time.DateOnly) <= last; date = date.AddDate(0, 0, 1) {
		if _, ok := s.Holidays[date.Format(time.DateOnly)]; ok {
			continue
		}
		for _, iv := range s.Week[date.Weekday()] {
			p := period{referenceInstant(s.Location, date, iv.Start), referenceInstant(s.Location, date, iv.End)}
			if p.start.Before(p.end) {
				ps = append(ps, p)
			}
		}
	}
	return ps
}

// referenceInstant scans a 15-minute grid for the first instant at which
// the clock in loc reads the wall-clock time (minutes since midnight) on
// the date named by the UTC midnight date, or later.
func referenceInstant(loc *time.Location, date time.Time, minute int) time.Time {
	want := date.Add(time.Duration(minute) * time.Minute)
	for u := want.Add(-15 * time.Hour); ; u = u.Add(15 * time.Minute) { // no offset exceeds 14 h
		l := u.In(loc)
		wall := time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
		if !wall.Before(want) {
			return u
		}
	}
}

func checkProperties(t *testing.T, i int, s hours.Schedule, ref []period, known, a, b time.Time, r *rand.Rand) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("sample %d, schedule %s, a=%v b=%v: "+format, append([]any{i, mustJSON(t, s), a.UTC(), b.UTC()}, args...)...)
	}
	refOpen := func(x time.Time) bool {
		for _, p := range ref {
			if !p.start.After(x) && x.Before(p.end) {
				return true
			}
		}
		return false
	}
	refBetween := func(x, y time.Time) time.Duration {
		var sum time.Duration
		for _, p := range ref {
			lo, hi := p.start, p.end
			if lo.Before(x) {
				lo = x
			}
			if hi.After(y) {
				hi = y
			}
			if lo.Before(hi) {
				sum += hi.Sub(lo)
			}
		}
		return sum
	}

	// IsOpen at a, b and around every boundary after a.
	probes := []time.Time{a, b}
	for _, p := range ref {
		probes = append(probes, p.start.Add(-1), p.start, p.end.Add(-1), p.end)
	}
	for _, x := range probes {
		if x.Before(a) || !x.Before(known) {
			continue // outside what the reference knows
		}
		if got, want := s.IsOpen(x), refOpen(x); got != want {
			fail("IsOpen(%v) = %v, reference %v", x.UTC(), got, want)
		}
	}

	// Between, and that it adds up.
	want := refBetween(a, b)
	if got := s.Between(a, b); got != want {
		fail("Between = %v, reference %v", got, want)
	}
	mid := a.Add(time.Duration(r.Int64N(int64(b.Sub(a)) + 1)))
	if got := s.Between(a, mid) + s.Between(mid, b); got != want {
		fail("Between(a, mid) + Between(mid, b) = %v, want %v (mid %v)", got, want, mid.UTC())
	}

	// NextOpen and NextClose, where the reference's window decides them.
	var refNextOpen, refNextClose time.Time
	for j, p := range ref {
		if !p.end.After(a) {
			continue
		}
		if p.start.After(a) {
			refNextOpen, refNextClose = p.start, a
			break
		}
		refNextOpen, refNextClose = a, p.end
		for k := j + 1; k < len(ref) && ref[k].start.Equal(refNextClose); k++ {
			refNextClose = ref[k].end
		}
		break
	}
	if !refNextOpen.IsZero() && refNextClose.Before(known) {
		if got := s.NextOpen(a); !got.Equal(refNextOpen) {
			fail("NextOpen = %v, reference %v", got.UTC(), refNextOpen.UTC())
		}
		if got := s.NextClose(a); !got.Equal(refNextClose) {
			fail("NextClose = %v, reference %v", got.UTC(), refNextClose.UTC())
		}
		if s.Between(a, refNextOpen) != 0 {
			fail("Between(a, NextOpen(a)) is not 0")
		}
	}

	// Add agrees with the reference and round-trips through Between.
	for _, d := range []time.Duration{want, time.Duration(r.Int64N(int64(want) + 1)), time.Duration(r.Int64N(int64(want)+1)) / time.Second * time.Second} {
		if d <= 0 {
			continue
		}
		left, refAdd := d, time.Time{}
		for _, p := range ref {
			if !p.end.After(a) {
				continue
			}
			start := p.start
			if start.Before(a) {
				start = a
			}
			if n := p.end.Sub(start); left > n {
				left -= n
				continue
			}
			refAdd = start.Add(left)
			break
		}
		got := s.Add(a, d)
		if !got.Equal(refAdd) {
			fail("Add(a, %v) = %v, reference %v", d, got.UTC(), refAdd.UTC())
		}
		if b := s.Between(a, got); b != d {
			fail("Between(a, Add(a, %v)) = %v", d, b)
		}
	}
}

// mustJSON writes s for failure messages.
func mustJSON(tb testing.TB, s hours.Schedule) string {
	data, err := s.MarshalJSON()
	if err != nil {
		tb.Fatal(err)
	}
	return string(data)
}
