package report

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Build returns the report of [from, to) under f, as known now, from the
// pre-aggregated facts: the same report Compute replays from the events
// (the tests hold the two to it). Whole UTC days inside the period are
// read from the daily rollups; the partial days at its edges, and
// whatever a rollup cannot answer (a label or agent filter, resolutions
// recent enough that their reopen window is still open), from the facts.
// Medians and percentiles come from the rollups' histograms and then one
// read of the bin that holds them, so they are exact. It first projects
// the events not yet in the facts (Project), for at most projectWait.
func Build(ctx context.Context, db *store.DB, from, to time.Time, loc *time.Location, f Filter) (r Report, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("report: Build: %w", err)
		}
	}()
	if err = catchUp(ctx, db); err != nil {
		return r, err
	}
	set, err := loadSettings(ctx, db)
	if err != nil {
		return r, err
	}
	if loc == nil {
		loc = time.UTC
	}
	b := &builder{ctx: ctx, db: db, from: from, to: to, now: db.Now().UTC(), loc: loc, f: f, set: set, ff: factFilter(f, set.channels)}
	if b.src, err = sourceFor(ctx, db, b.ff); err != nil {
		return r, err
	}
	return b.build()
}

// projectWait bounds how long a report waits for the projection to catch
// up; past it (a backfill of a large log, say), the report is built from
// the facts as they are and says how many events it lacks
// (Report.Unprojected).
const projectWait = 5 * time.Second

type builder struct {
	ctx         context.Context
	db          *store.DB
	src         factSource // facts beyond the rollups
	from, to    time.Time
	now         time.Time
	loc         *time.Location
	f           Filter
	set         settings
	ff          store.FactFilter
	err         error
	rollupCalls int
}

// factFilter turns a report filter into a fact filter. Channels become
// the inboxes of those channels: a fact knows its inbox, not its channel.
func factFilter(f Filter, channels map[int64]parley.ChannelType) store.FactFilter {
	ff := store.FactFilter{InboxIDs: slices.Clone(f.InboxIDs), TeamID: f.TeamID, Priority: f.Priority, Label: f.Label,
		AgentID: f.AgentID, TouchMetric: mTouch, AgentMetrics: agentMetrics}
	if len(f.Channels) > 0 {
		var ids []int64
		for id, ch := range channels {
			if contains(f.Channels, ch) && (len(f.InboxIDs) == 0 || contains(f.InboxIDs, id)) {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		if len(ids) == 0 {
			ids = []int64{0} // no inbox has id 0: the filter matches nothing
		}
		ff.InboxIDs = ids
	}
	return ff
}

// row is a sum of facts with the range it was read from: a rollup day, or
// a raw range of facts.
type row struct {
	store.RollupRow
	src [2]time.Time
}

// qstart is the start of the row's quarter hour (for metrics binned by
// quarter hour).
func (r row) qstart() time.Time { return store.DayStart(r.Day).Add(time.Duration(r.Bin) * quarter) }

// spans splits [a, b) into whole UTC days [d0, d1) for the rollups and the
// raw ranges around them (all raw when the filter needs the facts).
func (b *builder) spans(a, z time.Time) (d0, d1 int64, raw [][2]time.Time) {
	if !a.Before(z) {
		return 0, 0, nil
	}
	if !b.ff.RollupOK() {
		return 0, 0, [][2]time.Time{{a, z}}
	}
	d0, d1 = store.Day(a), store.Day(z)
	if store.DayStart(d0).Before(a) {
		d0++
	}
	if d0 >= d1 {
		return 0, 0, [][2]time.Time{{a, z}}
	}
	return d0, d1, [][2]time.Time{{a, store.DayStart(d0)}, {store.DayStart(d1), z}}
}

// sum reads the sums of metrics over [a, z).
func (b *builder) sum(a, z time.Time, metrics ...int) []row {
	if b.err != nil {
		return nil
	}
	d0, d1, raw := b.spans(a, z)
	var out []row
	rows, err := b.db.SumRollups(b.ctx, metrics, d0, d1, b.ff)
	if err != nil {
		b.err = err
		return nil
	}
	b.rollupCalls++
	for _, r := range rows {
		out = append(out, row{r, [2]time.Time{store.DayStart(r.Day), store.DayStart(r.Day + 1)}})
	}
	for _, rg := range raw {
		rows, err := b.src.SumFacts(b.ctx, metrics, rg[0], rg[1], b.ff, keyedMetrics)
		if err != nil {
			b.err = err
			return nil
		}
		for _, r := range rows {
			out = append(out, row{r, rg})
		}
	}
	return out
}

func (b *builder) list(q store.FactQuery) []store.Fact {
	if b.err != nil {
		return nil
	}
	q.Filter = b.ff
	facts, err := b.src.ListFacts(b.ctx, q)
	b.err = err
	return facts
}

func (b *builder) build() (Report, error) {
	from, to, now := b.from, b.to, b.now
	r := Report{From: from, To: to, Filter: b.f, Agents: []AgentLoad{}, SLA: map[string]Attainment{}, SLAByPolicy: []PolicyAttainment{}}
	r.Volume = Volume{ByChannel: map[parley.ChannelType]int{}, ByInbox: map[int64]int{}, ByTeam: map[int64]int{}, ByLabel: map[string]int{}}

	daily := newDaily()
	r.ResolutionTime = Times{b.stats(mResCal, daily.resolved, daily.resSum), b.stats(mResBiz, nil, nil)}
	r.FirstResponseTime = Times{b.stats(mFirstCal, daily.responded, daily.respSum), b.stats(mFirstBiz, nil, nil)}
	r.NextResponseTime = Times{b.stats(mNextCal, nil, nil), b.stats(mNextBiz, nil, nil)}
	b.resolutions(&r)
	for _, x := range b.sum(from, to, mSLA, mPromiseKept) {
		switch x.Metric {
		case mSLA:
			r.addSLA(x.AgentID, slaTargets[x.Bin], x.Flag == 1, int(x.N))
		case mPromiseKept:
			r.Promises.Kept += int(x.N)
		}
	}
	for _, x := range b.sum(from, minTime(to, now), mPromiseDue) {
		if x.Flag == 0 {
			r.Promises.Broken += int(x.N) // due before now, not kept
		}
	}
	r.rateSLA()
	r.Promises.Rate = ratio(r.Promises.Kept, r.Promises.Kept+r.Promises.Broken)
	b.volume(&r, daily)
	r.Daily = daily.points(b.from, b.to)
	b.agents(&r)
	b.backlog(&r)
	if b.err == nil {
		r.Surveys, b.err = LoadSurveys(b.ctx, b.db, b.from, b.to, b.f)
	}
	if b.err == nil {
		r.Unprojected, b.err = b.db.ReportLag(b.ctx)
	}
	return r, b.err
}

// resolutions counts reopens and first contact resolutions. Resolutions
// older than the longest window (reopen or FCR) are settled and summed;
// younger ones are read one by one, since whether their window is still
// open depends on now.
func (b *builder) resolutions(r *Report) {
	longest := FCRWindow
	for _, w := range b.set.windows {
		longest = max(longest, w)
	}
	settled := minTime(b.to, b.now.Add(-longest-time.Microsecond))
	for _, x := range b.sum(b.from, settled, mResolution) {
		n := int(x.N)
		r.Reopens.Resolutions += n
		if x.Flag&resReopened != 0 {
			r.Reopens.Reopened += n
		}
		if x.Flag&resFirst != 0 {
			r.FirstContactResolution.Eligible += n
			if x.Flag&resFirstTouch != 0 {
				r.FirstContactResolution.Resolved += n
			}
		}
	}
	for _, x := range b.list(store.FactQuery{Metrics: []int{mResolution}, From: maxTime(b.from, settled), To: b.to}) {
		r.Reopens.Resolutions++
		switch {
		case x.Flag&resReopened != 0:
			r.Reopens.Reopened++
		case x.Until == nil && b.now.Sub(x.At) <= x.Value:
			r.Reopens.WindowOpen++
		}
		if x.Flag&resFirst != 0 {
			// As firstContact: without resFirstTouch it can never count;
			// with it, it may still be reopened while resolved (no Until)
			// and inside the window.
			switch {
			case x.Flag&resFirstTouch == 0:
				r.FirstContactResolution.Eligible++
			case x.Until == nil && b.now.Sub(x.At) < FCRWindow:
				r.FirstContactResolution.Pending++
			default:
				r.FirstContactResolution.Eligible++
				r.FirstContactResolution.Resolved++
			}
		}
	}
	r.Reopens.Rate = ratio(r.Reopens.Reopened, r.Reopens.Resolutions)
	r.FirstContactResolution.Rate = ratio(r.FirstContactResolution.Resolved, r.FirstContactResolution.Eligible)
}

// stats summarises a duration metric: count and mean from the sums, the
// median and 90th percentile from the histogram, refined by reading the
// values of the one bin each falls in. dayN and daySum, when not nil,
// get the metric's count and sum per UTC day.
func (b *builder) stats(metric int, dayN map[int64]int, daySum map[int64]time.Duration) Stats {
	bins := map[int]int64{}
	var n, total int64
	for _, x := range b.sum(b.from, b.to, metric) {
		bins[x.Bin] += x.N
		n += x.N
		total += x.Total
		if dayN != nil {
			dayN[x.Day] += int(x.N)
			daySum[x.Day] += time.Duration(x.Total) * time.Microsecond
		}
	}
	if n == 0 || b.err != nil {
		return Stats{}
	}
	order := make([]int, 0, len(bins))
	for k, c := range bins {
		if c != 0 {
			order = append(order, k)
		}
	}
	slices.Sort(order)
	// at returns the value of rank i (0-based) in increasing order.
	at := func(i int64) time.Duration {
		var below int64
		for _, k := range order {
			if i < below+bins[k] {
				v, err := b.src.FactValues(b.ctx, metric, k, b.from, b.to, b.ff, int(i-below), 1)
				if err != nil || len(v) == 0 {
					if err == nil {
						err = fmt.Errorf("report: bin %d of metric %d has fewer facts than its rollup", k, metric)
					}
					b.err = err
					return 0
				}
				return v[0]
			}
			below += bins[k]
		}
		return 0
	}
	s := Stats{Count: int(n), Mean: Duration(time.Duration(total) * time.Microsecond / time.Duration(n))}
	if n%2 == 1 {
		s.Median = Duration(at(n / 2))
	} else {
		s.Median = Duration((at(n/2-1) + at(n/2)) / 2)
	}
	s.P90 = Duration(at((9*n+9)/10 - 1))
	return s
}

// volume counts the conversations created in the period: the total and
// hours of day from mCreated, the rest from its per-attribute rollups over
// whole days and from the facts at the edges.
func (b *builder) volume(r *Report, daily *dailyAcc) {
	v := &r.Volume
	for _, x := range b.sum(b.from, b.to, mCreated) {
		v.Total += int(x.N)
		daily.created[x.Day] += int(x.N)
		v.ByHour[x.qstart().In(b.loc).Hour()] += int(x.N)
	}
	if b.err != nil {
		return
	}
	d0, d1, raw := b.spans(b.from, b.to)
	rows, err := b.db.SumRollups(b.ctx, []int{mCreatedLabels, mCreatedInbox, mCreatedTeam}, d0, d1, b.ff)
	if err != nil {
		b.err = err
		return
	}
	labels := map[string]int{}
	for _, x := range rows {
		switch n := int(x.N); x.Metric {
		case mCreatedInbox:
			v.ByInbox[int64(x.Bin)] += n
		case mCreatedTeam:
			v.ByTeam[int64(x.Bin)] += n
		case mCreatedLabels:
			labels[x.Labels] += n
		}
	}
	edges, err := b.src.VolumeByAttrs(b.ctx, mCreated, raw, b.ff)
	if err != nil {
		b.err = err
		return
	}
	for _, x := range edges {
		v.ByInbox[x.InboxID] += int(x.N)
		v.ByTeam[x.TeamID] += int(x.N)
		labels[x.Labels] += int(x.N)
	}
	for ls, n := range labels {
		for _, l := range strings.Split(strings.Trim(ls, ","), ",") {
			if l != "" && n != 0 {
				v.ByLabel[l] += n
			}
		}
	}
	for id, n := range v.ByInbox {
		if n == 0 { // a rollup emptied by later changes
			delete(v.ByInbox, id)
			continue
		}
		v.ByChannel[b.set.channels[id]] += n
	}
	for id, n := range v.ByTeam {
		if n == 0 {
			delete(v.ByTeam, id)
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// sortAgents orders a report's agents by id, as Compute does.
func sortAgents(list []AgentLoad) {
	slices.SortFunc(list, func(a, b AgentLoad) int { return cmp.Compare(a.AgentID, b.AgentID) })
}
