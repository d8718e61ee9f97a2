package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/work"
)

// projectBatch is how many events one projection step reads.
const projectBatch = 2000

// Projector returns the consumer that projects the event log into facts
// (a work.Consumer with the cursor store.ReportConsumer): every
// conversation with an event in a batch is replayed whole and its facts
// replaced, with the rollups changed to match, in the transaction that
// moves the cursor past the batch. The app runs it under a lease, every
// 15 s; Project runs it once, on any node.
func Projector(db *store.DB) *work.Consumer {
	return &work.Consumer{Name: store.ReportConsumer, DB: db, Batch: projectBatch, Every: 15 * time.Second,
		Handle: func(ctx context.Context, evs []parley.Event) (work.Commit, error) {
			// Read per batch: a change of hours or windows also sends the
			// cursor back, and this batch then fails its compare and swap.
			set, err := loadSettings(ctx, db)
			if err != nil {
				return nil, err
			}
			seen := map[int64]bool{}
			var ids []int64
			for _, e := range evs {
				if e.ConversationID != nil && changesFacts(e) && !seen[*e.ConversationID] {
					seen[*e.ConversationID] = true
					ids = append(ids, *e.ConversationID)
				}
			}
			p, err := project(ctx, db, set, ids, db.Now().UTC())
			if err != nil {
				return nil, err
			}
			return func(tx *store.Tx) error { return tx.ApplyProjection(p) }, nil
		}}
}

// Project brings the facts up to the end of the event log (see
// Projector). It stops when it has caught up or when ctx ends. Several
// processes may project at once: a step whose events another process
// projected first is dropped (the cursor is compared and swapped) and
// the next one starts from the new cursor.
func Project(ctx context.Context, db *store.DB) error {
	if err := Projector(db).Drain(ctx); err != nil {
		return fmt.Errorf("report: Project: %w", err)
	}
	return nil
}

// project replays the conversations ids and returns their new facts, the
// rollup changes from their stored facts, and the agents' daily peaks that
// change with them.
func project(ctx context.Context, db *store.DB, set settings, ids []int64, now time.Time) (p store.Projection, err error) {
	p.Rollup = map[store.RollupKey]store.RollupSum{}
	p.AgentDays = map[store.AgentDay]int{}
	if len(ids) == 0 {
		return p, nil
	}
	hist, err := db.ConversationHistories(ctx, ids)
	if err != nil {
		return p, err
	}
	infos, err := db.ReportConversations(ctx, ids)
	if err != nil {
		return p, err
	}
	old, err := db.ConversationFacts(ctx, ids)
	if err != nil {
		return p, err
	}
	var fresh []store.Fact
	for id, evs := range group(hist, now.Add(store.EventClockSkew)) {
		info := FromStore(infos[id])
		c := replay(evs, set.schedule(info))
		fresh = append(fresh, factsOf(id, c, info, set.window(info.InboxID), now)...)
	}
	// Only what changed is written: a new message usually changes no fact
	// of its conversation, and then the step writes nothing but the cursor.
	var removed []store.Fact
	removed, p.Facts = diffFacts(old, fresh)
	for _, f := range removed {
		p.Removed = append(p.Removed, f.ID)
	}
	// Which agent days the change touches: those of the assignment pieces
	// that went or came.
	touched := map[int64]map[int64]bool{}
	for sign, list := range map[int64][]store.Fact{-1: removed, 1: p.Facts} {
		for _, f := range list {
			rollupOf(p.Rollup, f, sign)
			if f.Metric != mBusy {
				continue
			}
			if touched[f.AgentID] == nil {
				touched[f.AgentID] = map[int64]bool{}
			}
			last := store.Day(f.At)
			if sign < 0 && f.Until == nil {
				// A running piece counted in every later day's peak
				// computed while it ran: those days change too.
				last = max(last, store.Day(now))
			}
			for d := store.Day(f.At); d <= last; d++ {
				touched[f.AgentID][d] = true
			}
		}
	}
	inBatch := map[int64]bool{}
	for _, id := range ids {
		inBatch[id] = true
	}
	for agent, days := range touched {
		first, last := int64(1<<62), int64(-1<<62)
		for d := range days {
			first, last = min(first, d), max(last, d)
		}
		stored, err := db.AgentBusy(ctx, mBusy, agent, store.DayStart(first), store.DayStart(last+1))
		if err != nil {
			return p, err
		}
		busy := slices.DeleteFunc(stored, func(f store.Fact) bool { return inBatch[f.ConversationID] })
		for _, f := range fresh {
			if f.Metric == mBusy && f.AgentID == agent {
				busy = append(busy, f)
			}
		}
		for d := range days {
			for k, peak := range dayPeaks(busy, removed, agent, d) {
				p.AgentDays[store.AgentDay{AgentID: agent, Day: d, Dim: k[0], Val: k[1]}] = peak
			}
		}
	}
	return p, nil
}

// dayPeaks returns an agent's peaks over UTC day d from their busy
// pieces: over all of them (dim "") and within each inbox, team and
// priority (store.Dims) of the pieces of that day — or of the pieces
// before the change (removed), whose peak may now be zero.
func dayPeaks(busy, removed []store.Fact, agent, d int64) map[[2]string]int {
	start, end := store.DayStart(d), store.DayStart(d+1)
	groups := map[[2]string][]store.Fact{{"", ""}: nil}
	for _, f := range removed {
		if f.Metric == mBusy && f.AgentID == agent && (store.Day(f.At) == d || (f.Until == nil && store.Day(f.At) < d)) {
			for _, k := range store.Dims(f.InboxID, f.TeamID, f.Priority, f.Labels) {
				groups[k] = groups[k][:0]
			}
		}
	}
	for _, f := range busy {
		if (f.Until == nil && f.At.Before(end)) || (!f.At.Before(start) && f.At.Before(end)) {
			groups[[2]string{"", ""}] = append(groups[[2]string{"", ""}], f)
			for _, k := range store.Dims(f.InboxID, f.TeamID, f.Priority, f.Labels) {
				groups[k] = append(groups[k], f)
			}
		}
	}
	out := map[[2]string]int{}
	for k, list := range groups {
		out[k] = dayPeak(list, d)
	}
	return out
}

// dayPeak is the peak of busy pieces over UTC day d: the pieces of that
// day, and the running ones begun before it.
func dayPeak(busy []store.Fact, d int64) int {
	start, end := store.DayStart(d), store.DayStart(d+1)
	var segs []segment
	for _, f := range busy {
		s := segment{start: f.At, end: end}
		if f.Until != nil {
			s.end = *f.Until
		}
		switch {
		case f.Until == nil && f.At.Before(end):
			s.start = maxTime(f.At, start)
		case f.At.Before(start) || !f.At.Before(end):
			continue
		}
		if s.end.After(end) {
			s.end = end
		}
		if s.start.Before(s.end) {
			segs = append(segs, s)
		}
	}
	return concurrency(segs, start, end).Peak
}

// catchUp projects what is left of the log before a report reads the
// facts, for at most projectWait. Running out of time, or failing (the
// background projector will retry), leaves the facts as they are: the
// report then says how many events it lacks. Only the caller's own
// context ending is an error.
func catchUp(ctx context.Context, db *store.DB) error {
	pctx, cancel := context.WithTimeout(ctx, projectWait)
	defer cancel()
	if err := Project(pctx, db); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if pctx.Err() == nil {
			slog.Warn("report: projecting before a report", "err", err)
		}
	}
	return nil
}

// factKey is a fact without its id, comparable.
type factKey struct {
	conv, at, until, agent, value int64
	metric, flag, bin             int
	inbox, team                   int64
	priority, labels              string
}

func keyOf(f store.Fact) factKey {
	k := factKey{conv: f.ConversationID, at: f.At.UnixMicro(), until: -1, agent: f.AgentID, value: int64(f.Value / time.Microsecond),
		metric: f.Metric, flag: f.Flag, bin: f.Bin, inbox: f.InboxID, team: f.TeamID, priority: string(f.Priority), labels: f.Labels}
	if f.Until != nil {
		k.until = f.Until.UnixMicro()
	}
	return k
}

// diffFacts returns the stored facts that are no longer true and the new
// facts that are not stored yet.
func diffFacts(old, fresh []store.Fact) (removed, added []store.Fact) {
	have := map[factKey][]store.Fact{}
	for _, f := range old {
		k := keyOf(f)
		have[k] = append(have[k], f)
	}
	for _, f := range fresh {
		k := keyOf(f)
		if list := have[k]; len(list) > 0 {
			have[k] = list[1:]
			continue
		}
		added = append(added, f)
	}
	for _, list := range have {
		removed = append(removed, list...)
	}
	return removed, added
}

// changesFacts reports whether an event can change its conversation's
// facts by itself. A customer's message, a delivery receipt or a queue
// position cannot: what a customer message starts (a wait, a spell)
// becomes a fact only at the reply or the resolution that ends it, which
// are events of their own and replay the whole history. Skipping them
// keeps the projector's work to the conversations whose state changed,
// which matters most under a flood of incoming messages.
func changesFacts(e parley.Event) bool {
	switch e.Type {
	case parley.EventConversationCreated, parley.EventConversationStatus, parley.EventConversationAssigned,
		parley.EventConversationTeam, parley.EventConversationPriority, parley.EventConversationLabels,
		parley.EventSLAMet, parley.EventSLABreached, parley.EventPromise:
		return true
	case parley.EventMessageCreated:
		// A response (an agent's, or a token's); Parley's own messages and
		// customers' change nothing. A customer's message, the flood, is
		// told apart without decoding.
		if !bytes.Contains(e.Data, []byte(parley.Outgoing)) {
			return false
		}
		var d eventData
		json.Unmarshal(e.Data, &d)
		return responds(e, d)
	}
	return false
}
