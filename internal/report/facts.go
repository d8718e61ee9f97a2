package report

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Facts are the pre-aggregated form of the replay: what replaying one
// conversation yields, written as rows (store.Fact) that SQL can sum per
// day. The metric codes below are stored: never renumber them.
const (
	mCreated     = 1  // at: creation; bin: quarter hour of the UTC day
	mResCal      = 2  // at: the standing resolution; value: resolution time; bin: histogram
	mResBiz      = 3  //   same, in business time
	mFirstCal    = 4  // at: the reply; agent: who replied; value: first response time
	mFirstBiz    = 5  //
	mNextCal     = 6  // next response time
	mNextBiz     = 7  //
	mResolution  = 8  // at: a resolution; until: when it was left; value: reopen window; flag: resolution bits
	mSLA         = 9  // flag: 1 met, 0 breached; bin: target (slaTargets); agent: the SLA policy
	mPromiseKept = 10 // at: the reply that kept a promise
	mPromiseDue  = 11 // at: the promised time; flag: 1 kept
	mBusy        = 12 // agent: assignee; at, until: a piece of an assignment within one UTC day (until NULL: running); value: its length
	mStatusIn    = 13 // at: entering an unresolved status (flag: statusCodes); until: leaving it; bin: quarter hour
	mStatusOut   = 14 // at: leaving it; flag, bin: as mStatusIn
	mTouch       = 15 // agent: assigned to or replied in the conversation
	// The volume by label, inbox and team is rolled up under metrics of
	// its own, never facts, so that an unfiltered report reads a few rows
	// a day from report_totals: mCreatedLabels has the labels, the others
	// the inbox or team as their bin. mCreated itself is binned by quarter
	// hour for the hours of day.
	mCreatedLabels = 16
	mCreatedInbox  = 17
	mCreatedTeam   = 18
	// mLabel is one of the conversation's labels (labels: ",label,"), so
	// that the label filter finds its conversations through an index.
	mLabel = 19
)

// Resolution bits.
const (
	resReopened   = 1 // reopened by the customer within the reopen window
	resFirst      = 2 // the conversation's first resolution
	resFirstTouch = 4 // resolved on first contact: one agent reply, not reopened within FCRWindow
)

var (
	slaTargets  = []string{"first_response", "next_response", "resolution"}
	statusCodes = []parley.Status{parley.StatusOpen, parley.StatusPending, parley.StatusSnoozed}
	// durationMetrics pair each duration metric with its calendar and
	// business codes.
	agentMetrics = []int{mFirstCal, mFirstBiz, mNextCal, mNextBiz, mBusy}
	// keyedMetrics keep their agent_id column in sums: agents, and the
	// SLA facts' policy.
	keyedMetrics = []int{mFirstCal, mFirstBiz, mNextCal, mNextBiz, mBusy, mSLA}
)

const quarter = 15 * time.Minute

// quarterOfDay is t's quarter hour within its UTC day (0–95).
func quarterOfDay(t time.Time) int {
	t = t.UTC()
	return (t.Hour()*60 + t.Minute()) / 15
}

// binRatio is the width of a histogram bin: values in one bin are within
// 10% of each other, so the exact median is found by reading one bin.
var logRatio = math.Log(1.1)

// histBin is the histogram bin of a duration: 0 below a second, then
// bins growing by 10%.
func histBin(d time.Duration) int {
	s := d.Seconds()
	if s < 1 {
		return 0
	}
	return 1 + int(math.Log(s)/logRatio)
}

// factsOf turns the replay of conversation id into facts. now ends the
// assignments still running (their last piece is left running).
func factsOf(id int64, c *conv, info ConvInfo, window time.Duration, now time.Time) []store.Fact {
	labels := ""
	if len(info.Labels) > 0 {
		ls := slices.Clone(info.Labels)
		slices.Sort(ls)
		labels = "," + strings.Join(ls, ",") + ","
	}
	var out []store.Fact
	add := func(f store.Fact) {
		f.ConversationID, f.InboxID, f.TeamID, f.Priority, f.Labels = id, info.InboxID, info.TeamID, info.Priority, labels
		out = append(out, f)
	}
	dur := func(m int, at time.Time, agent int64, d time.Duration) {
		add(store.Fact{Metric: m, At: at, AgentID: agent, Value: d, Bin: histBin(d)})
	}
	if !c.created.IsZero() {
		add(store.Fact{Metric: mCreated, At: c.created, Bin: quarterOfDay(c.created)})
	}
	if c.resolved && c.spellCount > 0 {
		dur(mResCal, c.lastResolve, 0, c.resCal)
		dur(mResBiz, c.lastResolve, 0, c.resBiz)
	}
	for _, r := range c.responses {
		if r.first {
			dur(mFirstCal, r.at, r.agent, r.cal)
			dur(mFirstBiz, r.at, r.agent, r.biz)
		} else {
			dur(mNextCal, r.at, r.agent, r.cal)
			dur(mNextBiz, r.at, r.agent, r.biz)
		}
	}
	for i, r := range c.resolutions {
		f := store.Fact{Metric: mResolution, At: r.at, Value: window}
		if !r.reopenAt.IsZero() {
			f.Until = ptr(r.reopenAt)
		}
		customer := r.reopenedBy == "customer_message"
		if customer && r.reopenAt.Sub(r.at) <= window {
			f.Flag |= resReopened
		}
		if i == 0 {
			f.Flag |= resFirst
			if r.replies == 1 && !(customer && r.reopenAt.Sub(r.at) <= FCRWindow) {
				f.Flag |= resFirstTouch
			}
		}
		add(f)
	}
	for _, o := range c.sla {
		t := slices.Index(slaTargets, o.target)
		if t < 0 {
			continue
		}
		f := store.Fact{Metric: mSLA, At: o.at, Bin: t, AgentID: o.policy}
		if o.met {
			f.Flag = 1
		}
		add(f)
	}
	for _, p := range c.promises {
		kept := !p.answered.IsZero() && !p.answered.After(p.by)
		f := store.Fact{Metric: mPromiseDue, At: p.by}
		if kept {
			f.Flag = 1
			add(store.Fact{Metric: mPromiseKept, At: p.answered})
		}
		add(f)
	}
	for _, s := range c.assigned {
		for _, p := range pieces(s, now) {
			add(p)
		}
	}
	for i, st := range c.statuses {
		code := slices.Index(statusCodes, st.status)
		if code < 0 {
			continue
		}
		f := store.Fact{Metric: mStatusIn, At: st.at, Flag: code, Bin: quarterOfDay(st.at)}
		if i+1 < len(c.statuses) {
			end := c.statuses[i+1].at
			f.Until = ptr(end)
			add(store.Fact{Metric: mStatusOut, At: end, Flag: code, Bin: quarterOfDay(end)})
		}
		add(f)
	}
	for _, l := range info.Labels {
		add(store.Fact{Metric: mLabel, At: c.created})
		out[len(out)-1].Labels = "," + l + ","
	}
	touched := make([]int64, 0, len(c.agents))
	for a := range c.agents {
		touched = append(touched, a)
	}
	slices.Sort(touched)
	for _, a := range touched {
		add(store.Fact{Metric: mTouch, At: c.created, AgentID: a})
	}
	return out
}

// pieces splits an assignment into one fact per UTC day it covers. A
// running assignment (end zero) gets pieces up to now's day, the last one
// running.
func pieces(s segment, now time.Time) []store.Fact {
	var out []store.Fact
	end := s.end
	for start := s.start; ; {
		dayEnd := store.DayStart(store.Day(start) + 1)
		f := store.Fact{Metric: mBusy, At: start, AgentID: s.agent}
		switch {
		case !end.IsZero() && !end.After(dayEnd):
			f.Until, f.Value = ptr(end), end.Sub(start)
			if end.After(start) {
				out = append(out, f)
			}
			return out
		case end.IsZero() && !now.Before(start) && now.Before(dayEnd), end.IsZero() && now.Before(start):
			return append(out, f) // running
		}
		f.Until, f.Value = ptr(dayEnd), dayEnd.Sub(start)
		out = append(out, f)
		start = dayEnd
	}
}

// rollupOf adds sign × f to r (the touch facts are not rolled up).
func rollupOf(r map[store.RollupKey]store.RollupSum, f store.Fact, sign int64) {
	if f.Metric == mTouch || f.Metric == mLabel {
		return
	}
	k := store.RollupKey{Day: store.Day(f.At), Metric: f.Metric, Flag: f.Flag, Bin: f.Bin,
		InboxID: f.InboxID, TeamID: f.TeamID, Priority: f.Priority, ConvLabels: f.Labels}
	if f.Metric == mBusy || f.Metric == mSLA {
		k.AgentID = f.AgentID // the agent, or the SLA policy
	}
	add := func(k store.RollupKey) {
		s := r[k]
		s.N += sign
		s.Total += sign * int64(f.Value/time.Microsecond)
		r[k] = s
	}
	add(k)
	if f.Metric == mCreated {
		k.Bin, k.Metric, k.Labels = 0, mCreatedLabels, f.Labels
		add(k)
		k.Labels = ""
		k.Metric, k.Bin = mCreatedInbox, int(f.InboxID)
		add(k)
		k.Metric, k.Bin = mCreatedTeam, int(f.TeamID)
		add(k)
	}
}

func ptr[T any](v T) *T { return &v }
