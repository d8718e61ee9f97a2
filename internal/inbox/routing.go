package inbox

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Routing: a new or reopened conversation in an inbox with auto-assign is
// put in the queue (queued_at) in the transaction that stores it; Drain
// then gives queued conversations, urgent first and then oldest, to the
// online agent with the most room, never above their capacity. Drain runs
// in its own transaction, after the commits that may need it (a
// conversation queued, an agent freed or back online), and every
// RoutingInterval as a safety net (SweepRouting): a conversation queued
// just before a crash is routed by the sweep of a surviving node.
//
// Drain takes the routing lock before it touches any conversation, and
// nothing else takes it, so it cannot deadlock with the row locks of
// ordinary writes on PostgreSQL.

// RoutingInterval is how often queued conversations are looked at again
// even when nothing asked for it.
var RoutingInterval = 30 * time.Second

// drainBatch bounds the conversations one Drain looks at.
const drainBatch = 200

type router struct {
	once sync.Once
	kick chan struct{}
}

func (s *Service) routerKick() chan struct{} {
	s.router.once.Do(func() { s.router.kick = make(chan struct{}, 1) })
	return s.router.kick
}

// kickRouting asks the routing loop to drain the queue soon.
func (s *Service) kickRouting() {
	select {
	case s.routerKick() <- struct{}{}:
	default:
	}
}

// RunRouting drains the queue at start and whenever a commit in this
// process asks for it (kickRouting), until ctx ends. It runs on every
// node: the kick is local, and Drain's routing lock keeps nodes from
// assigning past capacity. What another node commits is drained by that
// node, and SweepRouting catches anything left.
func (s *Service) RunRouting(ctx context.Context) {
	for {
		if _, err := s.Drain(ctx); err != nil && ctx.Err() == nil {
			slog.Error("inbox: routing", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.routerKick():
		}
	}
}

// SweepRouting drains the queue every RoutingInterval, as a safety net (a
// conversation queued just before its node died), and sets online agents
// who have had no inbox open for AwayAfter to away, until ctx ends. One
// node at a time needs to: the app runs it under a lease.
func (s *Service) SweepRouting(ctx context.Context) {
	t := time.NewTicker(RoutingInterval)
	defer t.Stop()
	for {
		if _, err := s.Drain(ctx); err != nil && ctx.Err() == nil {
			slog.Error("inbox: routing sweep", "err", err)
		}
		if err := s.AwayIdleAgents(ctx); err != nil && ctx.Err() == nil {
			slog.Error("inbox: away idle agents", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Drain assigns queued conversations to agents with room and returns how
// many it assigned. Conversations held for their agent go first, each to
// that agent only (see held); then the rest in queue order, each to the
// candidate pickAgent chooses.
func (s *Service) Drain(ctx context.Context) (n int, err error) {
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		n = 0
		if err := tx.LockRouting(); err != nil {
			return err
		}
		queued, err := tx.Queued(drainBatch)
		if err != nil || len(queued) == 0 {
			return err
		}
		d := drain{s: s, tx: tx, inboxes: map[int64]parley.Inbox{}, pools: map[int64][]store.Candidate{}}
		for pass := range 2 {
			for i := range queued {
				c := &queued[i]
				if c.QueuedAt == nil || (pass == 0) != (c.QueuedFor != nil) {
					continue // done, or not for this pass
				}
				ok, err := d.route(c)
				if err != nil {
					return err
				}
				if ok {
					n++
				}
			}
		}
		return nil
	})
	return n, err
}

// drain is one Drain's view of inboxes and candidates.
type drain struct {
	s       *Service
	tx      *store.Tx
	inboxes map[int64]parley.Inbox
	pools   map[int64][]store.Candidate // by team id; 0: everyone
}

// route assigns c if someone may take it, or drops it from the queue when
// it no longer waits for an agent; assigned reports an assignment.
func (d *drain) route(c *parley.Conversation) (assigned bool, err error) {
	in, ok := d.inboxes[c.InboxID]
	if !ok {
		if in, err = d.tx.Inbox(c.InboxID); err != nil {
			return false, err
		}
		d.inboxes[c.InboxID] = in
	}
	if c.Status == parley.StatusResolved || !in.Routing.AutoAssign || c.AssigneeID != nil {
		c.QueuedAt = nil // no longer waiting for an agent
		return false, d.tx.SaveConversation(c)
	}
	if c.Status != parley.StatusOpen {
		return false, nil // pending or snoozed: routed when it is open again
	}
	if c.QueuedFor != nil {
		return d.held(c)
	}
	team := c.TeamID
	if team == nil {
		team = in.Routing.TeamID
	}
	key := int64(0)
	if team != nil {
		key = *team
	}
	pool, err := d.pool(key, team)
	if err != nil {
		return false, err
	}
	i := pickAgent(pool)
	if i < 0 {
		return false, nil
	}
	return true, d.assign(c, &pool[i], "auto")
}

// pool returns the online candidates of a team (nil: everyone), read once
// per Drain.
func (d *drain) pool(key int64, team *int64) ([]store.Candidate, error) {
	if pool, ok := d.pools[key]; ok {
		return pool, nil
	}
	pool, err := d.tx.Candidates(team)
	if err != nil {
		return nil, err
	}
	d.pools[key] = pool
	return pool, nil
}

// assign gives c to a candidate of the pools and keeps the agent's count
// in every pool they are in.
func (d *drain) assign(c *parley.Conversation, cand *store.Candidate, reason string) error {
	if err := d.s.assign(d.tx, c, cand, reason); err != nil {
		return err
	}
	for _, p := range d.pools {
		for j := range p {
			if p[j].Agent.ID == cand.Agent.ID && &p[j] != cand {
				p[j] = *cand
			}
		}
	}
	return nil
}

// pickAgent returns the index of the candidate with the most room, ties
// going to the one assigned longest ago (never first), or -1 when nobody
// has room.
func pickAgent(pool []store.Candidate) int {
	best := -1
	for i, c := range pool {
		if c.Room() <= 0 {
			continue
		}
		if best < 0 {
			best = i
			continue
		}
		b := pool[best]
		if r := cmp.Compare(c.Room(), b.Room()); r > 0 || (r == 0 && assignedEarlier(c.Agent.LastAssignedAt, b.Agent.LastAssignedAt)) {
			best = i
		}
	}
	return best
}

func assignedEarlier(a, b *time.Time) bool {
	switch {
	case a == nil:
		return b != nil
	case b == nil:
		return false
	}
	return a.Before(*b)
}

// assign gives c to the candidate and takes it out of the queue; reason
// is the event's: auto (the queue) or returned (back to the agent it was
// held for).
func (s *Service) assign(tx *store.Tx, c *parley.Conversation, cand *store.Candidate, reason string) error {
	id := cand.Agent.ID
	c.AssigneeID, c.QueuedAt = &id, nil
	if err := tx.SaveConversation(c); err != nil {
		return err
	}
	if err := tx.MarkAssigned(id); err != nil {
		return err
	}
	now := tx.Now()
	cand.Open++
	cand.Agent.LastAssignedAt = &now
	return tx.AppendEvent(&parley.Event{Type: parley.EventConversationAssigned, ConversationID: &c.ID, ContactID: &c.ContactID},
		map[string]any{"from": nil, "to": id, "reason": reason})
}

// queueIfRouted puts a new or reopened conversation in the queue when its
// inbox auto-assigns, and asks for a drain after the commit. A reopened
// conversation whose agent is online is held for them (QueuedFor): Drain,
// under the routing lock, gives it straight back when they have room, so
// a reopen never takes an agent above capacity, even when two reopen at
// once on PostgreSQL. An agent who is not online loses it to the queue.
func (s *Service) queueIfRouted(tx *store.Tx, in parley.Inbox, c *parley.Conversation) error {
	if !in.Routing.AutoAssign || c.QueuedAt != nil {
		return nil
	}
	var data map[string]any
	if from := c.AssigneeID; from != nil {
		a, err := tx.Agent(*from)
		if err != nil {
			return err
		}
		c.AssigneeID = nil
		if a.Active && a.Availability == parley.Online {
			c.QueuedFor = &a.ID
			data = map[string]any{"for": a.ID, "reason": "reopened"}
		}
		// Reports replay assignments from these events: without it the
		// conversation would count on the agent while it waits.
		if err := tx.AppendEvent(&parley.Event{Type: parley.EventConversationAssigned, ConversationID: &c.ID, ContactID: &c.ContactID},
			map[string]any{"from": *from, "to": nil, "reason": "reopened"}); err != nil {
			return err
		}
	}
	now := tx.Now()
	c.QueuedAt = &now
	tx.AfterCommit(s.kickRouting)
	return tx.AppendEvent(&parley.Event{Type: parley.EventConversationQueued, ConversationID: &c.ID, ContactID: &c.ContactID}, data)
}

// SetAvailability records an agent's availability. Going online lets the
// queue drain to them; going away or offline returns their open
// conversations to the queue in inboxes that ask for it.
func (s *Service) SetAvailability(ctx context.Context, actor Actor, agentID int64, to parley.Availability, reason string) (err error) {
	if !to.Valid() {
		return parley.Errorf(parley.EINVALID, "availability %q is not one of online, away, offline", to)
	}
	if actor.AgentID == nil || *actor.AgentID != agentID {
		if err := requireAdmin(actor); err != nil {
			return parley.Errorf(parley.EFORBIDDEN, "agents set their own availability; admins may set anyone's")
		}
	}
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		a, err := tx.Agent(agentID)
		if err != nil {
			return err
		}
		if to == parley.Online && !a.Active {
			return parley.Errorf(parley.EINVALID, "agent %d is deactivated and cannot be online", agentID)
		}
		if a.Availability == to {
			return nil
		}
		if err := tx.SetAvailability(agentID, to); err != nil {
			return err
		}
		if err := tx.AppendEvent(&parley.Event{Type: parley.EventAgentAvailability, AgentID: &agentID},
			map[string]string{"from": string(a.Availability), "to": string(to), "reason": reason}); err != nil {
			return err
		}
		if to != parley.Online {
			if err := s.requeueAgent(tx, agentID); err != nil {
				return err
			}
		}
		tx.AfterCommit(s.kickRouting)
		tx.AfterCommit(s.expected.Clear) // who is online changes every promise
		return nil
	})
	return err
}

// requeueAgent returns an agent's open conversations to the queue, in the
// inboxes whose routing asks for it.
func (s *Service) requeueAgent(tx *store.Tx, agentID int64) error {
	open, err := tx.AssignedOpen(agentID)
	if err != nil {
		return err
	}
	inboxes := map[int64]parley.Inbox{}
	for _, c := range open {
		in, ok := inboxes[c.InboxID]
		if !ok {
			if in, err = tx.Inbox(c.InboxID); err != nil {
				return err
			}
			inboxes[c.InboxID] = in
		}
		if !in.Routing.AutoAssign || !in.Routing.RequeueOnAway {
			continue
		}
		from := c.AssigneeID
		now := tx.Now()
		c.AssigneeID, c.QueuedAt = nil, &now
		if err := tx.SaveConversation(&c); err != nil {
			return err
		}
		if err := tx.AppendEvent(&parley.Event{Type: parley.EventConversationAssigned, ConversationID: &c.ID, ContactID: &c.ContactID},
			map[string]any{"from": from, "to": nil, "reason": "requeued"}); err != nil {
			return err
		}
	}
	return nil
}

// DefaultAwayAfter is how long an online agent may have no inbox open
// before they are set away, unless Service.AwayAfter says otherwise.
const DefaultAwayAfter = 15 * time.Minute

// AwayIdleAgents sets online agents who have had no inbox open for
// AwayAfter to away.
func (s *Service) AwayIdleAgents(ctx context.Context) error {
	after := s.AwayAfter
	if after <= 0 {
		after = DefaultAwayAfter
	}
	var idle []int64
	err := s.DB.Write(ctx, func(tx *store.Tx) (err error) {
		idle, err = tx.IdleOnline(tx.Now().Add(-after))
		return err
	})
	if err != nil {
		return err
	}
	slices.Sort(idle)
	for _, id := range idle {
		if err := s.SetAvailability(ctx, System, id, parley.Away, "idle"); err != nil {
			return err
		}
	}
	return nil
}

// SetCapacity sets how many open conversations an agent may carry.
func (s *Service) SetCapacity(ctx context.Context, actor Actor, agentID int64, capacity int) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	if capacity < 1 || capacity > 500 {
		return parley.Errorf(parley.EINVALID, "capacity must be between 1 and 500 open conversations")
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Agent(agentID); err != nil {
			return err
		}
		tx.AfterCommit(s.kickRouting)
		tx.AfterCommit(s.expected.Clear) // room decides whether a newcomer queues
		return tx.SetCapacity(agentID, capacity)
	})
}

// QueuePosition returns a conversation's place in the queue (1 is next),
// or 0 when it is not waiting for an agent. It only reads.
func (s *Service) QueuePosition(ctx context.Context, conversationID int64) (int, error) {
	c, err := s.DB.Conversation(ctx, conversationID)
	if err != nil {
		return 0, err
	}
	return s.DB.QueuePosition(ctx, c)
}
