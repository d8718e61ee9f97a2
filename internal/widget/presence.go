package widget

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"
)

// Visitor presence. Whether a visitor has the widget open matters to the
// reply notifier: a visitor still there is not emailed. The notifier's job
// may run on any node, so presence has two parts:
//
//   - this node's open streams, in memory (presence.open): exact, and
//     what the notifier asks first;
//   - contacts.last_seen_at in the database, for every node to read: the
//     notifier skips a visitor seen within the inbox's away time (at least
//     a minute).
//
// The database part is written in batches, not by each stream: every
// presenceEvery, one statement refreshes all the contacts with a stream
// open on this node; and within about presenceQuick of a stream opening or
// closing, one statement records the contacts that came or left since the
// last write, so the time a visitor left is known to every node at once.
// A visitor with a stream open on any node is therefore never older than
// presenceEvery + presenceQuick in the database, well inside the shortest
// away time. (Before, each stream wrote its own row every 30 s: 333
// writes a second for 10,000 open widgets.)

// presenceEvery is how often the contacts with an open stream are all
// written as seen now.
const presenceEvery = 30 * time.Second

// presenceQuick is the longest a stream's opening or closing waits to be
// written (arrivals and departures close together share one write).
const presenceQuick = time.Second

// presence is one node's record of its open widget streams.
type presence struct {
	mu      sync.Mutex
	open    map[int64]int      // contact id → streams open here
	changed map[int64]struct{} // contacts that came or left since the last write
	wake    chan struct{}
}

func newPresence() *presence {
	return &presence{open: map[int64]int{}, changed: map[int64]struct{}{}, wake: make(chan struct{}, 1)}
}

// add records a stream opening for the contact; remove, its closing.
func (p *presence) add(contactID int64)    { p.change(contactID, 1) }
func (p *presence) remove(contactID int64) { p.change(contactID, -1) }

func (p *presence) change(contactID int64, delta int) {
	p.mu.Lock()
	if p.open[contactID] += delta; p.open[contactID] <= 0 {
		delete(p.open, contactID)
	}
	p.changed[contactID] = struct{}{}
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// present reports whether the contact has a stream open on this node.
func (p *presence) present(contactID int64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.open[contactID] > 0
}

// take returns the contacts to write: those that came or left, and with
// all set, every contact with a stream open too.
func (p *presence) take(all bool) []int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	ids := slices.Collect(maps.Keys(p.changed))
	clear(p.changed)
	if all {
		for id := range p.open {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// putBack returns contacts whose write failed, for the next one.
func (p *presence) putBack(ids []int64) {
	p.mu.Lock()
	for _, id := range ids {
		p.changed[id] = struct{}{}
	}
	p.mu.Unlock()
}

// run writes presence until ctx ends, then once more (the streams that
// closed at shutdown): all open contacts each period (presenceEvery),
// arrivals and departures within quick (presenceQuick). write stores
// "seen now" for the contacts given.
func (p *presence) run(ctx context.Context, period, quick time.Duration, write func(context.Context, []int64) error) {
	flush := func(all bool) {
		ids := p.take(all)
		if len(ids) == 0 {
			return
		}
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := write(wctx, ids); err != nil {
			slog.Warn("widget: record presence", "contacts", len(ids), "err", err)
			p.putBack(ids)
		}
	}
	every := time.NewTicker(period)
	defer every.Stop()
	for {
		select {
		case <-ctx.Done():
			flush(true)
			return
		case <-every.C:
			flush(true)
			continue
		case <-p.wake:
		}
		flush(false)
		// Arrivals and departures in the next moment wait for one write.
		select {
		case <-ctx.Done():
		case <-time.After(quick):
		}
	}
}
