package hours_test

import (
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/hours"
)

// BenchmarkAdd adds 40 business hours (a working week) on a 09:00-17:00
// weekday schedule: about seven days walked.
func BenchmarkAdd(b *testing.B) {
	s := Weekdays(MustLoc(b, "Europe/Paris"), HM(9, 0, 17, 0))
	s.Holidays = map[string]string{"2026-12-25": "Christmas", "2026-01-01": "New Year"}
	at := UTC(b, "2026-03-25T09:30:00Z") // a Wednesday, over the DST change
	want := s.Add(at, 40*time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if got := s.Add(at, 40*time.Hour); !got.Equal(want) {
			b.Fatal(got)
		}
	}
}

// BenchmarkAddHourAWeek adds ten hours on a schedule open one hour a week:
// about seventy days walked.
func BenchmarkAddHourAWeek(b *testing.B) {
	s := hours.Schedule{Location: MustLoc(b, "America/New_York")}
	s.Week[time.Wednesday] = []hours.Interval{HM(10, 0, 11, 0)}
	at := UTC(b, "2026-03-02T12:00:00Z")
	b.ReportAllocs()
	for b.Loop() {
		s.Add(at, 10*time.Hour)
	}
}

// BenchmarkBetween30Days measures thirty days of a two-shift schedule.
func BenchmarkBetween30Days(b *testing.B) {
	s := MustParse(b, office)
	from := UTC(b, "2026-03-16T10:00:00Z")
	to := from.AddDate(0, 0, 30)
	b.ReportAllocs()
	for b.Loop() {
		s.Between(from, to)
	}
}

// BenchmarkIsOpen asks about one instant.
func BenchmarkIsOpen(b *testing.B) {
	s := MustParse(b, office)
	at := UTC(b, "2026-03-16T10:00:00Z")
	b.ReportAllocs()
	for b.Loop() {
		s.IsOpen(at)
	}
}

// BenchmarkNextOpenNever is the worst case of the bounded search: open days
// exist but are all holidays, so about two years of days are walked.
func BenchmarkNextOpenNever(b *testing.B) {
	paris := MustLoc(b, "Europe/Paris")
	s := hours.Schedule{Location: paris, Holidays: map[string]string{}}
	s.Week[time.Monday] = []hours.Interval{HM(9, 0, 17, 0)}
	for d := Local(b, paris, "2026-03-02 00:00"); d.Year() < 2030; d = d.AddDate(0, 0, 7) {
		s.Holidays[d.Format(time.DateOnly)] = "closed"
	}
	at := UTC(b, "2026-03-02T12:00:00Z")
	b.ReportAllocs()
	for b.Loop() {
		if !s.NextOpen(at).IsZero() {
			b.Fatal("open")
		}
	}
}
