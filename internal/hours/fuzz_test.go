package hours_test

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/hours"
)

// FuzzParse: Parse never panics; a schedule it accepts is valid, writes
// back to JSON that Parse reads as the same schedule (and the same JSON:
// the written form is canonical), and answers IsOpen and NextOpen without
// looping or going backwards.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"time_zone":"Europe/Paris","week":{"mon":["09:00-12:30","13:30-18:00"],"sun":[]},"holidays":{"2026-12-25":"Christmas"}}`,
		`{"time_zone":"UTC","week":{"mon":["00:00-24:00"]}}`,
		`{"time_zone":"Asia/Kolkata","week":{"fri":["13:30–18:00","09:00–12:00"]}}`,
		`{"time_zone":"Local","week":{}}`, `{"time_zone":"../../etc/passwd"}`, `{"time_zone":"UTC","week":{"mon":["10:00-09:00"]}}`,
		`{"time_zone":"UTC","week":{"mon":["09:00-12:00","11:00-13:00"]}}`, `{"time_zone":"UTC","holidays":{"tomorrow":"x"}}`,
		`{"time_zone":"UTC","week":{"xyz":[]}}`, `{"time_zone":"UTC"} {}`, `{"time_zone":5}`, `{"time_zone":"UTC","week":{"mon":["9:0-10:00"]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := hours.Parse(data)
		if err != nil {
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("Parse(%q) accepted an invalid schedule: %v", data, err)
		}
		out, err := s.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON of %q: %v", data, err)
		}
		back, err := hours.Parse(out)
		if err != nil {
			t.Fatalf("Parse of its own output %s: %v", out, err)
		}
		if back.Location.String() != s.Location.String() || !reflect.DeepEqual(normal(back), normal(s)) {
			t.Fatalf("round trip changed the schedule: %q → %s", data, out)
		}
		if again, _ := back.MarshalJSON(); !bytes.Equal(again, out) {
			t.Fatalf("written form not canonical: %s then %s", out, again)
		}
		at := time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC) // a DST change in Europe
		s.IsOpen(at)
		// A schedule never open answers the zero time: never.
		if next := s.NextOpen(at); next.Before(at) && !next.IsZero() {
			t.Fatalf("NextOpen(%v) = %v, before it", at, next)
		}
	})
}

// normal makes a closed day and an absent one, and no holidays and an
// empty list of them, compare equal.
func normal(s hours.Schedule) hours.Schedule {
	for d := range s.Week {
		if len(s.Week[d]) == 0 {
			s.Week[d] = nil
		}
	}
	if len(s.Holidays) == 0 {
		s.Holidays = nil
	}
	s.Location = nil
	return s
}
