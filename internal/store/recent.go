package store

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/parleyhq/parley/internal/parley"
)

// recentEvents keeps the stretch of the event log this process read last,
// so that its other readers find it in memory. Every event is read by the
// live hub, by each event consumer (flows' triggers, the report
// projector, widget replies) and by each open agent stream that catches
// up: under load that was three and a half reads of every event, each a
// query and the decoding of its rows.
//
// What a read of the log returns (DB.Events) is complete for the numbers
// it spans: every event numbered from after+1 to the last one returned
// that will ever commit is in it (events.go). So the window holds
// (lo, hi] and every event in it, and a read that starts inside the
// window needs the database only for what lies past hi. Windows from two
// reads join when they touch or overlap; a read elsewhere starts a new
// window. Events never change once written, so nothing needs to expire.
type recentEvents struct {
	mu     sync.Mutex
	lo, hi int64
	evs    []parley.Event
	reads  atomic.Int64 // reads that went to the database, for tests
}

// recentMax bounds the window: about a second of events at full ingest,
// enough for readers that trail one another by a poll or two.
const recentMax = 8192

// take returns up to limit events after after from the window, and the
// number they are complete up to, when the window holds after; ok is
// false otherwise. A short answer ends at upTo, where the log goes on.
func (r *recentEvents) take(after int64, limit int) (evs []parley.Event, upTo int64, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.hi == 0 || after < r.lo || after >= r.hi {
		return nil, 0, false
	}
	i, _ := slices.BinarySearchFunc(r.evs, after+1, func(e parley.Event, seq int64) int { return cmp.Compare(e.Seq, seq) })
	n := min(limit, len(r.evs)-i)
	evs = slices.Clone(r.evs[i : i+n])
	if n == limit && n > 0 {
		return evs, evs[n-1].Seq, true
	}
	return evs, r.hi, true
}

// add records a read of the log: evs, complete for (after, the last of
// them].
func (r *recentEvents) add(after int64, evs []parley.Event) {
	if len(evs) == 0 {
		return
	}
	last := evs[len(evs)-1].Seq
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.hi != 0 && after >= r.lo && after <= r.hi:
		if last <= r.hi {
			return // nothing new
		}
		i, _ := slices.BinarySearchFunc(evs, r.hi+1, func(e parley.Event, seq int64) int { return cmp.Compare(e.Seq, seq) })
		r.evs = append(r.evs, evs[i:]...)
		r.hi = last
	default:
		r.lo, r.hi, r.evs = after, last, slices.Clone(evs)
	}
	if over := len(r.evs) - recentMax; over > 0 {
		// Drop the oldest quarter at once, so the copy is rare.
		over = max(over, recentMax/4)
		r.lo = r.evs[over-1].Seq
		r.evs = slices.Clone(r.evs[over:])
	}
}
