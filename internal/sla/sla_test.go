package sla_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Paris even on hosts without zoneinfo

	"github.com/parleyhq/parley/internal/hours"
	"github.com/parleyhq/parley/internal/sla"
)

// MustNineToFive is a Paris team working 09:00–17:00 Monday to Friday.
func MustNineToFive(tb testing.TB) hours.Schedule {
	tb.Helper()
	s, err := hours.Parse([]byte(`{"time_zone":"Europe/Paris","week":{"mon":["09:00-17:00"],"tue":["09:00-17:00"],"wed":["09:00-17:00"],"thu":["09:00-17:00"],"fri":["09:00-17:00"]}}`))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// at reads a Paris wall-clock time in the week of Monday 2026-03-02
// (CET) or the next, written "Mon 10:00" or "Mon2 10:00".
func at(tb testing.TB, s hours.Schedule, v string) time.Time {
	tb.Helper()
	days := map[string]int{"Mon": 2, "Tue": 3, "Wed": 4, "Thu": 5, "Fri": 6, "Sat": 7, "Sun": 8,
		"Mon2": 9, "Tue2": 10, "Wed2": 11}
	day, clock, _ := strings.Cut(v, " ")
	d, ok := days[day]
	c, err := time.Parse("15:04", clock)
	if !ok || err != nil {
		tb.Fatalf("bad instant %q", v)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		tb.Fatal(err)
	}
	return time.Date(2026, 3, d, c.Hour(), c.Minute(), 0, 0, paris)
}

type step struct {
	op       string // start, pause, resume or check, at the instant
	at       string
	left     time.Duration // Left at the instant, after the op
	due      string        // Due after the op; "" for the zero time
	breached bool
}

func runSteps(t *testing.T, s hours.Schedule, target time.Duration, steps []step) {
	t.Helper()
	var timer sla.Timer
	for i, st := range steps {
		now := at(t, s, st.at)
		switch st.op {
		case "start":
			timer = sla.Start(target, now)
		case "pause":
			timer.Pause(s, now)
		case "resume":
			timer.Resume(now)
		case "check":
		default:
			t.Fatalf("step %d: unknown op %q", i, st.op)
		}
		if got := timer.Left(s, now); got != st.left {
			t.Errorf("step %d (%s %s): Left = %v, want %v", i, st.op, st.at, got, st.left)
		}
		var want time.Time
		if st.due != "" {
			want = at(t, s, st.due)
		}
		if got := timer.Due(s); !got.Equal(want) {
			t.Errorf("step %d (%s %s): Due = %v, want %v", i, st.op, st.at, got, want)
		}
		if got := timer.Breached(s, now); got != st.breached {
			t.Errorf("step %d (%s %s): Breached = %v, want %v", i, st.op, st.at, got, st.breached)
		}
		// Whatever happened, a restart in between changes nothing.
		data, err := json.Marshal(timer)
		if err != nil {
			t.Fatal(err)
		}
		var back sla.Timer
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		if back != (sla.Timer{Target: timer.Target, Remaining: timer.Remaining, Since: back.Since, Running: timer.Running}) || !back.Since.Equal(timer.Since) {
			t.Errorf("step %d: JSON round trip %s = %+v, want %+v", i, data, back, timer)
		}
		if !back.Due(s).Equal(timer.Due(s)) {
			t.Errorf("step %d: Due after a JSON round trip = %v, want %v", i, back.Due(s), timer.Due(s))
		}
	}
}

func TestPauseResumeBusinessHours(t *testing.T) {
	h := time.Hour
	runSteps(t, MustNineToFive(t), 8*time.Hour, []step{
		{"start", "Mon 10:00", 8 * h, "Tue 10:00", false},
		{"check", "Mon 16:00", 2 * h, "Tue 10:00", false},
		{"pause", "Mon 16:00", 2 * h, "", false}, // waiting on the customer
		{"check", "Wed 12:00", 2 * h, "", false},
		{"resume", "Wed 18:00", 2 * h, "Thu 11:00", false}, // the customer wrote after hours
		{"check", "Wed 23:00", 2 * h, "Thu 11:00", false},
		{"check", "Thu 09:30", 90 * time.Minute, "Thu 11:00", false},
		{"pause", "Thu 09:30", 90 * time.Minute, "", false}, // snoozed
		{"resume", "Fri 16:30", 90 * time.Minute, "Mon2 10:00", false},
		{"check", "Sat 12:00", h, "Mon2 10:00", false}, // the weekend does not count
		{"check", "Mon2 09:59", time.Minute, "Mon2 10:00", false},
		{"check", "Mon2 10:00", 0, "Mon2 10:00", true},
		{"check", "Mon2 11:30", -90 * time.Minute, "Mon2 10:00", true},
		{"pause", "Mon2 11:30", -90 * time.Minute, "", true},
		{"pause", "Mon2 12:00", -90 * time.Minute, "", true},            // pausing twice does nothing
		{"resume", "Mon2 14:00", -90 * time.Minute, "Mon2 14:00", true}, // overdue: due at once
		{"resume", "Mon2 14:30", -2 * h, "Mon2 14:00", true},            // resuming twice does nothing
		{"check", "Mon2 20:00", -270 * time.Minute, "Mon2 14:00", true},
	})
}

func TestPauseResumeAlwaysOpen(t *testing.T) {
	h := time.Hour
	runSteps(t, hours.AlwaysOpen(), 4*time.Hour, []step{
		{"start", "Fri 16:00", 4 * h, "Fri 20:00", false},
		{"pause", "Fri 17:00", 3 * h, "", false},
		{"resume", "Mon2 09:00", 3 * h, "Mon2 12:00", false},
		{"check", "Mon2 11:00", h, "Mon2 12:00", false},
		{"check", "Mon2 13:00", -h, "Mon2 12:00", true},
		{"check", "Tue2 13:00", -25 * h, "Mon2 12:00", true}, // nights count
	})
}

// After a 17:00 deadline the evening is closed: Left stays 0, and the
// timer is breached.
func TestBreachedAfterClosing(t *testing.T) {
	h := time.Hour
	runSteps(t, MustNineToFive(t), h, []step{
		{"start", "Fri 16:00", h, "Fri 17:00", false},
		{"check", "Fri 16:59", time.Minute, "Fri 17:00", false},
		{"check", "Fri 17:00", 0, "Fri 17:00", true},
		{"check", "Sun 12:00", 0, "Fri 17:00", true},
		{"check", "Mon2 09:30", -30 * time.Minute, "Fri 17:00", true},
	})
}

func TestStartWhileClosed(t *testing.T) {
	s := MustNineToFive(t)
	for _, c := range []struct{ start, due string }{
		{"Mon 10:00", "Mon 14:00"},
		{"Mon 15:00", "Tue 11:00"},
		{"Fri 16:00", "Mon2 12:00"},
		{"Sat 12:00", "Mon2 13:00"},
		{"Mon 07:00", "Mon 13:00"},
	} {
		timer := sla.Start(4*time.Hour, at(t, s, c.start))
		if got, want := timer.Due(s), at(t, s, c.due); !got.Equal(want) {
			t.Errorf("started %s: Due = %v, want %v", c.start, got, want)
		}
	}
	if zero := sla.Start(0, at(t, s, "Mon 10:00")); !zero.Breached(s, at(t, s, "Mon 10:00")) || !zero.Due(s).Equal(at(t, s, "Mon 10:00")) {
		t.Errorf("a zero target is not due and breached at once: %+v", zero)
	}
}

func TestNeverOpen(t *testing.T) {
	s := hours.Schedule{Location: time.UTC}
	timer := sla.Start(time.Hour, at(t, s, "Mon 10:00"))
	later := at(t, s, "Wed2 10:00")
	if !timer.Due(s).IsZero() || !timer.WarnAt(s, 0.8).IsZero() || timer.Breached(s, later) || timer.Left(s, later) != time.Hour {
		t.Errorf("a schedule that never opens must promise nothing: due %v warn %v breached %v left %v",
			timer.Due(s), timer.WarnAt(s, 0.8), timer.Breached(s, later), timer.Left(s, later))
	}
}

func TestWarnAt(t *testing.T) {
	s := MustNineToFive(t)
	always := hours.AlwaysOpen()
	used := func(timer sla.Timer, sched hours.Schedule, from, to string) sla.Timer {
		timer.Pause(sched, at(t, sched, from))
		timer.Resume(at(t, sched, to))
		return timer
	}
	fresh := sla.Start(8*time.Hour, at(t, s, "Mon 10:00"))
	partly := used(sla.Start(8*time.Hour, at(t, s, "Mon 10:00")), s, "Mon 12:00", "Tue 09:00") // 6 h left
	past := used(sla.Start(8*time.Hour, at(t, s, "Mon 10:00")), s, "Mon 17:00", "Wed 09:00")   // 1 h left
	exact := sla.Timer{Target: 8 * time.Hour, Remaining: 96 * time.Minute, Since: at(t, s, "Tue 09:00"), Running: true}
	paused := fresh
	paused.Pause(s, at(t, s, "Mon 11:00"))
	tests := []struct {
		name     string
		s        hours.Schedule
		timer    sla.Timer
		fraction float64
		want     string // "" for the zero time
	}{
		{"fresh: 80% of 8 h is 6 h 24 m", s, fresh, 0.8, "Mon 16:24"},
		{"fresh, over the night", s, sla.Start(8*time.Hour, at(t, s, "Mon 15:00")), 0.8, "Tue 13:24"},
		{"fresh, 4 h target", s, sla.Start(4*time.Hour, at(t, s, "Mon 09:00")), 0.8, "Mon 12:12"},
		{"fresh, half", s, fresh, 0.5, "Mon 14:00"},
		{"partly used", s, partly, 0.8, "Tue 13:24"},
		{"already past: warn now", s, past, 0.8, "Wed 09:00"},
		{"exactly at the warning point", s, exact, 0.8, "Tue 09:00"},
		{"overdue", s, used(sla.Start(time.Hour, at(t, s, "Mon 10:00")), s, "Mon 12:00", "Tue 09:00"), 0.8, "Tue 09:00"},
		{"paused", s, paused, 0.8, ""},
		{"fraction 1 is the due time", s, fresh, 1, "Tue 10:00"},
		{"fraction above 1 is the due time", s, fresh, 1.5, "Tue 10:00"},
		{"fraction 0 is now", s, fresh, 0, "Mon 10:00"},
		{"negative fraction is now", s, fresh, -1, "Mon 10:00"},
		{"NaN is now", s, fresh, math.NaN(), "Mon 10:00"},
		{"always open", always, sla.Start(4*time.Hour, at(t, always, "Fri 16:00")), 0.8, "Fri 19:12"},
		{"always open, partly used", always, used(sla.Start(4*time.Hour, at(t, always, "Fri 16:00")), always, "Fri 17:00", "Mon2 09:00"), 0.8, "Mon2 11:12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want time.Time
			if tt.want != "" {
				want = at(t, tt.s, tt.want)
			}
			if got := tt.timer.WarnAt(tt.s, tt.fraction); !got.Equal(want) {
				t.Errorf("WarnAt(%v) = %v, want %v", tt.fraction, got, want)
			}
		})
	}
}

func TestJSON(t *testing.T) {
	since := time.Date(2026, 3, 2, 10, 0, 0, 123456789, time.FixedZone("CET", 3600))
	tests := []struct {
		name  string
		timer sla.Timer
		json  string
		back  sla.Timer // when it differs from timer
	}{
		{"running", sla.Timer{Target: 4 * time.Hour, Remaining: 3*time.Hour + 30*time.Minute, Since: since, Running: true},
			`{"target_ms":14400000,"remaining_ms":12600000,"since":"2026-03-02T09:00:00.123456789Z","running":true}`, sla.Timer{}},
		{"paused, overdue", sla.Timer{Target: 4 * time.Hour, Remaining: -90 * time.Minute},
			`{"target_ms":14400000,"remaining_ms":-5400000,"running":false}`, sla.Timer{}},
		{"sub-millisecond remainders are dropped", sla.Timer{Target: time.Hour, Remaining: 1500 * time.Microsecond},
			`{"target_ms":3600000,"remaining_ms":1,"running":false}`, sla.Timer{Target: time.Hour, Remaining: time.Millisecond}},
		{"a stray since on a paused timer is not stored", sla.Timer{Target: time.Hour, Remaining: time.Hour, Since: since},
			`{"target_ms":3600000,"remaining_ms":3600000,"running":false}`, sla.Timer{Target: time.Hour, Remaining: time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := json.Marshal(tt.timer)
			if err != nil {
				t.Fatal(err)
			}
			if string(data) != tt.json {
				t.Errorf("Marshal = %s, want %s", data, tt.json)
			}
			var got sla.Timer
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatal(err)
			}
			want := tt.timer
			if tt.back != (sla.Timer{}) {
				want = tt.back
			}
			if got.Target != want.Target || got.Remaining != want.Remaining || got.Running != want.Running || !got.Since.Equal(want.Since) {
				t.Errorf("Unmarshal = %+v, want %+v", got, want)
			}
		})
	}
	if _, err := json.Marshal(sla.Timer{Target: time.Hour, Remaining: time.Hour, Running: true}); err == nil || !strings.Contains(err.Error(), "sla: timer: running without since") {
		t.Errorf("Marshal of a running timer without since = %v", err)
	}
	for _, bad := range []string{
		`{"target_ms":1,"remaining_ms":1,"running":true}`,
		`{"target_ms":1,"remaining_ms":1,"since":"yesterday","running":true}`,
		`{"target_ms":9223372036854775807,"remaining_ms":1,"running":false}`,
		`{"target_ms":"1h"}`,
		`[]`,
	} {
		var timer sla.Timer
		if err := json.Unmarshal([]byte(bad), &timer); err == nil || !strings.HasPrefix(err.Error(), "sla: timer: ") {
			t.Errorf("Unmarshal(%s) = %v, want an sla: timer: error", bad, err)
		}
	}
}

// A process restarts with a running timer stored: the reloaded timer gives
// the same deadline, warning and countdown.
func TestRestart(t *testing.T) {
	s := MustNineToFive(t)
	timer := sla.Start(4*time.Hour, at(t, s, "Thu 15:00"))
	timer.Pause(s, at(t, s, "Thu 16:00"))
	timer.Resume(at(t, s, "Fri 10:15"))
	stored, err := json.Marshal(map[string]sla.Timer{"first_response": timer})
	if err != nil {
		t.Fatal(err)
	}
	var loaded map[string]sla.Timer
	if err := json.Unmarshal(stored, &loaded); err != nil {
		t.Fatal(err)
	}
	back := loaded["first_response"]
	want := at(t, s, "Fri 13:15")
	if got := back.Due(s); !got.Equal(want) || !got.Equal(timer.Due(s)) {
		t.Errorf("Due after restart = %v, before %v, want %v", got, timer.Due(s), want)
	}
	if got, want := back.WarnAt(s, 0.8), at(t, s, "Fri 12:27"); !got.Equal(want) || !got.Equal(timer.WarnAt(s, 0.8)) {
		t.Errorf("WarnAt after restart = %v, want %v", got, want)
	}
	for _, v := range []string{"Fri 11:00", "Fri 13:15", "Mon2 10:00"} {
		now := at(t, s, v)
		if back.Left(s, now) != timer.Left(s, now) || back.Breached(s, now) != timer.Breached(s, now) {
			t.Errorf("at %s: Left %v / %v, Breached %v / %v", v, back.Left(s, now), timer.Left(s, now), back.Breached(s, now), timer.Breached(s, now))
		}
	}
	// The count goes on after the restart.
	back.Pause(s, at(t, s, "Fri 12:15"))
	if back.Remaining != time.Hour {
		t.Errorf("Remaining after a pause = %v, want 1h", back.Remaining)
	}
}
