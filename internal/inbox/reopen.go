package inbox

import (
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Reopens and capacity: a customer who writes again on a resolved
// conversation should reach the agent who knows the case, without that
// agent being silently pushed above capacity. So a reopened conversation
// whose agent is online is queued held for them (queueIfRouted), and
// Drain, before anything else, gives it back as soon as they have room.
// If they stay full for ReopenHold, or go away or offline, the hold ends
// and the conversation keeps its place in the queue for any agent.

// DefaultReopenHold is how long a reopened conversation waits for its own
// agent, unless Service.ReopenHold says otherwise: long enough for a busy
// agent to finish a thread or two, short enough that the customer is not
// kept waiting while colleagues have room.
const DefaultReopenHold = 30 * time.Minute

func (s *Service) reopenHold() time.Duration {
	if s.ReopenHold > 0 {
		return s.ReopenHold
	}
	return DefaultReopenHold
}

// held routes a conversation held for its agent: back to them when they
// are online with room; released to everyone when they are not online or
// the hold is over; otherwise it keeps waiting for them.
func (d *drain) held(c *parley.Conversation) (assigned bool, err error) {
	online, err := d.pool(-1, nil) // everyone online, whatever the team: they know the case
	if err != nil {
		return false, err
	}
	for i := range online {
		cand := &online[i]
		if cand.Agent.ID != *c.QueuedFor {
			continue
		}
		if cand.Room() > 0 {
			return true, d.assign(c, cand, "returned")
		}
		if d.tx.Now().Before(c.QueuedAt.Add(d.s.reopenHold())) {
			return false, nil // still theirs: they are full for now
		}
		return d.release(c, "hold_ended")
	}
	return d.release(c, "agent_unavailable")
}

// release ends a hold: the conversation keeps its place in the queue, and
// the next pass of Drain may give it to anyone.
func (d *drain) release(c *parley.Conversation, reason string) (bool, error) {
	from := *c.QueuedFor
	c.QueuedFor = nil
	if err := d.tx.SaveConversation(c); err != nil {
		return false, err
	}
	return false, d.tx.AppendEvent(&parley.Event{Type: parley.EventConversationQueued, ConversationID: &c.ID, ContactID: &c.ContactID},
		map[string]any{"released_from": from, "reason": reason})
}
