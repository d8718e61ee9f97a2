package report

import (
	"slices"
	"sort"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// agents computes each agent's concurrency from the pieces of their
// assignments (one per UTC day, mBusy): the time-weighted average from
// their summed lengths (rollups for whole days, clipped pieces at the
// edges), the peak from the stored daily peaks — over everything, or
// within one inbox, team or priority — and a sweep of the edges' pieces;
// a filter the stored peaks cannot answer (several inboxes, two
// attributes) sweeps every piece of the period.
func (b *builder) agents(r *Report) {
	from, to := b.from, b.to
	end := minTime(to, b.now)
	total := map[int64]time.Duration{}
	segs := map[int64][]segment{} // clipped pieces the peak is swept from
	clip := func(agent int64, at time.Time, until *time.Time, a, z time.Time) (segment, bool) {
		s := segment{agent: agent, start: maxTime(at, a), end: z}
		if until != nil {
			s.end = minTime(*until, z)
		}
		return s, s.start.Before(s.end)
	}
	// The stored peaks answer no filter or one value of one dimension;
	// several inboxes' conversations overlap in time, so their peaks do
	// not add up.
	dim, vals, _ := b.ff.Dim()
	stored := b.ff.RollupOK() && len(vals) <= 1
	val := ""
	if len(vals) == 1 {
		val = vals[0]
	}
	d0, d1, raw := b.spans(from, end)
	if d0 < d1 {
		rows, err := b.db.SumRollups(b.ctx, []int{mBusy}, d0, d1, b.ff)
		if err != nil {
			b.err = err
			return
		}
		for _, x := range rows {
			total[x.AgentID] += time.Duration(x.Total) * time.Microsecond
		}
	}
	// Closed pieces of the raw ranges: a piece lies within one UTC day, so
	// those overlapping a range start on or after its first day.
	for _, rg := range raw {
		if !rg[0].Before(rg[1]) {
			continue
		}
		for _, f := range b.list(store.FactQuery{Metrics: []int{mBusy}, From: store.DayStart(store.Day(rg[0])), To: rg[1]}) {
			if f.Until == nil {
				continue
			}
			if s, ok := clip(f.AgentID, f.At, f.Until, rg[0], rg[1]); ok {
				total[f.AgentID] += s.end.Sub(s.start)
				segs[f.AgentID] = append(segs[f.AgentID], s)
			}
		}
	}
	// Running pieces (assignments still open) run until now.
	running := b.list(store.FactQuery{Metrics: []int{mBusy}, Running: true, From: time.Unix(0, 0), To: end})
	for _, f := range running {
		if s, ok := clip(f.AgentID, f.At, f.Until, from, end); ok {
			total[f.AgentID] += s.end.Sub(s.start)
		}
		ranges := raw
		if !stored {
			ranges = [][2]time.Time{{from, end}}
		}
		for _, rg := range ranges {
			if s, ok := clip(f.AgentID, f.At, f.Until, rg[0], rg[1]); ok {
				segs[f.AgentID] = append(segs[f.AgentID], s)
			}
		}
	}
	if !stored && d0 < d1 && b.err == nil {
		// The whole days too: every closed piece, a few columns each.
		var list []store.Segment
		var err error
		if _, mem := b.src.(memFacts); mem {
			for _, f := range b.list(store.FactQuery{Metrics: []int{mBusy}, From: store.DayStart(d0), To: store.DayStart(d1)}) {
				list = append(list, store.Segment{AgentID: f.AgentID, At: f.At, Until: f.Until})
			}
		} else if list, err = b.db.Segments(b.ctx, mBusy, store.DayStart(d0), store.DayStart(d1), b.ff); err != nil {
			b.err = err
			return
		}
		for _, f := range list {
			if f.Until == nil {
				continue
			}
			if s, ok := clip(f.AgentID, f.At, f.Until, from, end); ok {
				segs[f.AgentID] = append(segs[f.AgentID], s)
			}
		}
	}
	peak := map[int64]int{}
	for a, list := range segs {
		peak[a] = concurrency(list, from, to).Peak
	}
	if stored && d0 < d1 && b.err == nil {
		peaks, err := b.db.AgentDayPeaks(b.ctx, d0, d1, dim, val)
		if err != nil {
			b.err = err
			return
		}
		agents := map[int64]bool{}
		for k := range peaks {
			agents[k[0]] = true
		}
		for _, f := range running {
			agents[f.AgentID] = true
		}
		for a := range agents {
			for d := d0; d < d1; d++ {
				p, ok := peaks[[2]int64{a, d}]
				if !ok { // nothing changed that day: the assignments running through it
					for _, f := range running {
						if f.AgentID == a && f.At.Before(store.DayStart(d)) {
							p++
						}
					}
				}
				peak[a] = max(peak[a], p)
			}
		}
	}
	if b.err != nil {
		return
	}
	list := map[int64]bool{}
	for a, t := range total {
		if t > 0 {
			list[a] = true
		}
	}
	for a := range b.set.capacity {
		if b.f.AgentID == 0 || a == b.f.AgentID {
			list[a] = true
		}
	}
	period := to.Sub(from)
	for a := range list {
		l := AgentLoad{AgentID: a, Peak: peak[a], Capacity: b.set.capacity[a]}
		if period > 0 {
			l.Average = float64(total[a]) / float64(period)
		}
		if l.Capacity <= 0 {
			l.Capacity = parley.DefaultCapacity
		}
		l.Occupancy = l.Average / float64(l.Capacity)
		r.Agents = append(r.Agents, l)
	}
	sortAgents(r.Agents)
}

// backlog counts the unresolved conversations by status just before each
// sample time t. A status is entered (mStatusIn) and left (mStatusOut):
// the count at t is those running now, less those entered at or after t,
// plus those left at or after t. Sums binned by quarter hour answer any
// quarter-hour t from the rollups; the unaligned period ends are range
// bounds of the raw reads.
func (b *builder) backlog(r *Report) {
	samples := backlogTimes(b.from, b.to, b.loc)
	r.Backlog = make([]BacklogSample, len(samples))
	var cur [3]int
	far := b.now.Add(366 * 24 * time.Hour)
	for _, f := range b.list(store.FactQuery{Metrics: []int{mStatusIn}, Running: true, From: time.Unix(0, 0), To: far}) {
		cur[f.Flag]++
	}
	rows := append(b.sum(b.from, b.to, mStatusIn, mStatusOut), b.sum(b.to, far, mStatusIn, mStatusOut)...)
	// A row counts for t when its facts are all at or after t: its range
	// starts at or after t, or its quarter hour does.
	type change struct {
		at    time.Time
		delta [3]int
	}
	changes := make([]change, 0, len(rows))
	for _, x := range rows {
		c := change{at: maxTime(x.src[0], x.qstart())}
		if x.Metric == mStatusIn {
			c.delta[x.Flag] -= int(x.N)
		} else {
			c.delta[x.Flag] += int(x.N)
		}
		changes = append(changes, c)
	}
	slices.SortFunc(changes, func(a, b change) int { return a.at.Compare(b.at) })
	// after[i] sums changes[i:].
	after := make([][3]int, len(changes)+1)
	for i := len(changes) - 1; i >= 0; i-- {
		for s := range 3 {
			after[i][s] = after[i+1][s] + changes[i].delta[s]
		}
	}
	for i, t := range samples {
		k := sort.Search(len(changes), func(j int) bool { return !changes[j].at.Before(t) })
		r.Backlog[i] = BacklogSample{At: t, Open: cur[0] + after[k][0], Pending: cur[1] + after[k][1], Snoozed: cur[2] + after[k][2]}
	}
}
