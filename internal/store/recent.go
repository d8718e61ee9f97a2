package store

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/parleyhq/parley/internal/parley"
)

// recentEvents keeps the stretch of the event log this process read last,
// so that its other readers find it in memory. Every event is read by the
// live hub and by each event consumer (flows' triggers, the report
// projector, widget replies), all woken by the same commits, and by each
// agent stream that catches up: under load that was three and a half
// reads of every event, each a query and the decoding of its rows.
//
// What a read of the log returns (DB.Events) is complete for the numbers
// it spans: every event numbered from after+1 to the last one returned
// that will ever commit is in it (events.go). So the window holds
// (lo, hi] and every event in it, and a read that starts inside the
// window needs the database only for what lies past hi. A read that
// touches or overlaps the window extends it; one past its end starts a
// new window; one behind it (a consumer catching up) leaves it alone.
// Events never change once written, so nothing needs to expire.
//
// Readers at the window's end take turns (waitTurn). A reader that waited
// while another read to the end of the log needs no query of its own if
// that read began after it came: everything committed before it came is
// then in the window (fresh).
type recentEvents struct {
	mu     sync.Mutex
	lo, hi int64
	evs    []parley.Event
	begun  int64 // reads past the window begun, numbered from 1
	fresh  int64 // the latest of them that reached the log's end, joined to the window
	turn   chan struct{}
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
	evs = r.from(after, limit)
	if len(evs) == limit {
		return evs, evs[limit-1].Seq, true
	}
	return evs, r.hi, true
}

// from copies up to limit events after after out of the window (which
// holds after); the caller holds mu.
func (r *recentEvents) from(after int64, limit int) []parley.Event {
	i, _ := slices.BinarySearchFunc(r.evs, after+1, func(e parley.Event, seq int64) int { return cmp.Compare(e.Seq, seq) })
	return slices.Clone(r.evs[i : i+min(limit, len(r.evs)-i)])
}

// takeAll is take for Events: what the window holds after after, and
// where the rest of the read must start and how much of it is left (0:
// none).
func (r *recentEvents) takeAll(after int64, limit int) ([]parley.Event, int64, int) {
	held, upTo, ok := r.take(after, limit)
	if !ok {
		return nil, after, limit
	}
	return held, upTo, limit - len(held)
}

// arrive tells a reader about to read past the window (or with no window
// yet) where the reads stand: it is answered from memory after its turn
// if a read begun later reached the log's end meanwhile.
func (r *recentEvents) arrive(after int64) (atEnd bool, seen int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hi == 0 || after >= r.hi, r.begun
}

// answered returns what a reader that came when seen reads had begun may
// have from the window alone: ok when a read begun after that reached
// the end of the log and the window holds after.
func (r *recentEvents) answered(after int64, limit int, seen int64) ([]parley.Event, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fresh <= seen || r.hi == 0 || after < r.lo || after > r.hi {
		return nil, false
	}
	return r.from(after, limit), true
}

// begin numbers a read past the window.
func (r *recentEvents) begin() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.begun++
	return r.begun
}

// waitTurn waits until no other reader is reading past the window.
func (r *recentEvents) waitTurn(ctx context.Context) error {
	r.mu.Lock()
	if r.turn == nil {
		r.turn = make(chan struct{}, 1)
	}
	turn := r.turn
	r.mu.Unlock()
	select {
	case turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *recentEvents) endTurn() { <-r.turn }

// add records a read of the log: evs, complete for (after, the last of
// them]. n is the read's number from begin (0 for a read that did not
// start at the window's end) and end whether it reached the end of the
// log (returned less than it asked for).
func (r *recentEvents) add(after int64, evs []parley.Event, n int64, end bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	joined := r.hi != 0 && after >= r.lo && after <= r.hi
	switch {
	case joined:
		if len(evs) > 0 && evs[len(evs)-1].Seq > r.hi {
			i, _ := slices.BinarySearchFunc(evs, r.hi+1, func(e parley.Event, seq int64) int { return cmp.Compare(e.Seq, seq) })
			r.evs = append(r.evs, evs[i:]...)
			r.hi = evs[len(evs)-1].Seq
		}
	case len(evs) == 0, r.hi != 0 && after < r.lo:
		return // says nothing of the window, or lies behind it
	default:
		r.lo, r.hi, r.evs, r.fresh = after, evs[len(evs)-1].Seq, slices.Clone(evs), 0
		joined = true
	}
	if joined && end && n > r.fresh {
		r.fresh = n
	}
	if over := len(r.evs) - recentMax; over > 0 {
		// Drop the oldest quarter at once, so the copy is rare.
		over = max(over, recentMax/4)
		r.lo = r.evs[over-1].Seq
		r.evs = slices.Clone(r.evs[over:])
	}
}
