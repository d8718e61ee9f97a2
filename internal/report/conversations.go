package report

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/parleyhq/parley/internal/hours"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
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
	// response and was not reopened by the customer within FCRWindow, "no"
	// when it can never be, "pending" while it may still be (see FCR), ""
	// before any resolution.
	FirstContact string
	// SLA is the latest outcome of each SLA target ("met" or "breached"),
	// by target name: the outcome the report's attainment counts.
	SLA map[string]string
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
	now, limit := in.horizon(to)
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
		window, ok := in.ReopenWindow[info.InboxID]
		if !ok {
			window = parley.DefaultReopenWindow
		}
		out = append(out, convResult(id, c, info, window, now))
	}
	slices.SortFunc(out, func(a, b ConvResult) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// convResult is one replayed conversation's own figures.
func convResult(id int64, c *conv, info ConvInfo, window time.Duration, now time.Time) ConvResult {
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
	r.SLA = map[string]string{}
	for _, o := range c.sla {
		r.SLA[o.target] = "breached"
		if o.met {
			r.SLA[o.target] = "met"
		}
	}
	for i, res := range c.resolutions {
		customer := res.reopenedBy == "customer_message"
		if customer && res.reopenAt.Sub(res.at) <= window {
			r.Reopens++
		}
		if i == 0 {
			r.FirstContact = firstContact(res, now)
		}
	}
	return r
}

// Drill names the conversations behind one number of a report.
type Drill string

// The numbers a report drills into.
const (
	DrillCreated       Drill = "created"        // created in the period, newest first
	DrillResolution    Drill = "resolution"     // resolved in it, the longest resolution first
	DrillFirstResponse Drill = "first_response" // first answered in it, the slowest first
	DrillNextResponse  Drill = "next_response"  // with next responses in it, the slowest first
	DrillReopened      Drill = "reopened"       // resolved in it and reopened by the customer
	DrillFirstContact  Drill = "first_contact"  // first resolved in it
	DrillSurveyed      Drill = "surveyed"       // with survey answers in it, the hardest first
	DrillSLA           Drill = "sla"            // with an SLA target's latest outcome in it
)

// drillFacts are the facts each drill selects conversations by, their
// resolution bit if any, and whether the slowest come first (else the
// newest).
var drillFacts = map[Drill]struct {
	metric, bit int
	slowest     bool
}{
	DrillCreated:       {mCreated, 0, false},
	DrillResolution:    {mResCal, 0, true},
	DrillFirstResponse: {mFirstCal, 0, true},
	DrillNextResponse:  {mNextCal, 0, true},
	DrillReopened:      {mResolution, resReopened, false},
	DrillFirstContact:  {mResolution, resFirst, false},
	DrillSLA:           {mSLA, 0, false},
}

// DrillDown returns up to limit conversations behind a number of the
// report of [from, to) under f, in the drill's order, with their own
// figures, and how many there are in all. It picks them from the facts
// (an index walk, whatever the period's size) and replays only those.
func DrillDown(ctx context.Context, db *store.DB, from, to time.Time, f Filter, d Drill, limit int) (_ []ConvResult, total int, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("report: DrillDown: %w", err)
		}
	}()
	spec, ok := drillFacts[d]
	if !ok && d != DrillSurveyed {
		return nil, 0, parley.Errorf(parley.EINVALID, "nothing to drill into named %q", d)
	}
	if err = catchUp(ctx, db); err != nil {
		return nil, 0, err
	}
	set, err := loadSettings(ctx, db)
	if err != nil {
		return nil, 0, err
	}
	var ids []int64
	if d == DrillSurveyed {
		ids, total, err = db.SurveyedConversations(ctx, from, to, surveyFilter(f), limit)
	} else {
		ff := factFilter(f, set.channels)
		// Every drill but the next responses' and the SLA's has one fact
		// per conversation: the rollups count them, as the report does.
		// The SLA drill has up to one per target: the distinct count.
		count := d != DrillNextResponse && d != DrillSLA && ff.AgentID == 0
		ids, total, err = db.TopFactConversations(ctx, store.TopFacts{Metric: spec.metric, Bit: spec.bit, From: from, To: to,
			Slowest: spec.slowest, Limit: limit, Filter: ff, NoCount: count})
		if err == nil && count {
			b := &builder{ctx: ctx, db: db, from: from, to: to, now: db.Now().UTC(), set: set, ff: ff}
			if b.src, err = sourceFor(ctx, db, ff); err != nil {
				return nil, 0, err
			}
			total = 0
			for _, x := range b.sum(from, to, spec.metric) {
				if spec.bit == 0 || x.Flag&spec.bit != 0 {
					total += int(x.N)
				}
			}
			err = b.err
		}
	}
	if err != nil {
		return nil, 0, err
	}
	hist, err := db.ConversationHistories(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	infos, err := db.ReportConversations(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	now := db.Now().UTC()
	byID := group(hist, now.Add(time.Nanosecond))
	out := make([]ConvResult, 0, len(ids))
	for _, id := range ids {
		info := FromStore(infos[id])
		c := replay(byID[id], set.schedule(info))
		out = append(out, convResult(id, c, info, set.window(info.InboxID), now))
	}
	return out, total, nil
}
