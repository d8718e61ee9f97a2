package inbox_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// routed is a fixture whose inbox auto-assigns, with agents of the given
// capacities, all online.
func routed(t *testing.T, dialect string, capacities ...int) (*fixture, []int64) {
	f := setup(t, dialect)
	f.inbox.Routing.AutoAssign = true
	if _, err := f.svc.UpdateInbox(bg, inbox.System, f.inbox, nil); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i, c := range capacities {
		a, _, err := f.svc.CreateAgent(bg, inbox.System, parley.Agent{Email: fmt.Sprintf("a%d@example.com", i), Name: fmt.Sprintf("Agent %d", i),
			Role: parley.RoleAgent, Capacity: c}, "a long enough password")
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetAvailability(bg, inbox.System, a.ID, parley.Online, "test"); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	return f, ids
}

func (f *fixture) from(t *testing.T, customer, text string) inbox.Received {
	t.Helper()
	r, err := f.svc.Receive(bg, f.inbox.ID, inbox.Incoming{Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: customer}, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (f *fixture) drain(t *testing.T) int {
	t.Helper()
	n, err := f.svc.Drain(bg)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRoutingMostRoomFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f, agents := routed(t, dialect, 2, 3)
		var convs []int64
		for i := range 5 {
			convs = append(convs, f.from(t, fmt.Sprintf("c%d", i), "hello").ConversationID)
			f.clock.Add(time.Second)
			f.drain(t)
		}
		// Room: a0 2, a1 3 → a1 (3>2); then 2/2: tie, a0 never assigned → a0;
		// then 1/2 → a1; then 1/1: tie, a0 assigned longer ago → a0; then 0/1 → a1.
		want := []int64{agents[1], agents[0], agents[1], agents[0], agents[1]}
		for i, id := range convs {
			c := f.conv(t, id)
			if c.AssigneeID == nil || *c.AssigneeID != want[i] {
				t.Errorf("conversation %d: assignee %v, want %d", i, c.AssigneeID, want[i])
			}
			if c.QueuedAt != nil {
				t.Errorf("conversation %d still queued", i)
			}
		}
		// Everyone is full: the next one waits in the queue.
		sixth := f.from(t, "c5", "anyone?").ConversationID
		f.drain(t)
		if c := f.conv(t, sixth); c.AssigneeID != nil || c.QueuedAt == nil {
			t.Fatalf("over capacity: %+v", c)
		}
		// Resolving one frees a place: the queue drains to that agent.
		if _, err := f.svc.Update(bg, inbox.System, convs[0], inbox.Change{Status: status(parley.StatusResolved)}); err != nil {
			t.Fatal(err)
		}
		f.drain(t)
		if c := f.conv(t, sixth); c.AssigneeID == nil || *c.AssigneeID != agents[1] {
			t.Errorf("after a resolve: %+v", c.AssigneeID)
		}
	})
}

func TestQueueOrderAndPosition(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f, agents := routed(t, dialect, 1)
		busy := f.from(t, "busy", "first").ConversationID
		f.drain(t)
		a := f.from(t, "a", "normal, oldest").ConversationID
		f.clock.Add(time.Minute)
		b := f.from(t, "b", "normal, newer").ConversationID
		f.clock.Add(time.Minute)
		u := f.from(t, "u", "urgent, newest").ConversationID
		urgent := parley.PriorityUrgent
		if _, err := f.svc.Update(bg, inbox.System, u, inbox.Change{Priority: &urgent}); err != nil {
			t.Fatal(err)
		}
		q, err := f.svc.DB.Queue(bg, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(q) != 3 || q[0].ID != u || q[1].ID != a || q[2].ID != b {
			t.Fatalf("queue order = %v, want urgent first, then oldest", ids(q))
		}
		for want, id := range []int64{u, a, b} {
			if pos, err := f.svc.QueuePosition(bg, id); err != nil || pos != want+1 {
				t.Errorf("position of %d = %d, %v; want %d", id, pos, err, want+1)
			}
		}
		if _, err := f.svc.Update(bg, inbox.System, busy, inbox.Change{Status: status(parley.StatusResolved)}); err != nil {
			t.Fatal(err)
		}
		f.drain(t)
		if c := f.conv(t, u); c.AssigneeID == nil || *c.AssigneeID != agents[0] {
			t.Errorf("the urgent one did not jump the queue: %+v", c.AssigneeID)
		}
	})
}

func ids(list []parley.Conversation) []int64 {
	var out []int64
	for _, c := range list {
		out = append(out, c.ID)
	}
	return out
}

func TestAvailabilityAndRequeue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f, agents := routed(t, dialect, 5)
		f.inbox.Routing.RequeueOnAway = true
		if _, err := f.svc.UpdateInbox(bg, inbox.System, f.inbox, nil); err != nil {
			t.Fatal(err)
		}
		c := f.from(t, "c", "hi").ConversationID
		f.drain(t)
		if got := f.conv(t, c); got.AssigneeID == nil {
			t.Fatal("not assigned")
		}
		// Away: their open conversation goes back to the queue, and nobody
		// online takes it.
		if err := f.svc.SetAvailability(bg, inbox.Actor{AgentID: &agents[0], Role: parley.RoleAgent}, agents[0], parley.Away, "lunch"); err != nil {
			t.Fatal(err)
		}
		f.drain(t)
		if got := f.conv(t, c); got.AssigneeID != nil || got.QueuedAt == nil {
			t.Fatalf("after away: %+v", got)
		}
		// Another agent may not set someone's availability.
		other := int64(999999)
		if err := f.svc.SetAvailability(bg, inbox.Actor{AgentID: &other, Role: parley.RoleAgent}, agents[0], parley.Online, ""); parley.ErrorCode(err) != parley.EFORBIDDEN {
			t.Errorf("someone else setting availability: %v", err)
		}
		// Back online: it comes back.
		if err := f.svc.SetAvailability(bg, inbox.System, agents[0], parley.Online, "back"); err != nil {
			t.Fatal(err)
		}
		f.drain(t)
		if got := f.conv(t, c); got.AssigneeID == nil || *got.AssigneeID != agents[0] {
			t.Errorf("after coming back: %+v", got.AssigneeID)
		}
		// An agent with no inbox open for a while goes away by itself.
		f.clock.Add(inbox.DefaultAwayAfter + time.Minute)
		if err := f.svc.AwayIdleAgents(bg); err != nil {
			t.Fatal(err)
		}
		if a, _ := f.svc.DB.Agent(bg, agents[0]); a.Availability != parley.Away {
			t.Errorf("idle agent is %s, want away", a.Availability)
		}
	})
}

// TestCapacityUnderConcurrency: many conversations arriving and draining
// at once never give an agent more than their capacity (run with -race).
func TestCapacityUnderConcurrency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f, agents := routed(t, dialect, 3, 4, 5)
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := f.svc.Receive(bg, f.inbox.ID, inbox.Incoming{Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: fmt.Sprintf("p%d", i)}, Text: "hi"}); err != nil {
					t.Error(err)
				}
				if _, err := f.svc.Drain(bg); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		f.drain(t)
		total := 0
		for i, id := range agents {
			n := 0
			err := f.svc.DB.Write(bg, func(tx *store.Tx) (err error) {
				n, err = tx.OpenCount(id)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if cap := []int{3, 4, 5}[i]; n != cap {
				t.Errorf("agent %d carries %d, want exactly its capacity %d", i, n, cap)
			}
			total += n
		}
		q, _ := f.svc.DB.Queue(bg, 100)
		if total+len(q) != 40 {
			t.Errorf("%d assigned + %d queued, want 40", total, len(q))
		}
	})
}
