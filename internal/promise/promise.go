// Package promise estimates when a team will reply to a customer who
// writes now. It is pure arithmetic over figures the caller reads from the
// store (the team's recent first responses, the queue, who is online,
// business hours), so that the widget, the acknowledgement and the API
// share one estimator and can only differ when the data does.
//
// The rules, in the order they apply (docs/ROUTING.md says the same):
//
//  1. The base is the 80th percentile of the business-time first responses
//     in History (the team's last HistorySize conversations of that
//     priority that got one). With fewer than MinHistory of them it is
//     Target (the SLA's first-response target, or the priority's default).
//  2. A queued conversation waits for the conversations ahead of it: each
//     adds base/online (online agents share the queue; with nobody online,
//     as if one comes back). Number 1 in line has nobody ahead.
//  3. The result is rounded up to 5, 10, 15 or 30 minutes, then whole
//     hours.
//  4. It is counted in business time from now; with nobody online, from
//     the start of the next business period (the clock cannot start before
//     someone is there), and without business hours there is no time to
//     give at all: ReplyBy is zero, and the customer is told "as soon as
//     we're back".
package promise

import (
	"math"
	"slices"
	"time"

	"github.com/parleyhq/parley/internal/hours"
)

const (
	// HistorySize is how many of the team's latest first responses count.
	HistorySize = 50
	// MinHistory is how many are needed before history beats the target.
	MinHistory = 5
	// Quantile of History used as the base: a promise the team keeps four
	// times out of five, not its average.
	Quantile = 0.8
)

// Input is what the estimate is made from.
type Input struct {
	Now time.Time
	// Hours are the team's business hours; HasHours is false when the
	// team has none (Hours is then always open, and says nothing about
	// when someone comes back).
	Hours    hours.Schedule
	HasHours bool
	// History are business-time first responses, at most HistorySize.
	History []time.Duration
	// Target is the base with fewer than MinHistory responses.
	Target time.Duration
	// Queued says the conversation waits for an agent (or would), behind
	// Ahead others.
	Queued bool
	Ahead  int
	// Online counts the agents who chose to be online and could take it.
	Online int
}

// Estimate is the promise.
type Estimate struct {
	Wait       time.Duration // business time, rounded up
	ReplyBy    time.Time     // zero: nobody online and no hours to say when someone will be
	AfterHours bool          // business hours are closed now
	Away       bool          // nobody is online
}

// Make computes the estimate for in.
func Make(in Input) Estimate {
	base := in.Target
	if len(in.History) >= MinHistory {
		base = quantile(in.History, Quantile)
	}
	wait := base
	if in.Queued && in.Ahead > 0 {
		wait += time.Duration(float64(base) * float64(in.Ahead) / float64(max(1, in.Online)))
	}
	e := Estimate{Wait: RoundUp(wait), AfterHours: !in.Hours.IsOpen(in.Now), Away: in.Online == 0}
	start := in.Now
	if e.Away {
		if !in.HasHours {
			return e // nobody here and nothing says when they will be
		}
		// From the end of the current open stretch (now itself when
		// closed): Add then counts from the next opening.
		if start = in.Hours.NextClose(in.Now); start.IsZero() {
			return e // open around the clock: no next period to name
		}
	}
	e.ReplyBy = in.Hours.Add(start, e.Wait)
	if e.ReplyBy.IsZero() { // never opens again: promise nothing faster than the wait
		e.ReplyBy = start.Add(e.Wait)
	}
	return e
}

// quantile is the q-quantile of d by the nearest-rank method.
func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	d = slices.Clone(d)
	slices.Sort(d)
	return d[max(0, int(math.Ceil(q*float64(len(d))))-1)]
}

// RoundUp makes an estimate a promise a person would make: 5, 10, 15 or
// 30 minutes, then whole hours.
func RoundUp(d time.Duration) time.Duration {
	for _, step := range []time.Duration{5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour} {
		if d <= step {
			return step
		}
	}
	return (d + time.Hour - 1).Truncate(time.Hour)
}
