package report

import (
	"cmp"
	"slices"
	"time"

	"github.com/parleyhq/parley/internal/hours"
)

// ConvResult is one conversation's own figures, for exports and audits:
// it backs the period's medians with the rows they were drawn from.
type ConvResult struct {
	ID int64
	ConvInfo
	// CreatedAt is zero when the conversation's creation is not in the
	// events given.
	CreatedAt time.Time
	// FirstResponse is the time from the first customer message to the
	// first agent reply, when there was one before to.
	HasFirstResponse bool
	FirstResponse    Span
	// Resolution is the total of the open spells, when the conversation is
	// resolved at to; ResolvedAt is its latest resolution.
	HasResolution bool
	ResolvedAt    time.Time
	Resolution    Span
}

// Span is a duration in calendar and business time.
type Span struct {
	Calendar, Business time.Duration
}

// Conversations returns, by id, the conversations under f that were
// created in [from, to) or whose latest resolution falls in it, with
// their first response and resolution times as Compute counts them (the
// agent filter keeps conversations the agent took part in, as Compute
// does; their first response may be another agent's).
func Conversations(in Input, from, to time.Time, f Filter) []ConvResult {
	out := []ConvResult{}
	for id, evs := range group(in.Events, to) {
		info := in.Conversations[id]
		if !f.matches(info) {
			continue
		}
		sch := hours.AlwaysOpen()
		if in.Schedules != nil {
			sch = in.Schedules(info)
		}
		c := replay(evs, sch)
		if f.AgentID != 0 && !c.agents[f.AgentID] {
			continue
		}
		created := !c.created.IsZero() && !c.created.Before(from)
		resolved := c.resolved && !c.lastResolve.Before(from) && c.spellCount > 0
		if !created && !resolved {
			continue
		}
		r := ConvResult{ID: id, ConvInfo: info, CreatedAt: c.created}
		for _, s := range c.responses {
			if s.first {
				r.HasFirstResponse, r.FirstResponse = true, Span{s.cal, s.biz}
				break
			}
		}
		if c.resolved && c.spellCount > 0 {
			r.HasResolution, r.ResolvedAt, r.Resolution = true, c.lastResolve, Span{c.resCal, c.resBiz}
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b ConvResult) int { return cmp.Compare(a.ID, b.ID) })
	return out
}
