package promise

import (
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/hours"
)

func mins(list ...int) []time.Duration {
	out := make([]time.Duration, len(list))
	for i, m := range list {
		out[i] = time.Duration(m) * time.Minute
	}
	return out
}

// TestMake: hand-worked figures for each rule.
func TestMake(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	office, err := hours.Parse([]byte(`{"time_zone":"Europe/Paris","week":{"mon":["09:00-12:30","13:30-17:00"],"tue":["09:00-17:00"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	always := hours.AlwaysOpen()
	monday10 := time.Date(2026, 3, 2, 10, 0, 0, 0, paris)
	ten := mins(10, 20, 30, 40, 50, 60, 70, 80, 90, 100) // 80th percentile (nearest rank 8 of 10): 80 minutes
	for _, tc := range []struct {
		name  string
		in    Input
		wait  time.Duration
		by    time.Time // zero: no time can be given
		after bool
		away  bool
	}{
		{"history of ten: the 80th percentile, 80m, rounds to 2h",
			Input{Now: monday10, Hours: always, History: ten, Target: 4 * time.Hour, Online: 1},
			2 * time.Hour, monday10.Add(2 * time.Hour), false, false},
		{"four responses are too few: the target",
			Input{Now: monday10, Hours: always, History: mins(1, 2, 3, 4), Target: 30 * time.Minute, Online: 1},
			30 * time.Minute, monday10.Add(30 * time.Minute), false, false},
		{"five are enough: 80th percentile of 1..5 minutes is 4, rounds to 5",
			Input{Now: monday10, Hours: always, History: mins(5, 1, 4, 2, 3), Target: 30 * time.Minute, Online: 1},
			5 * time.Minute, monday10.Add(5 * time.Minute), false, false},
		{"number 1 in line has nobody ahead: the base alone",
			Input{Now: monday10, Hours: always, Target: time.Hour, Queued: true, Ahead: 0, Online: 1},
			time.Hour, monday10.Add(time.Hour), false, false},
		{"number 3 in line, two agents: 1h + 2 × 1h / 2 = 2h",
			Input{Now: monday10, Hours: always, Target: time.Hour, Queued: true, Ahead: 2, Online: 2},
			2 * time.Hour, monday10.Add(2 * time.Hour), false, false},
		{"number 4 in line, two agents: 1h + 3 × 1h / 2 = 2h30 → 3h",
			Input{Now: monday10, Hours: always, Target: time.Hour, Queued: true, Ahead: 3, Online: 2},
			3 * time.Hour, monday10.Add(3 * time.Hour), false, false},
		{"nobody online, no hours: no time to promise",
			Input{Now: monday10, Hours: always, Target: 5 * time.Minute},
			5 * time.Minute, time.Time{}, false, true},
		{"in hours, someone online: four business hours over lunch, 10:00 → 15:00",
			Input{Now: monday10, Hours: office, HasHours: true, Target: 4 * time.Hour, Online: 1},
			4 * time.Hour, time.Date(2026, 3, 2, 15, 0, 0, 0, paris), false, false},
		{"in hours, nobody online: from the next period (13:30), one hour → 14:30",
			Input{Now: monday10, Hours: office, HasHours: true, Target: time.Hour},
			time.Hour, time.Date(2026, 3, 2, 14, 30, 0, 0, paris), false, true},
		{"afternoon, nobody online: from Tuesday 09:00, 4h → 13:00",
			Input{Now: time.Date(2026, 3, 2, 14, 0, 0, 0, paris), Hours: office, HasHours: true, Target: 4 * time.Hour},
			4 * time.Hour, time.Date(2026, 3, 3, 13, 0, 0, 0, paris), false, true},
		{"lunch break, nobody online: from 13:30, 1h → 14:30",
			Input{Now: time.Date(2026, 3, 2, 12, 45, 0, 0, paris), Hours: office, HasHours: true, Target: time.Hour},
			time.Hour, time.Date(2026, 3, 2, 14, 30, 0, 0, paris), true, true},
		{"after hours with someone online: business time still counts, Tuesday 10:00",
			Input{Now: time.Date(2026, 3, 2, 20, 0, 0, 0, paris), Hours: office, HasHours: true, Target: time.Hour, Online: 1},
			time.Hour, time.Date(2026, 3, 3, 10, 0, 0, 0, paris), true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := Make(tc.in)
			if e.Wait != tc.wait || !e.ReplyBy.Equal(tc.by) || e.AfterHours != tc.after || e.Away != tc.away {
				t.Errorf("got wait %v, by %v, after hours %v, away %v; want %v, %v, %v, %v",
					e.Wait, e.ReplyBy, e.AfterHours, e.Away, tc.wait, tc.by, tc.after, tc.away)
			}
		})
	}
}

func TestRoundUp(t *testing.T) {
	for in, want := range map[time.Duration]time.Duration{
		time.Minute: 5 * time.Minute, 5 * time.Minute: 5 * time.Minute, 6 * time.Minute: 10 * time.Minute,
		14 * time.Minute: 15 * time.Minute, 31 * time.Minute: time.Hour, 61 * time.Minute: 2 * time.Hour, 3 * time.Hour: 3 * time.Hour,
	} {
		if got := RoundUp(in); got != want {
			t.Errorf("RoundUp(%v) = %v, want %v", in, got, want)
		}
	}
}
