package inbox_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// fullAgentReopen makes agent 0 (capacity 1) carry one open conversation
// while the customer of an earlier one it resolved writes again; agent 1
// (capacity 3) is online with room. It returns the reopened conversation.
func fullAgentReopen(t *testing.T, dialect string) (f *fixture, agents []int64, reopened, busy int64) {
	t.Helper()
	f, agents = routed(t, dialect, 1, 3)
	setAvail(t, f, agents[1], parley.Away) // so that agent 0 takes both
	reopened = f.from(t, "returning", "my parcel is late").ConversationID
	f.drain(t)
	resolve(t, f, reopened)
	busy = f.from(t, "other", "hello").ConversationID
	f.drain(t)
	if c := f.conv(t, busy); c.AssigneeID == nil || *c.AssigneeID != agents[0] {
		t.Fatalf("setup: busy conversation went to %v", c.AssigneeID)
	}
	setAvail(t, f, agents[1], parley.Online)
	f.clock.Add(time.Minute)
	if r := f.from(t, "returning", "still nothing, any news?"); !r.Reopened || r.ConversationID != reopened {
		t.Fatalf("setup: not a reopen: %+v", r)
	}
	f.drain(t)
	return f, agents, reopened, busy
}

func setAvail(t *testing.T, f *fixture, agent int64, a parley.Availability) {
	t.Helper()
	if err := f.svc.SetAvailability(bg, inbox.System, agent, a, "test"); err != nil {
		t.Fatal(err)
	}
}

func resolve(t *testing.T, f *fixture, conv int64) {
	t.Helper()
	if _, err := f.svc.Update(bg, inbox.System, conv, inbox.Change{Status: status(parley.StatusResolved)}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) openCount(t *testing.T, agent int64) int {
	t.Helper()
	var n int
	if err := f.svc.DB.Write(bg, func(tx *store.Tx) (err error) { n, err = tx.OpenCount(agent); return err }); err != nil {
		t.Fatal(err)
	}
	return n
}

// assignReasons lists the reasons of conv's conversation.assigned events
// that gave it to someone.
func (f *fixture) assignReasons(t *testing.T, conv int64) []string {
	t.Helper()
	evs, err := f.svc.DB.Events(bg, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		if e.Type == parley.EventConversationAssigned && e.ConversationID != nil && *e.ConversationID == conv {
			var d struct {
				To     *int64 `json:"to"`
				Reason string `json:"reason"`
			}
			json.Unmarshal(e.Data, &d)
			if d.To != nil {
				out = append(out, d.Reason)
			}
		}
	}
	return out
}

// A reopen never takes an agent above capacity: the conversation waits,
// held for the agent who knows it, and goes back to them when they have
// room, not to a colleague who happens to be free.
func TestReopenWaitsForFullAgent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f, agents, reopened, busy := fullAgentReopen(t, dialect)
		if n := f.openCount(t, agents[0]); n != 1 {
			t.Errorf("agent 0 carries %d open conversations, capacity 1", n)
		}
		c := f.conv(t, reopened)
		if c.AssigneeID != nil || c.QueuedAt == nil || c.QueuedFor == nil || *c.QueuedFor != agents[0] {
			t.Fatalf("reopened: assignee %v, queued %v for %v; want held in the queue for agent 0", c.AssigneeID, c.QueuedAt, c.QueuedFor)
		}
		if pos, err := f.svc.QueuePosition(bg, reopened); err != nil || pos != 1 {
			t.Errorf("queue position = %d, %v; want 1", pos, err)
		}
		// A new conversation still goes to the agent with room.
		fresh := f.from(t, "new", "hi").ConversationID
		f.drain(t)
		if c := f.conv(t, fresh); c.AssigneeID == nil || *c.AssigneeID != agents[1] {
			t.Errorf("new conversation: assignee %v, want agent 1", c.AssigneeID)
		}
		if c := f.conv(t, reopened); c.AssigneeID != nil || c.QueuedFor == nil {
			t.Errorf("a colleague with room took the held conversation: %+v", c.AssigneeID)
		}
		// Agent 0 frees a place: it comes back to them.
		resolve(t, f, busy)
		f.drain(t)
		c = f.conv(t, reopened)
		if c.AssigneeID == nil || *c.AssigneeID != agents[0] || c.QueuedAt != nil || c.QueuedFor != nil {
			t.Errorf("after a place freed: assignee %v, queued %v for %v; want agent 0, out of the queue", c.AssigneeID, c.QueuedAt, c.QueuedFor)
		}
		if got := f.assignReasons(t, reopened); len(got) != 2 || got[1] != "returned" {
			t.Errorf("assignment reasons = %v, want [auto returned]", got)
		}
	})
}

// The hold ends after ReopenHold, or as soon as the agent is not online:
// then the conversation keeps its place and goes to anyone with room.
func TestReopenHoldEnds(t *testing.T) {
	for name, end := range map[string]func(f *fixture, agents []int64){
		"hold over":  func(f *fixture, _ []int64) { f.clock.Add(inbox.DefaultReopenHold) },
		"agent away": func(f *fixture, agents []int64) { setAvail(t, f, agents[0], parley.Away) },
	} {
		t.Run(name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, dialect string) {
				f, agents, reopened, _ := fullAgentReopen(t, dialect)
				f.clock.Add(inbox.DefaultReopenHold - 2*time.Minute)
				f.drain(t)
				if c := f.conv(t, reopened); c.QueuedFor == nil {
					t.Fatal("released before the hold was over")
				}
				end(f, agents)
				f.drain(t)
				c := f.conv(t, reopened)
				if c.AssigneeID == nil || *c.AssigneeID != agents[1] || c.QueuedAt != nil {
					t.Errorf("after the hold: assignee %v, queued %v; want agent 1", c.AssigneeID, c.QueuedAt)
				}
			})
		})
	}
}

// With room, a reopened conversation goes straight back to its agent.
func TestReopenReturnsWithRoom(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f, agents := routed(t, dialect, 2, 5)
		setAvail(t, f, agents[1], parley.Away)
		conv := f.from(t, "c", "hello").ConversationID
		f.drain(t)
		resolve(t, f, conv)
		setAvail(t, f, agents[1], parley.Online) // more room, but not the agent who knows the case
		f.from(t, "c", "one more thing")
		f.drain(t)
		if c := f.conv(t, conv); c.AssigneeID == nil || *c.AssigneeID != agents[0] || c.QueuedAt != nil {
			t.Errorf("reopened with room: assignee %v, queued %v; want agent 0", c.AssigneeID, c.QueuedAt)
		}
	})
}

// Customers reopening at the same moment cannot push their agent above
// capacity either (run with -race; on PostgreSQL the writers commit in
// parallel).
func TestReopenCapacityUnderConcurrency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f, agents := routed(t, dialect, 2)
		var convs []int64
		for i := range 6 {
			c := f.from(t, fmt.Sprintf("r%d", i), "hello").ConversationID
			if _, err := f.svc.Update(bg, inbox.System, c, inbox.Change{AssigneeID: &agents[0]}); err != nil {
				t.Fatal(err)
			}
			resolve(t, f, c)
			convs = append(convs, c)
		}
		var wg sync.WaitGroup
		for i := range convs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := f.svc.Receive(bg, f.inbox.ID, inbox.Incoming{Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: fmt.Sprintf("r%d", i)}, Text: "back again"}); err != nil {
					t.Error(err)
				}
				if _, err := f.svc.Drain(bg); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		f.drain(t)
		if n := f.openCount(t, agents[0]); n != 2 {
			t.Errorf("agent carries %d open conversations, want exactly its capacity 2", n)
		}
		held := 0
		for _, id := range convs {
			if c := f.conv(t, id); c.QueuedFor != nil && *c.QueuedFor == agents[0] && c.AssigneeID == nil {
				held++
			}
		}
		if held != 4 {
			t.Errorf("%d conversations held for the agent, want 4", held)
		}
	})
}
