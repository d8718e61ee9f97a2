package report

import (
	"encoding/json"
	"time"

	"github.com/parleyhq/parley/internal/hours"
	"github.com/parleyhq/parley/internal/parley"
)

// conv is what replaying one conversation's events yields.
type conv struct {
	created time.Time
	// agents were assigned to it or replied in it.
	agents map[int64]bool

	// resolved is its state after the last event; resCal and resBiz the
	// total of its open spells, spellCount how many were closed.
	resolved       bool
	lastResolve    time.Time
	spellCount     int
	resCal, resBiz time.Duration

	// assignee is who holds it after the last event (0: nobody);
	// replies how many agent replies it had.
	assignee int64
	replies  int

	responses   []response
	resolutions []resolution
	assigned    []segment // open and assigned to an agent; end zero: still
	statuses    []statusAt
	sla         []slaOutcome // the latest outcome of each target
	promises    []promise
}

// slaOutcome is an SLA target met or breached.
type slaOutcome struct {
	at     time.Time
	target string
	policy int64
	met    bool
}

// promise is a reply time promised, and when an agent then answered.
type promise struct {
	by, answered time.Time
}

type response struct {
	at       time.Time
	first    bool
	agent    int64
	cal, biz time.Duration
}

type resolution struct {
	at         time.Time
	replies    int       // agent replies before it
	reopenedBy string    // reason of the status change that left resolved
	reopenAt   time.Time // zero: still resolved
}

type statusAt struct {
	at     time.Time
	status parley.Status
}

// replay walks one conversation's events, in seq order.
func replay(evs []parley.Event, sch hours.Schedule) *conv {
	c := &conv{agents: map[int64]bool{}}
	var (
		status        parley.Status
		assignee      int64
		firstCustomer time.Time
		spellStart    time.Time
		awaiting      time.Time // a customer message after a reply, unanswered
		replies       int
	)
	// set moves to a new status and assignee, keeping the assignment
	// segments (open and assigned) in step.
	set := func(t time.Time, s parley.Status, a int64) {
		was := status == parley.StatusOpen && assignee != 0
		now := s == parley.StatusOpen && a != 0
		if was && (!now || a != assignee) {
			c.assigned[len(c.assigned)-1].end = t
		}
		if now && (!was || a != assignee) {
			c.assigned = append(c.assigned, segment{agent: a, start: t})
		}
		if s != status {
			c.statuses = append(c.statuses, statusAt{t, s})
		}
		status, assignee = s, a
	}
	for _, e := range evs {
		t := e.CreatedAt
		var d eventData
		if len(e.Data) > 0 {
			json.Unmarshal(e.Data, &d) // unknown shapes leave d zero
		}
		switch e.Type {
		case parley.EventSLAMet, parley.EventSLABreached:
			c.outcome(slaOutcome{at: t, target: d.Target, policy: d.PolicyID, met: e.Type == parley.EventSLAMet})
		case parley.EventPromise:
			if !d.ReplyBy.IsZero() {
				c.promises = append(c.promises, promise{by: d.ReplyBy})
			}
		case parley.EventConversationCreated:
			c.created = t
			set(t, parley.StatusOpen, assignee)
		case parley.EventConversationAssigned:
			var to *int64
			json.Unmarshal(d.To, &to)
			a := int64(0)
			if to != nil {
				a = *to
				c.agents[a] = true
			}
			set(t, status, a)
		case parley.EventConversationStatus:
			var from, to parley.Status
			json.Unmarshal(d.From, &from)
			json.Unmarshal(d.To, &to)
			if !to.Valid() {
				continue
			}
			if to == parley.StatusResolved && status != parley.StatusResolved {
				if !spellStart.IsZero() {
					c.resCal += t.Sub(spellStart)
					c.resBiz += sch.Between(spellStart, t)
					c.spellCount++
					spellStart = time.Time{}
				}
				c.resolved, c.lastResolve = true, t
				awaiting = time.Time{} // resolving closes the wait ("thanks!" needs no reply)
				c.resolutions = append(c.resolutions, resolution{at: t, replies: replies})
			}
			if status == parley.StatusResolved && to != parley.StatusResolved {
				if n := len(c.resolutions); n > 0 {
					c.resolutions[n-1].reopenedBy, c.resolutions[n-1].reopenAt = d.Reason, t
				}
				c.resolved = false
				spellStart = t
			}
			set(t, to, assignee)
		case parley.EventMessageCreated:
			switch {
			case d.Direction == parley.Incoming:
				if firstCustomer.IsZero() {
					firstCustomer = t
					if spellStart.IsZero() && status != parley.StatusResolved {
						spellStart = t
					}
				}
				if replies > 0 && awaiting.IsZero() {
					awaiting = t
				}
			case responds(e, d):
				a := int64(0) // a reply through a token tied to no agent
				if e.AgentID != nil {
					a = *e.AgentID
					c.agents[a] = true
				}
				switch {
				case replies == 0 && !firstCustomer.IsZero():
					c.responses = append(c.responses, response{at: t, first: true, agent: a,
						cal: t.Sub(firstCustomer), biz: sch.Between(firstCustomer, t)})
				case !awaiting.IsZero():
					c.responses = append(c.responses, response{at: t, agent: a,
						cal: t.Sub(awaiting), biz: sch.Between(awaiting, t)})
				}
				awaiting = time.Time{}
				replies++
				for i := range c.promises {
					if c.promises[i].answered.IsZero() {
						c.promises[i].answered = t
					}
				}
			}
		}
	}
	if firstCustomer.IsZero() {
		c.spellCount = 0 // no customer message: no resolution time
	}
	c.assignee, c.replies = assignee, replies
	return c
}

// firstContact judges a first resolution for first contact resolution at
// now: "no" when it can never count (not exactly one response before it,
// or the customer reopened it within FCRWindow), "pending" while it may
// still count (still resolved, within the window), else "yes".
func firstContact(res resolution, now time.Time) string {
	switch {
	case res.replies != 1 || (res.reopenedBy == "customer_message" && res.reopenAt.Sub(res.at) <= FCRWindow):
		return "no"
	case res.reopenAt.IsZero() && now.Sub(res.at) < FCRWindow:
		return "pending"
	}
	return "yes"
}

// outcome records an SLA outcome. Attainment counts each target once per
// conversation, at its latest outcome: a conversation whose resolution
// target was met, then reopened and breached, counts as breached (dated
// at the breach), never as both; a later wait for a next response that
// is met counts the target met. Every report figure, the drill-down and
// the CSV read the outcomes kept here.
func (c *conv) outcome(o slaOutcome) {
	for i := range c.sla {
		if c.sla[i].target == o.target {
			c.sla[i] = o
			return
		}
	}
	c.sla = append(c.sla, o)
}

// statusBefore returns the conversation's status just before t ("" if it
// did not exist yet).
func (c *conv) statusBefore(t time.Time) parley.Status {
	var s parley.Status
	for _, st := range c.statuses {
		if !st.at.Before(t) {
			break
		}
		s = st.status
	}
	return s
}
