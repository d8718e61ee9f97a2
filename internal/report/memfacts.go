package report

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/store"
)

// store.DB.FactConversations names the label facts' metric in SQL (its
// partial index needs the constant): this fails to compile if it moves.
var _ = [1]int{}[mLabel-19]

// The same for the running facts' partial indexes (migration 0008).
var _, _ = [1]int{}[mBusy-12], [1]int{}[mStatusIn-13]

// factSource is where a report reads facts beyond the daily rollups: the
// store, or (memFacts) the facts of the few conversations an agent or a
// label filter keeps, read once.
type factSource interface {
	SumFacts(ctx context.Context, metrics []int, from, to time.Time, f store.FactFilter, agentMetrics []int) ([]store.RollupRow, error)
	ListFacts(ctx context.Context, q store.FactQuery) ([]store.Fact, error)
	FactValues(ctx context.Context, metric, bin int, from, to time.Time, f store.FactFilter, offset, limit int) ([]time.Duration, error)
	VolumeByAttrs(ctx context.Context, metric int, raw [][2]time.Time, f store.FactFilter) ([]store.VolumeRow, error)
}

// sourceFor is where a report under ff reads facts: the store, or the
// facts of an agent's (or, with another attribute, a label's)
// conversations in memory.
func sourceFor(ctx context.Context, db *store.DB, ff store.FactFilter) (factSource, error) {
	if _, _, one := ff.Dim(); ff.AgentID != 0 || (ff.Label != "" && !one) {
		return subset(ctx, db, ff)
	}
	return db, nil
}

// subset reads into memory the facts of the conversations an agent or
// label filter keeps: an agent's or a label's conversations are a small
// part of a large log, and reading their facts once through the
// conversation index beats scanning every metric's period for them.
func subset(ctx context.Context, db *store.DB, ff store.FactFilter) (memFacts, error) {
	var ids []int64
	var err error
	if ff.AgentID != 0 {
		ids, err = db.FactConversations(ctx, mTouch, ff.AgentID, "")
	} else {
		ids, err = db.FactConversations(ctx, mLabel, 0, ","+ff.Label+",")
	}
	if err != nil {
		return nil, err
	}
	if ff.AgentID != 0 && ff.Label != "" {
		labelled, err := db.FactConversations(ctx, mLabel, 0, ","+ff.Label+",")
		if err != nil {
			return nil, err
		}
		keep := map[int64]bool{}
		for _, id := range labelled {
			keep[id] = true
		}
		ids = slices.DeleteFunc(ids, func(id int64) bool { return !keep[id] })
	}
	facts, err := db.ConversationFacts(ctx, ids)
	return memFacts(facts), err
}

// memFacts answers a factSource's reads from facts held in memory, with
// the same filter rules as the SQL (store.FactFilter).
type memFacts []store.Fact

func matches(f store.Fact, ff store.FactFilter) bool {
	if len(ff.InboxIDs) > 0 && !slices.Contains(ff.InboxIDs, f.InboxID) {
		return false
	}
	if ff.TeamID != 0 && f.TeamID != ff.TeamID {
		return false
	}
	if ff.Priority != "" && f.Priority != ff.Priority {
		return false
	}
	if ff.Label != "" && !strings.Contains(f.Labels, ","+ff.Label+",") {
		return false
	}
	if ff.AgentID != 0 && slices.Contains(ff.AgentMetrics, f.Metric) && f.AgentID != ff.AgentID {
		return false
	}
	return true
}

// each calls fn for the facts of metrics with at in [from, to) under ff.
func (m memFacts) each(metrics []int, from, to time.Time, ff store.FactFilter, fn func(store.Fact)) {
	for _, f := range m {
		if slices.Contains(metrics, f.Metric) && !f.At.Before(from) && f.At.Before(to) && matches(f, ff) {
			fn(f)
		}
	}
}

func (m memFacts) SumFacts(_ context.Context, metrics []int, from, to time.Time, ff store.FactFilter, agentMetrics []int) ([]store.RollupRow, error) {
	sums := map[store.RollupRow]store.RollupSum{}
	m.each(metrics, from, to, ff, func(f store.Fact) {
		k := store.RollupRow{Day: store.Day(f.At), Metric: f.Metric, Flag: f.Flag, Bin: f.Bin}
		if slices.Contains(agentMetrics, f.Metric) {
			k.AgentID = f.AgentID
		}
		s := sums[k]
		s.N++
		s.Total += int64(f.Value / time.Microsecond)
		sums[k] = s
	})
	out := make([]store.RollupRow, 0, len(sums))
	for k, s := range sums {
		k.RollupSum = s
		out = append(out, k)
	}
	return out, nil
}

func (m memFacts) ListFacts(_ context.Context, q store.FactQuery) ([]store.Fact, error) {
	var out []store.Fact
	m.each(q.Metrics, q.From, q.To, q.Filter, func(f store.Fact) {
		if !q.Running || f.Until == nil {
			out = append(out, f)
		}
	})
	return out, nil
}

func (m memFacts) FactValues(_ context.Context, metric, bin int, from, to time.Time, ff store.FactFilter, offset, limit int) ([]time.Duration, error) {
	var vals []time.Duration
	m.each([]int{metric}, from, to, ff, func(f store.Fact) {
		if f.Bin == bin {
			vals = append(vals, f.Value)
		}
	})
	slices.Sort(vals)
	if offset >= len(vals) {
		return nil, nil
	}
	return vals[offset:min(len(vals), offset+limit)], nil
}

func (m memFacts) VolumeByAttrs(_ context.Context, metric int, raw [][2]time.Time, ff store.FactFilter) ([]store.VolumeRow, error) {
	var out []store.VolumeRow
	for _, rg := range raw {
		m.each([]int{metric}, rg[0], rg[1], ff, func(f store.Fact) {
			out = append(out, store.VolumeRow{InboxID: f.InboxID, TeamID: f.TeamID, Labels: f.Labels, N: 1})
		})
	}
	return out, nil
}
