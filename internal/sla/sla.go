// Package sla counts service-level targets down in business time: a Timer
// for "first response within 4 hours of business time" runs while the
// conversation waits on the team, pauses while it waits on the customer or
// is snoozed, and resumes where it left off. Business time comes from an
// hours.Schedule; the Timer stores no schedule, so the same stored timer
// follows an inbox's hours as they are edited. Standard library only (and
// internal/hours).
//
// A Timer is running or paused. Stopping one (the target was met, or no
// longer applies) is pausing it for good: the caller records why.
//
// Times passed in come from the caller's clock; nothing here reads the clock.
package sla

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/parleyhq/parley/internal/hours"
)

// Timer counts a target (e.g. first response within 4 h of business time)
// down in business time. It runs, or is paused (conversation pending on the
// customer, or snoozed), or is stopped (met or no longer relevant; stored
// paused).
//
// Its JSON form is {"target_ms":…, "remaining_ms":…, "since":…, "running":…}:
// durations in whole milliseconds (a sub-millisecond remainder is dropped,
// toward zero), since as RFC 3339 in UTC with nanoseconds, left out while
// paused.
type Timer struct {
	Target    time.Duration // the whole target, business time
	Remaining time.Duration // business time left as of Since (running) or while paused; negative when overdue
	Since     time.Time     // when it last started or resumed (running); zero when paused
	Running   bool
}

// Start returns a running timer for target, started at now.
func Start(target time.Duration, now time.Time) Timer {
	return Timer{Target: target, Remaining: target, Since: now, Running: true}
}

// Pause stops the count at now, keeping the business time left: Remaining
// loses the business time between Since and now. Pausing a paused timer
// does nothing; a now before Since counts nothing.
func (t *Timer) Pause(s hours.Schedule, now time.Time) {
	if !t.Running {
		return
	}
	t.Remaining -= s.Between(t.Since, now)
	t.Since, t.Running = time.Time{}, false
}

// Resume starts the count again at now. Resuming a running timer does
// nothing (it keeps its Since).
func (t *Timer) Resume(now time.Time) {
	if t.Running {
		return
	}
	t.Since, t.Running = now, true
}

// Left returns the business time left at now. When overdue it is negative:
// the business time past due, negated. Closed time after the due instant
// does not count, so just after a 17:00 deadline, on a 09:00–17:00
// schedule, Left is 0 until 09:00 the next working day (Breached is true).
func (t Timer) Left(s hours.Schedule, now time.Time) time.Duration {
	if !t.Running {
		return t.Remaining
	}
	return t.Remaining - s.Between(t.Since, now)
}

// Due returns when the target runs out, for a running timer: s.Add(Since,
// Remaining). A timer already overdue when it was resumed (Remaining <= 0)
// returns Since: it is due at once. A paused timer, or a schedule that
// never opens (see hours.Schedule.Add), returns the zero time: no deadline.
func (t Timer) Due(s hours.Schedule) time.Time {
	if !t.Running {
		return time.Time{}
	}
	if t.Remaining <= 0 {
		return t.Since
	}
	return s.Add(t.Since, t.Remaining)
}

// WarnAt returns, for a running timer, the instant at which fraction of the
// target has been used, that is when (1-fraction)*Target is left; callers
// use 0.8 by default. If that point has already been reached (Remaining <=
// (1-fraction)*Target) it returns Since, meaning "warn now". fraction is
// clamped to [0, 1] (NaN counts as 0). A paused timer, or a schedule that
// never opens, returns the zero time.
func (t Timer) WarnAt(s hours.Schedule, fraction float64) time.Time {
	if !t.Running {
		return time.Time{}
	}
	switch {
	case !(fraction > 0): // also NaN
		fraction = 0
	case fraction > 1:
		fraction = 1
	}
	used := time.Duration(math.Round(float64(t.Target) * fraction))
	warnLeft := t.Target - used
	if t.Remaining <= warnLeft {
		return t.Since
	}
	return s.Add(t.Since, t.Remaining-warnLeft)
}

// Breached reports whether the whole target has been used by now: Left is
// 0 or below. A timer is breached from its due instant on, and a paused
// timer stays breached if it was when paused. A zero target is breached at once.
func (t Timer) Breached(s hours.Schedule, now time.Time) bool {
	return t.Left(s, now) <= 0
}

// timerJSON is the stored form of a Timer.
type timerJSON struct {
	TargetMS    int64     `json:"target_ms"`
	RemainingMS int64     `json:"remaining_ms"`
	Since       time.Time `json:"since,omitzero"`
	Running     bool      `json:"running"`
}

// MarshalJSON writes the timer's stored form (see Timer). It refuses a
// running timer without Since, which could not be read back.
func (t Timer) MarshalJSON() ([]byte, error) {
	v := timerJSON{TargetMS: t.Target.Milliseconds(), RemainingMS: t.Remaining.Milliseconds(), Running: t.Running}
	if t.Running {
		if t.Since.IsZero() {
			return nil, errors.New("sla: timer: running without since")
		}
		v.Since = t.Since.UTC()
	}
	return json.Marshal(v)
}

// UnmarshalJSON reads the stored form. It refuses a running timer without
// since, and durations outside what time.Duration holds.
func (t *Timer) UnmarshalJSON(data []byte) error {
	var v timerJSON
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("sla: timer: %w", err)
	}
	const maxMS = math.MaxInt64 / int64(time.Millisecond)
	if v.TargetMS > maxMS || v.TargetMS < -maxMS || v.RemainingMS > maxMS || v.RemainingMS < -maxMS {
		return errors.New("sla: timer: duration out of range")
	}
	if v.Running && v.Since.IsZero() {
		return errors.New("sla: timer: running without since")
	}
	*t = Timer{
		Target:    time.Duration(v.TargetMS) * time.Millisecond,
		Remaining: time.Duration(v.RemainingMS) * time.Millisecond,
		Running:   v.Running,
	}
	if v.Running {
		t.Since = v.Since
	}
	return nil
}
