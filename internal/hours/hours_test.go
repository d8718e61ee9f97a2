package hours_test

import (
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/hours"
)

// office is a Paris team: two shifts on weekdays, a short Saturday, closed
// on Sundays and on Christmas (Friday 2026-12-25).
const office = `{"time_zone":"Europe/Paris",
 "week":{"mon":["09:00-12:30","13:30-18:00"],"tue":["09:00-12:30","13:30-18:00"],
  "wed":["09:00-12:30","13:30-18:00"],"thu":["09:00-12:30","13:30-18:00"],
  "fri":["09:00-12:30","13:30-18:00"],"sat":["10:00-14:00"],"sun":[]},
 "holidays":{"2026-12-25":"Christmas"}}`

// The week of Monday 2026-03-02 (CET, UTC+1) unless a case says otherwise.
func TestInstants(t *testing.T) {
	s := MustParse(t, office)
	paris := s.Location
	tests := []struct {
		name      string
		at        string // Paris wall clock
		open      bool
		nextOpen  string // "" means at itself
		nextClose string // "" means at itself
	}{
		{"before opening", "2026-03-02 08:59:59", false, "2026-03-02 09:00", ""},
		{"opening instant", "2026-03-02 09:00", true, "", "2026-03-02 12:30"},
		{"morning", "2026-03-02 11:15", true, "", "2026-03-02 12:30"},
		{"last second of the morning", "2026-03-02 12:29:59", true, "", "2026-03-02 12:30"},
		{"closing instant is closed", "2026-03-02 12:30", false, "2026-03-02 13:30", ""},
		{"lunch", "2026-03-02 13:00", false, "2026-03-02 13:30", ""},
		{"afternoon", "2026-03-02 13:30", true, "", "2026-03-02 18:00"},
		{"evening", "2026-03-02 18:00", false, "2026-03-03 09:00", ""},
		{"night", "2026-03-03 03:00", false, "2026-03-03 09:00", ""},
		{"friday evening to saturday", "2026-03-06 19:00", false, "2026-03-07 10:00", ""},
		{"saturday", "2026-03-07 13:59", true, "", "2026-03-07 14:00"},
		{"saturday after closing", "2026-03-07 14:00", false, "2026-03-09 09:00", ""},
		{"sunday", "2026-03-08 12:00", false, "2026-03-09 09:00", ""},
		{"christmas eve open", "2026-12-24 17:00", true, "", "2026-12-24 18:00"},
		{"christmas eve evening skips christmas", "2026-12-24 18:30", false, "2026-12-26 10:00", ""},
		{"christmas is closed", "2026-12-25 10:00", false, "2026-12-26 10:00", ""},
		{"summer time", "2026-07-01 09:00", true, "", "2026-07-01 12:30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := Local(t, paris, tt.at)
			wantOpen, wantClose := at, at
			if tt.nextOpen != "" {
				wantOpen = Local(t, paris, tt.nextOpen)
			}
			if tt.nextClose != "" {
				wantClose = Local(t, paris, tt.nextClose)
			}
			for _, in := range []time.Time{at, at.UTC()} { // the answer does not depend on the caller's zone
				if got := s.IsOpen(in); got != tt.open {
					t.Errorf("IsOpen(%v) = %v, want %v", in, got, tt.open)
				}
				if got := s.NextOpen(in); !got.Equal(wantOpen) || got.Location() != in.Location() {
					t.Errorf("NextOpen(%v) = %v, want %v in the argument's zone", in, got, wantOpen)
				}
				if got := s.NextClose(in); !got.Equal(wantClose) || got.Location() != in.Location() {
					t.Errorf("NextClose(%v) = %v, want %v in the argument's zone", in, got, wantClose)
				}
			}
		})
	}
}

func TestNeverOpen(t *testing.T) {
	paris := MustLoc(t, "Europe/Paris")
	at := UTC(t, "2026-03-02T10:00:00Z")
	// Every Monday a holiday for three years: open days exist, just never reached.
	allMondays := hours.Schedule{Location: paris, Holidays: map[string]string{}}
	allMondays.Week[time.Monday] = []hours.Interval{HM(9, 0, 17, 0)}
	for d := Local(t, paris, "2026-03-02 00:00"); d.Year() < 2030; d = d.AddDate(0, 0, 7) {
		allMondays.Holidays[d.Format(time.DateOnly)] = "closed"
	}
	for name, s := range map[string]hours.Schedule{
		"empty week":                  {Location: paris},
		"zero schedule":               {},
		"every open day is a holiday": allMondays,
	} {
		t.Run(name, func(t *testing.T) {
			if s.IsOpen(at) {
				t.Error("IsOpen = true")
			}
			if got := s.NextOpen(at); !got.IsZero() {
				t.Errorf("NextOpen = %v, want the zero time", got)
			}
			if got := s.NextClose(at); !got.Equal(at) {
				t.Errorf("NextClose = %v, want %v (closed already)", got, at)
			}
			if got := s.Add(at, time.Hour); !got.IsZero() {
				t.Errorf("Add = %v, want the zero time", got)
			}
			if got := s.Between(at, at.AddDate(1, 0, 0)); got != 0 {
				t.Errorf("Between = %v, want 0", got)
			}
		})
	}
	// The search horizon is about two years: a schedule that reopens after
	// 18 months is found.
	s := allMondays
	s.Holidays = map[string]string{}
	for d := Local(t, paris, "2026-03-02 00:00"); d.Before(Local(t, paris, "2027-09-01 00:00")); d = d.AddDate(0, 0, 7) {
		s.Holidays[d.Format(time.DateOnly)] = "closed"
	}
	if got, want := s.NextOpen(at), Local(t, paris, "2027-09-06 09:00"); !got.Equal(want) {
		t.Errorf("NextOpen after 18 closed months = %v, want %v", got, want)
	}
}

func TestNextCloseStretches(t *testing.T) {
	paris := MustLoc(t, "Europe/Paris")
	touching := Weekdays(paris, HM(9, 0, 12, 0), HM(12, 0, 17, 0))
	overnight := Daily(paris, HM(0, 0, 6, 0), HM(22, 0, 24, 0))
	weeknights := hours.Schedule{Location: paris}
	weeknights.Week[time.Friday] = []hours.Interval{HM(22, 0, 24, 0)}
	weeknights.Week[time.Saturday] = []hours.Interval{HM(0, 0, 24, 0)}
	weeknights.Week[time.Sunday] = []hours.Interval{HM(0, 0, 6, 0)}
	tests := []struct {
		name string
		s    hours.Schedule
		at   string
		want string
	}{
		{"touching intervals are one stretch", touching, "2026-03-02 10:00", "2026-03-02 17:00"},
		{"overnight through midnight", overnight, "2026-03-02 23:00", "2026-03-03 06:00"},
		{"overnight after midnight", overnight, "2026-03-03 01:00", "2026-03-03 06:00"},
		{"weekend stretch over two midnights", weeknights, "2026-03-06 22:30", "2026-03-08 06:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := tt.s.NextClose(Local(t, paris, tt.at)), Local(t, paris, tt.want); !got.Equal(want) {
				t.Errorf("NextClose = %v, want %v", got, want)
			}
		})
	}
	if got := hours.AlwaysOpen().NextClose(UTC(t, "2026-03-02T10:00:00Z")); !got.IsZero() {
		t.Errorf("AlwaysOpen().NextClose = %v, want the zero time (never closes)", got)
	}
}

func TestAdd(t *testing.T) {
	paris := MustLoc(t, "Europe/Paris")
	nineToFive := Weekdays(paris, HM(9, 0, 17, 0))
	nineToFive.Holidays = map[string]string{"2026-12-25": "Christmas"}
	office := MustParse(t, office)
	hourAWeek := hours.Schedule{Location: paris}
	hourAWeek.Week[time.Wednesday] = []hours.Interval{HM(10, 0, 11, 0)}
	tests := []struct {
		name string
		s    hours.Schedule
		at   string
		d    time.Duration
		want string
	}{
		{"zero duration", nineToFive, "2026-03-02 10:00", 0, "2026-03-02 10:00"},
		{"zero duration while closed is t itself", nineToFive, "2026-03-07 12:00", 0, "2026-03-07 12:00"},
		{"negative duration is t itself", nineToFive, "2026-03-02 10:00", -time.Hour, "2026-03-02 10:00"},
		{"within the day", nineToFive, "2026-03-02 10:00", time.Hour, "2026-03-02 11:00"},
		{"exactly to closing ends at closing", nineToFive, "2026-03-02 10:00", 7 * time.Hour, "2026-03-02 17:00"},
		{"one minute more goes to the next morning", nineToFive, "2026-03-02 10:00", 7*time.Hour + time.Minute, "2026-03-03 09:01"},
		{"forty hours is a working week", nineToFive, "2026-03-02 10:00", 40 * time.Hour, "2026-03-09 10:00"},
		{"over the weekend", nineToFive, "2026-03-06 16:00", 2 * time.Hour, "2026-03-09 10:00"},
		{"closed start counts from the opening", nineToFive, "2026-03-07 12:00", time.Hour, "2026-03-09 10:00"},
		{"closed start, a whole day", nineToFive, "2026-03-08 23:59", 8 * time.Hour, "2026-03-09 17:00"},
		{"before opening", nineToFive, "2026-03-02 07:00", 30 * time.Minute, "2026-03-02 09:30"},
		{"sub-second", nineToFive, "2026-03-02 16:59:59", 1500 * time.Millisecond, "2026-03-03 09:00:00.5"},
		{"over lunch", office, "2026-03-02 12:00", time.Hour, "2026-03-02 14:00"},
		{"over lunch, exactly to the break", office, "2026-03-02 12:00", 30 * time.Minute, "2026-03-02 12:30"},
		{"friday into saturday", office, "2026-03-06 17:00", 2 * time.Hour, "2026-03-07 11:00"},
		{"over christmas", nineToFive, "2026-12-24 16:00", 2 * time.Hour, "2026-12-28 10:00"},
		{"an hour a week, ten hours", hourAWeek, "2026-03-02 09:00", 10 * time.Hour, "2026-05-06 11:00"},
		{"thirty days around the clock", hours.Schedule{Location: paris, Week: hours.AlwaysOpen().Week}, "2026-03-02 10:00", 30 * 24 * time.Hour, "2026-04-01 11:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := Local(t, paris, tt.at)
			want, err := time.ParseInLocation("2006-01-02 15:04:05.999999999", tt.want, paris)
			if err != nil {
				want = Local(t, paris, tt.want)
			}
			got := tt.s.Add(at, tt.d)
			if !got.Equal(want) {
				t.Fatalf("Add(%v, %v) = %v, want %v", at, tt.d, got, want)
			}
			if got.Location() != at.Location() {
				t.Errorf("Add returned %v, want it in the argument's zone", got.Location())
			}
			if tt.d > 0 {
				if b := tt.s.Between(at, got); b != tt.d {
					t.Errorf("Between(t, Add(t, d)) = %v, want %v", b, tt.d)
				}
			}
		})
	}
	t.Run("always open is plain addition", func(t *testing.T) {
		at := UTC(t, "2026-03-29T00:30:00Z")
		for _, d := range []time.Duration{time.Nanosecond, time.Hour, 24 * time.Hour, 30 * 24 * time.Hour, 400 * 24 * time.Hour} {
			if got := hours.AlwaysOpen().Add(at, d); !got.Equal(at.Add(d)) {
				t.Errorf("Add(%v) = %v, want %v", d, got, at.Add(d))
			}
		}
	})
}

func TestBetween(t *testing.T) {
	paris := MustLoc(t, "Europe/Paris")
	nineToFive := Weekdays(paris, HM(9, 0, 17, 0))
	nineToFive.Holidays = map[string]string{"2026-12-25": "Christmas"}
	office := MustParse(t, office)
	tests := []struct {
		name string
		s    hours.Schedule
		a, b string
		want time.Duration
	}{
		{"empty range", nineToFive, "2026-03-02 10:00", "2026-03-02 10:00", 0},
		{"reversed range", nineToFive, "2026-03-02 12:00", "2026-03-02 10:00", 0},
		{"inside one period", nineToFive, "2026-03-02 10:00", "2026-03-02 10:45", 45 * time.Minute},
		{"a whole day from outside", nineToFive, "2026-03-02 06:00", "2026-03-02 20:00", 8 * time.Hour},
		{"end is exclusive", nineToFive, "2026-03-02 16:00", "2026-03-02 17:00", time.Hour},
		{"over the weekend", nineToFive, "2026-03-06 16:00", "2026-03-09 10:00", 2 * time.Hour},
		{"closed range", nineToFive, "2026-03-07 00:00", "2026-03-09 09:00", 0},
		{"a week", nineToFive, "2026-03-02 00:00", "2026-03-09 00:00", 40 * time.Hour},
		{"two shifts", office, "2026-03-02 12:00", "2026-03-02 14:00", time.Hour},
		{"office week", office, "2026-03-02 00:00", "2026-03-09 00:00", 5*8*time.Hour + 4*time.Hour},
		{"christmas week", nineToFive, "2026-12-21 00:00", "2026-12-28 00:00", 32 * time.Hour},
		{"thirty days in march, over the DST change", nineToFive, "2026-03-02 00:00", "2026-04-01 00:00", 22 * 8 * time.Hour},
		{"a year", nineToFive, "2026-01-01 00:00", "2027-01-01 00:00", (261 - 1) * 8 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := Local(t, paris, tt.a), Local(t, paris, tt.b)
			if got := tt.s.Between(a, b); got != tt.want {
				t.Errorf("Between = %v, want %v", got, tt.want)
			}
		})
	}
}

// Teams far from UTC: their local day is another UTC day.
func TestZonesFarFromUTC(t *testing.T) {
	tests := []struct {
		zone     string
		ivs      []hours.Interval
		at       string // UTC
		open     bool
		nextOpen string // UTC
		add      time.Duration
		added    string // UTC: Add(at, add)
	}{
		// UTC+7: Monday 08:00 is Monday 01:00Z; Sunday 23:30Z is Monday 06:30.
		{"Asia/Ho_Chi_Minh", []hours.Interval{HM(8, 0, 17, 0)}, "2026-03-01T23:30:00Z", false, "2026-03-02T01:00:00Z", 10 * time.Hour, "2026-03-03T02:00:00Z"},
		{"Asia/Ho_Chi_Minh", []hours.Interval{HM(8, 0, 17, 0)}, "2026-03-06T09:59:00Z", true, "2026-03-06T09:59:00Z", 2 * time.Minute, "2026-03-09T01:01:00Z"},
		// UTC+11 in March (summer): Monday 09:00 is Sunday 22:00Z.
		{"Australia/Sydney", []hours.Interval{HM(9, 0, 17, 0)}, "2026-03-01T22:00:00Z", true, "2026-03-01T22:00:00Z", 8 * time.Hour, "2026-03-02T06:00:00Z"},
		{"Australia/Sydney", []hours.Interval{HM(9, 0, 17, 0)}, "2026-03-06T07:00:00Z", false, "2026-03-08T22:00:00Z", time.Hour, "2026-03-08T23:00:00Z"},
		// UTC+10 in July (winter).
		{"Australia/Sydney", []hours.Interval{HM(9, 0, 17, 0)}, "2026-07-05T23:00:00Z", true, "2026-07-05T23:00:00Z", 8 * time.Hour, "2026-07-06T07:00:00Z"},
		// UTC-8 in February: Friday 17:00 is Saturday 01:00Z.
		{"America/Los_Angeles", []hours.Interval{HM(9, 0, 17, 0)}, "2026-02-07T00:30:00Z", true, "2026-02-07T00:30:00Z", time.Hour, "2026-02-09T17:30:00Z"},
		// UTC-7 in summer.
		{"America/Los_Angeles", []hours.Interval{HM(9, 0, 17, 0)}, "2026-07-06T15:00:00Z", false, "2026-07-06T16:00:00Z", 30 * time.Minute, "2026-07-06T16:30:00Z"},
		// UTC+05:30: 09:30 is 04:00Z.
		{"Asia/Kolkata", []hours.Interval{HM(9, 30, 18, 0)}, "2026-03-02T03:00:00Z", false, "2026-03-02T04:00:00Z", time.Hour, "2026-03-02T05:00:00Z"},
		{"Asia/Kolkata", []hours.Interval{HM(9, 30, 18, 0)}, "2026-03-02T12:15:00Z", true, "2026-03-02T12:15:00Z", 30 * time.Minute, "2026-03-03T04:15:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.zone+" "+tt.at, func(t *testing.T) {
			s := Weekdays(MustLoc(t, tt.zone), tt.ivs...)
			at := UTC(t, tt.at)
			if got := s.IsOpen(at); got != tt.open {
				t.Errorf("IsOpen = %v, want %v", got, tt.open)
			}
			if got, want := s.NextOpen(at), UTC(t, tt.nextOpen); !got.Equal(want) {
				t.Errorf("NextOpen = %v, want %v", got, want)
			}
			got, want := s.Add(at, tt.add), UTC(t, tt.added)
			if !got.Equal(want) {
				t.Errorf("Add(%v) = %v, want %v", tt.add, got, want)
			}
			if b := s.Between(at, got); b != tt.add {
				t.Errorf("Between(t, Add(t, d)) = %v, want %v", b, tt.add)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	paris := MustLoc(t, "Europe/Paris")
	if err := hours.AlwaysOpen().Validate(); err != nil {
		t.Errorf("AlwaysOpen: %v", err)
	}
	good := Weekdays(paris, HM(9, 0, 12, 0), HM(12, 0, 17, 0)) // touching is allowed
	if err := good.Validate(); err != nil {
		t.Errorf("touching intervals: %v", err)
	}
	tests := []struct {
		name string
		s    hours.Schedule
		want string
	}{
		{"no zone", hours.Schedule{}, "hours: no time zone"},
		{"negative start", Weekdays(paris, hours.Interval{-1, 60}), `hours: week.mon[0] "-1min-01:00": start must be between 00:00 and 23:59`},
		{"end past midnight", Weekdays(paris, hours.Interval{60, 1441}), `hours: week.mon[0] "01:00-1441min": end must be between 00:01 and 24:00`},
		{"empty", Weekdays(paris, HM(9, 0, 9, 0)), `hours: week.mon[0] "09:00-09:00": start must be before end`},
		{"overlap", Weekdays(paris, HM(9, 0, 12, 30), HM(12, 0, 17, 0)), `hours: week.mon[1] "12:00-17:00": overlaps week.mon[0] "09:00-12:30"`},
		{"unsorted", Weekdays(paris, HM(13, 0, 17, 0), HM(9, 0, 12, 0)), `hours: week.mon[1] "09:00-12:00": out of order, starts before week.mon[0] "13:00-17:00"`},
		{"bad holiday", hours.Schedule{Location: paris, Holidays: map[string]string{"2026-2-3": "x"}}, `hours: holidays["2026-2-3"]: not a date (want YYYY-MM-DD)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Validate()
			if err == nil || err.Error() != tt.want {
				t.Errorf("Validate() = %v, want %s", err, tt.want)
			}
		})
	}
}
