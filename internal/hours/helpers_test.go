package hours_test

import (
	"testing"
	"time"
	_ "time/tzdata" // the tests' zones, even on hosts without zoneinfo

	"github.com/parleyhq/parley/internal/hours"
)

// MustLoc loads an IANA time zone.
func MustLoc(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

// MustParse parses a schedule's JSON form.
func MustParse(tb testing.TB, data string) hours.Schedule {
	tb.Helper()
	s, err := hours.Parse([]byte(data))
	if err != nil {
		tb.Fatalf("Parse(%s): %v", data, err)
	}
	return s
}

// Local reads "2006-01-02 15:04" or "2006-01-02 15:04:05" in loc. Use it
// only for wall-clock times that exist once; DST tests spell instants in UTC.
func Local(tb testing.TB, loc *time.Location, v string) time.Time {
	tb.Helper()
	layout := "2006-01-02 15:04"
	if len(v) > len(layout) {
		layout = time.DateTime
	}
	t, err := time.ParseInLocation(layout, v, loc)
	if err != nil {
		tb.Fatal(err)
	}
	if t.Format(layout) != v {
		tb.Fatalf("%s does not exist once in %s", v, loc)
	}
	return t
}

// UTC reads an RFC 3339 instant.
func UTC(tb testing.TB, v string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// Daily is a schedule with the same intervals every day of the week.
func Daily(loc *time.Location, ivs ...hours.Interval) hours.Schedule {
	s := hours.Schedule{Location: loc}
	for d := range s.Week {
		s.Week[d] = ivs
	}
	return s
}

// Weekdays is a schedule with the same intervals Monday to Friday.
func Weekdays(loc *time.Location, ivs ...hours.Interval) hours.Schedule {
	s := hours.Schedule{Location: loc}
	for d := time.Monday; d <= time.Friday; d++ {
		s.Week[d] = ivs
	}
	return s
}

// HM is an interval from "HH:MM" clock values given as hours and minutes.
func HM(h1, m1, h2, m2 int) hours.Interval {
	return hours.Interval{Start: h1*60 + m1, End: h2*60 + m2}
}

// same reports whether two instants are equal, the zero time equal only to itself.
func same(a, b time.Time) bool {
	if a.IsZero() || b.IsZero() {
		return a.IsZero() && b.IsZero()
	}
	return a.Equal(b)
}
