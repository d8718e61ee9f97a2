package report

import (
	"cmp"
	"slices"
	"time"

	"github.com/parleyhq/parley/internal/hours"
	"github.com/parleyhq/parley/internal/parley"
)

// ConvResult is one conversation's own figures, for exports and audits:
// it backs the period's numbers with the rows they were drawn from.
type ConvResult struct {
	ID int64
	ConvInfo
	// AssigneeID holds the conversation now (0: nobody); Replies counts
	// its agent replies (Parley's own messages are not replies).
	AssigneeID int64
	Replies    int
	// CreatedAt is zero when the conversation's creation is not in the
	// events given.
	CreatedAt time.Time
	// FirstResponse is the time from the first customer message to the
	// first agent reply, when there was one.
	HasFirstResponse bool
	FirstResponse    Span
	// NextResponses are the waits for the later replies (see
	// Report.NextResponseTime).
	NextResponses []Span
	// Resolution is the total of the open spells, when the conversation is
	// resolved now; ResolvedAt is its latest resolution.
	HasResolution bool
	ResolvedAt    time.Time
	Resolution    Span
	// Resolutions counts its resolutions, Reopens the customer reopenings
	// within the inbox's window.
	Resolutions, Reopens int
	// FirstContact is "yes" when its first resolution followed a single
	// agent reply and was not reopened within FCRWindow, "no" when not,
	// "pending" while the window runs, "" before any resolution.
	FirstContact string
}

// Span is a duration in calendar and business time.
type Span struct {
	Calendar, Business time.Duration
}

// Conversations returns, by id, the conversations under f that were
// created in [from, to) or whose latest resolution falls in it, with
// their own figures as Compute counts them, as known now (Input.Now; the
// agent filter keeps conversations the agent took part in, as Compute
// does; their first response may be another agent's).
func Conversations(in Input, from, to time.Time, f Filter) []ConvResult {
	now, limit := in.Now, to
	if now.IsZero() {
		now = to
	} else {
		limit = now.Add(time.Nanosecond)
	}
	in2 := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
	out := []ConvResult{}
	for id, evs := range group(in.Events, limit) {
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
		created := !c.created.IsZero() && in2(c.created)
		resolved := c.resolved && in2(c.lastResolve) && c.spellCount > 0
		if !created && !resolved {
			continue
		}
		r := ConvResult{ID: id, ConvInfo: info, CreatedAt: c.created, AssigneeID: c.assignee, Replies: c.replies,
			Resolutions: len(c.resolutions)}
		for _, s := range c.responses {
			if s.first {
				r.HasFirstResponse, r.FirstResponse = true, Span{s.cal, s.biz}
			} else {
				r.NextResponses = append(r.NextResponses, Span{s.cal, s.biz})
			}
		}
		if c.resolved && c.spellCount > 0 {
			r.HasResolution, r.ResolvedAt, r.Resolution = true, c.lastResolve, Span{c.resCal, c.resBiz}
		}
		window, ok := in.ReopenWindow[info.InboxID]
		if !ok {
			window = parley.DefaultReopenWindow
		}
		for i, res := range c.resolutions {
			customer := res.reopenedBy == "customer_message"
			if customer && res.reopenAt.Sub(res.at) <= window {
				r.Reopens++
			}
			if i == 0 {
				switch {
				case now.Sub(res.at) < FCRWindow:
					r.FirstContact = "pending"
				case res.replies == 1 && !(customer && res.reopenAt.Sub(res.at) <= FCRWindow):
					r.FirstContact = "yes"
				default:
					r.FirstContact = "no"
				}
			}
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b ConvResult) int { return cmp.Compare(a.ID, b.ID) })
	return out
}
