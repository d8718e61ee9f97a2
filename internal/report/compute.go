package report

import (
	"cmp"
	"encoding/json"
	"slices"
	"sort"
	"time"

	"github.com/parleyhq/parley/internal/hours"
	"github.com/parleyhq/parley/internal/parley"
)

// Compute returns the metrics of [from, to) under f. Memory is
// proportional to the events given.
func Compute(in Input, from, to time.Time, f Filter) Report {
	loc := in.Location
	if loc == nil {
		loc = time.UTC
	}
	now, limit := in.horizon(to)
	in2 := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
	r := Report{From: from, To: to, Filter: f}
	r.Volume = Volume{ByChannel: map[parley.ChannelType]int{}, ByInbox: map[int64]int{}, ByTeam: map[int64]int{}, ByLabel: map[string]int{}}
	r.Agents = []AgentLoad{}
	r.SLA = map[string]Attainment{}
	r.SLAByPolicy = []PolicyAttainment{}
	samples := backlogTimes(from, to, loc)
	r.Backlog = make([]BacklogSample, len(samples))
	for i, t := range samples {
		r.Backlog[i].At = t
	}

	var resCal, resBiz, frCal, frBiz, nrCal, nrBiz []time.Duration
	daily := newDaily()
	load := map[int64][]segment{}
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
		if c.resolved && in2(c.lastResolve) && c.spellCount > 0 {
			resCal, resBiz = append(resCal, c.resCal), append(resBiz, c.resBiz)
			d := utcDay(c.lastResolve)
			daily.resolved[d]++
			daily.resSum[d] += c.resCal
		}
		for _, s := range c.responses {
			if !in2(s.at) || (f.AgentID != 0 && s.agent != f.AgentID) {
				continue
			}
			if s.first {
				frCal, frBiz = append(frCal, s.cal), append(frBiz, s.biz)
				daily.responded[utcDay(s.at)]++
				daily.respSum[utcDay(s.at)] += s.cal
			} else {
				nrCal, nrBiz = append(nrCal, s.cal), append(nrBiz, s.biz)
			}
		}
		window, ok := in.ReopenWindow[info.InboxID]
		if !ok {
			window = parley.DefaultReopenWindow
		}
		for i, res := range c.resolutions {
			if !in2(res.at) {
				continue
			}
			r.Reopens.Resolutions++
			switch {
			case res.reopenedBy == "customer_message" && res.reopenAt.Sub(res.at) <= window:
				r.Reopens.Reopened++
			case res.reopenAt.IsZero() && now.Sub(res.at) <= window:
				r.Reopens.WindowOpen++
			}
			if i == 0 { // first contact resolution is judged at the first resolution
				switch firstContact(res, now) {
				case "pending":
					r.FirstContactResolution.Pending++
				case "yes":
					r.FirstContactResolution.Resolved++
					r.FirstContactResolution.Eligible++
				default:
					r.FirstContactResolution.Eligible++
				}
			}
		}
		for _, o := range c.sla {
			if !in2(o.at) || !slices.Contains(slaTargets, o.target) {
				continue
			}
			r.addSLA(o.policy, o.target, o.met, 1)
		}
		for _, p := range c.promises {
			switch {
			case !p.answered.IsZero() && !p.answered.After(p.by):
				if in2(p.answered) {
					r.Promises.Kept++
				}
			case in2(p.by) && p.by.Before(now):
				r.Promises.Broken++ // the promised time passed without a reply
			}
		}
		if !c.created.IsZero() && in2(c.created) {
			v := &r.Volume
			v.Total++
			v.ByChannel[info.Channel]++
			v.ByInbox[info.InboxID]++
			v.ByTeam[info.TeamID]++
			for _, l := range info.Labels {
				v.ByLabel[l]++
			}
			v.ByHour[c.created.In(loc).Hour()]++
			daily.created[utcDay(c.created)]++
		}
		for _, sg := range c.assigned {
			if f.AgentID != 0 && sg.agent != f.AgentID {
				continue
			}
			start, end := maxTime(sg.start, from), sg.end
			if end.IsZero() {
				end = now
			}
			if end.After(to) {
				end = to
			}
			if start.Before(end) {
				load[sg.agent] = append(load[sg.agent], segment{agent: sg.agent, start: start, end: end})
			}
		}
		for i, t := range samples {
			switch c.statusBefore(t) {
			case parley.StatusOpen:
				r.Backlog[i].Open++
			case parley.StatusPending:
				r.Backlog[i].Pending++
			case parley.StatusSnoozed:
				r.Backlog[i].Snoozed++
			}
		}
	}
	r.rateSLA()
	r.Daily = daily.points(from, to)
	r.Promises.Rate = ratio(r.Promises.Kept, r.Promises.Kept+r.Promises.Broken)
	r.ResolutionTime = times(resCal, resBiz)
	r.FirstResponseTime = times(frCal, frBiz)
	r.NextResponseTime = times(nrCal, nrBiz)
	r.Reopens.Rate = ratio(r.Reopens.Reopened, r.Reopens.Resolutions)
	r.FirstContactResolution.Rate = ratio(r.FirstContactResolution.Resolved, r.FirstContactResolution.Eligible)

	agents := map[int64]bool{}
	for a := range load {
		agents[a] = true
	}
	for a := range in.Capacity {
		if f.AgentID == 0 || a == f.AgentID {
			agents[a] = true
		}
	}
	for a := range agents {
		l := concurrency(load[a], from, to)
		l.AgentID = a
		l.Capacity = in.Capacity[a]
		if l.Capacity <= 0 {
			l.Capacity = parley.DefaultCapacity
		}
		l.Occupancy = l.Average / float64(l.Capacity)
		r.Agents = append(r.Agents, l)
	}
	slices.SortFunc(r.Agents, func(a, b AgentLoad) int { return cmp.Compare(a.AgentID, b.AgentID) })
	return r
}

// group sorts the events created before to by seq and splits them by
// conversation.
func group(all []parley.Event, to time.Time) map[int64][]parley.Event {
	evs := make([]parley.Event, 0, len(all))
	for _, e := range all {
		if e.ConversationID != nil && e.CreatedAt.Before(to) {
			evs = append(evs, e)
		}
	}
	slices.SortStableFunc(evs, func(a, b parley.Event) int { return cmp.Compare(a.Seq, b.Seq) })
	out := map[int64][]parley.Event{}
	for _, e := range evs {
		out[*e.ConversationID] = append(out[*e.ConversationID], e)
	}
	return out
}

// backlogTimes returns from, each local midnight strictly inside (from,
// to), and to.
func backlogTimes(from, to time.Time, loc *time.Location) []time.Time {
	if !from.Before(to) {
		return []time.Time{from}
	}
	out := []time.Time{from}
	l := from.In(loc)
	for d := time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, loc); d.Before(to); d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc) {
		if d.After(from) {
			out = append(out, d)
		}
	}
	return append(out, to)
}

type segment struct {
	agent      int64
	start, end time.Time // end zero: still running
}

// concurrency returns the time-weighted average and the peak of
// overlapping segments within [from, to).
func concurrency(segs []segment, from, to time.Time) AgentLoad {
	var l AgentLoad
	period := to.Sub(from)
	if period <= 0 {
		return l
	}
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	var total time.Duration
	for _, s := range segs {
		total += s.end.Sub(s.start)
		edges = append(edges, edge{s.start, 1}, edge{s.end, -1})
	}
	// Ends before starts at the same instant: a hand-over is not a peak.
	sort.Slice(edges, func(i, j int) bool {
		if !edges[i].at.Equal(edges[j].at) {
			return edges[i].at.Before(edges[j].at)
		}
		return edges[i].delta < edges[j].delta
	})
	n := 0
	for _, e := range edges {
		n += e.delta
		l.Peak = max(l.Peak, n)
	}
	l.Average = float64(total) / float64(period)
	return l
}

func times(cal, biz []time.Duration) Times { return Times{Calendar: stats(cal), Business: stats(biz)} }

func stats(d []time.Duration) Stats {
	if len(d) == 0 {
		return Stats{}
	}
	slices.Sort(d)
	n := len(d)
	s := Stats{Count: n}
	if n%2 == 1 {
		s.Median = Duration(d[n/2])
	} else {
		s.Median = Duration((d[n/2-1] + d[n/2]) / 2)
	}
	rank := (9*n + 9) / 10 // ceil(0.9 n)
	s.P90 = Duration(d[rank-1])
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	s.Mean = Duration(sum / time.Duration(n))
	return s
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// eventData is the union of the data fields the report reads.
type eventData struct {
	Direction parley.Direction `json:"direction"`
	From      json.RawMessage  `json:"from"`
	To        json.RawMessage  `json:"to"`
	Reason    string           `json:"reason"`
	Target    string           `json:"target"`    // sla.met, sla.breached
	PolicyID  int64            `json:"policy_id"` // sla.met, sla.breached
	ReplyBy   time.Time        `json:"reply_by"`  // conversation.promise
	Response  *bool            `json:"response"`  // message.created, outgoing
}

// responds reports whether a message.created event is a response to the
// customer, by the one rule of parley.IsResponse that the inbox recorded
// on the event. Events from before it was recorded carry no such field:
// for them an agent's outgoing message is a response, as it was then.
func responds(e parley.Event, d eventData) bool {
	if e.Type != parley.EventMessageCreated || d.Direction != parley.Outgoing {
		return false
	}
	if d.Response != nil {
		return *d.Response
	}
	return e.AgentID != nil
}

// addSLA counts n targets of a policy met or breached.
func (r *Report) addSLA(policy int64, target string, met bool, n int) {
	a := r.SLA[target]
	i := slices.IndexFunc(r.SLAByPolicy, func(p PolicyAttainment) bool { return p.PolicyID == policy && p.Target == target })
	if i < 0 {
		r.SLAByPolicy = append(r.SLAByPolicy, PolicyAttainment{PolicyID: policy, Target: target})
		i = len(r.SLAByPolicy) - 1
	}
	p := &r.SLAByPolicy[i].Attainment
	if met {
		a.Met += n
		p.Met += n
	} else {
		a.Breached += n
		p.Breached += n
	}
	r.SLA[target] = a
}

// rateSLA sets the SLA rates and orders the policies.
func (r *Report) rateSLA() {
	for target, a := range r.SLA {
		a.Rate = ratio(a.Met, a.Met+a.Breached)
		r.SLA[target] = a
	}
	for i := range r.SLAByPolicy {
		a := &r.SLAByPolicy[i].Attainment
		a.Rate = ratio(a.Met, a.Met+a.Breached)
	}
	slices.SortFunc(r.SLAByPolicy, func(a, b PolicyAttainment) int {
		if c := cmp.Compare(a.PolicyID, b.PolicyID); c != 0 {
			return c
		}
		return cmp.Compare(slices.Index(slaTargets, a.Target), slices.Index(slaTargets, b.Target))
	})
}
