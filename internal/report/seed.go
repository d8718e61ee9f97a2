package report

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// SeedOptions says what SeedFacts writes.
type SeedOptions struct {
	Conversations int
	// End is the newest creation time; conversations are spread evenly
	// over the Days before it.
	End  time.Time
	Days int
	// Agents are spread over; Inboxes and Teams their attributes.
	Agents  []int64
	Inboxes []int64
	Teams   []int64
	Seed    uint64
	// Batch is how many conversations go in one transaction.
	Batch    int
	Progress func(done int)
}

// SeedFacts writes the facts of synthetic conversations straight into the
// fact tables, as the projector would write them for conversations with
// those histories, without writing the events: a load generator for
// benchmarking reports over a million conversations, which would take
// hours to build through the inbox. Each conversation has a customer's
// first message, an assignment, a first response after a log-normal wait
// (median about 40 minutes), zero to three more exchanges, a pending
// spell, and usually a resolution; about one in eight is reopened, and
// the newest stay unresolved. Business time is taken as a third of
// calendar time.
func SeedFacts(ctx context.Context, db *store.DB, o SeedOptions) error {
	if o.Batch <= 0 {
		o.Batch = 20000
	}
	if len(o.Agents) == 0 || len(o.Inboxes) == 0 {
		return fmt.Errorf("report: SeedFacts needs agents and inboxes")
	}
	rng := rand.New(rand.NewPCG(o.Seed, 99))
	start := o.End.Add(-time.Duration(o.Days) * 24 * time.Hour)
	span := o.End.Sub(start)
	priorities := []parley.Priority{parley.PriorityLow, parley.PriorityNormal, parley.PriorityNormal, parley.PriorityNormal, parley.PriorityHigh, parley.PriorityUrgent}
	labelSets := [][]string{nil, nil, nil, {"billing"}, {"bug"}, {"shipping"}, {"billing", "vip"}, {"returns"}}
	// wait is log-normal around median m.
	wait := func(m time.Duration) time.Duration {
		return time.Duration(float64(m) * math.Exp(rng.NormFloat64()*0.9)).Truncate(time.Second)
	}
	busy := map[store.AgentDay][]segment{} // pieces, for the daily peaks
	var id int64 = 1 << 40                 // ids no real conversation has
	for done := 0; done < o.Conversations; {
		n := min(o.Batch, o.Conversations-done)
		p := store.Projection{Rollup: map[store.RollupKey]store.RollupSum{}}
		for i := 0; i < n; i++ {
			id++
			created := start.Add(time.Duration(float64(span) * float64(done+i) / float64(o.Conversations))).Truncate(time.Second)
			info := ConvInfo{InboxID: o.Inboxes[rng.IntN(len(o.Inboxes))], Priority: priorities[rng.IntN(len(priorities))],
				Labels: labelSets[rng.IntN(len(labelSets))]}
			if len(o.Teams) > 0 && rng.IntN(3) > 0 {
				info.TeamID = o.Teams[rng.IntN(len(o.Teams))]
			}
			c := synthetic(rng, wait, created, o.End, o.Agents[rng.IntN(len(o.Agents))])
			for _, f := range factsOf(id, c, info, parley.DefaultReopenWindow, o.End) {
				p.Facts = append(p.Facts, f)
				rollupOf(p.Rollup, f, 1)
				if f.Metric == mBusy {
					s := segment{agent: f.AgentID, start: f.At, end: store.DayStart(store.Day(f.At) + 1)}
					if f.Until != nil {
						s.end = *f.Until
					}
					k := store.AgentDay{AgentID: f.AgentID, Day: store.Day(f.At)}
					busy[k] = append(busy[k], s)
					for _, d := range store.Dims(f.InboxID, f.TeamID, f.Priority, f.Labels) {
						k.Dim, k.Val = d[0], d[1]
						busy[k] = append(busy[k], s)
					}
				}
			}
		}
		if err := db.Write(ctx, func(tx *store.Tx) error { return tx.LoadFacts(p) }); err != nil {
			return err
		}
		done += n
		if o.Progress != nil {
			o.Progress(done)
		}
	}
	// Daily peaks; a running assignment spans the days after its last
	// piece too.
	peaks := store.Projection{AgentDays: map[store.AgentDay]int{}}
	for k, segs := range busy {
		peaks.AgentDays[k] = concurrency(segs, store.DayStart(k.Day), store.DayStart(k.Day+1)).Peak
	}
	return db.Write(ctx, func(tx *store.Tx) error { return tx.LoadFacts(peaks) })
}

// synthetic makes the replay of one conversation.
func synthetic(rng *rand.Rand, wait func(time.Duration) time.Duration, created, end time.Time, agent int64) *conv {
	c := &conv{created: created, agents: map[int64]bool{agent: true}}
	biz := func(d time.Duration) time.Duration { return (d / 3).Truncate(time.Second) }
	t := created
	status := func(s parley.Status) { c.statuses = append(c.statuses, statusAt{t, s}) }
	status(parley.StatusOpen)
	assignedAt := t.Add(wait(5 * time.Minute))
	c.promises = append(c.promises, promise{by: t.Add(time.Hour)})
	if !assignedAt.Before(end) {
		c.assigned = append(c.assigned, segment{agent: agent, start: minTime(assignedAt, end)})
		return c
	}
	seg := segment{agent: agent, start: assignedAt}
	first := wait(40 * time.Minute)
	t = created.Add(first)
	if !t.Before(end) {
		c.assigned = append(c.assigned, seg)
		return c
	}
	c.responses = append(c.responses, response{at: t, first: true, agent: agent, cal: first, biz: biz(first)})
	c.promises[0].answered = t
	c.sla = append(c.sla, slaOutcome{at: t, target: "first_response", met: first < 2*time.Hour})
	replies := 1
	for k := rng.IntN(4); k > 0; k-- {
		t = t.Add(wait(3 * time.Hour)) // the customer answers
		d := wait(50 * time.Minute)
		if !t.Add(d).Before(end) {
			break
		}
		t = t.Add(d)
		c.responses = append(c.responses, response{at: t, agent: agent, cal: d, biz: biz(d)})
		replies++
	}
	t = t.Add(wait(20 * time.Minute))
	if !t.Before(end) {
		c.assigned = append(c.assigned, seg)
		return c
	}
	status(parley.StatusPending)
	t = t.Add(wait(4 * time.Hour))
	if !t.Before(end) {
		seg.end = c.statuses[len(c.statuses)-1].at
		c.assigned = append(c.assigned, seg)
		return c
	}
	seg.end = c.statuses[len(c.statuses)-1].at
	c.assigned = append(c.assigned, seg)
	status(parley.StatusResolved)
	total := t.Sub(created)
	c.resolutions = append(c.resolutions, resolution{at: t, replies: replies})
	c.resolved, c.lastResolve, c.spellCount, c.resCal, c.resBiz = true, t, 1, total, biz(total)
	if rng.IntN(8) == 0 { // the customer comes back
		back := t.Add(wait(20 * time.Hour))
		if back.Before(end) {
			c.resolutions[0].reopenedBy, c.resolutions[0].reopenAt = "customer_message", back
			t = back
			status(parley.StatusOpen)
			c.resolved = false
			seg = segment{agent: agent, start: t}
			d := wait(30 * time.Minute)
			if t.Add(d).Before(end) {
				t = t.Add(d)
				c.responses = append(c.responses, response{at: t, agent: agent, cal: d, biz: biz(d)})
				t = t.Add(wait(time.Hour))
				if t.Before(end) {
					seg.end = t
					status(parley.StatusResolved)
					c.resolutions = append(c.resolutions, resolution{at: t, replies: replies + 1})
					spell := t.Sub(back)
					c.resolved, c.lastResolve, c.spellCount, c.resCal, c.resBiz = true, t, 2, total+spell, biz(total+spell)
				}
			}
			c.assigned = append(c.assigned, seg)
		}
	}
	c.sla = append(c.sla, slaOutcome{at: c.lastResolve, target: "resolution", met: c.resCal < 24*time.Hour})
	return c
}
