package inbox_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/blob"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/jobs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

var bg = context.Background()

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type fixture struct {
	svc   *inbox.Service
	jobs  *jobs.Runner
	clock *clock
	inbox parley.Inbox
}

func setup(t *testing.T, dialect string) *fixture { return setupTB(t, dialect) }

// setupTB is setup for benchmarks too.
func setupTB(t testing.TB, dialect string) *fixture {
	db := storetest.Open(t, dialect)
	c := &clock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	db.Now = c.Now
	blobs, err := blob.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	svc := &inbox.Service{DB: db, Blobs: blobs, Box: db.Secrets}
	r := setupRunner(svc)
	in, err := svc.CreateInbox(bg, inbox.System, parley.Inbox{Name: "API", ChannelType: parley.ChannelAPI}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, jobs: r, clock: c, inbox: in}
}

// setupRunner is a job runner with the inbox's handlers.
func setupRunner(svc *inbox.Service) *jobs.Runner {
	r := jobs.New(svc.DB)
	r.Handle(inbox.JobSnoozeWake, func(ctx context.Context, j store.Job) error { return svc.WakeSnoozed(ctx, j.Payload) })
	r.Handle(inbox.JobSLACheck, func(ctx context.Context, j store.Job) error { return svc.CheckSLA(ctx, j.Payload) })
	r.Handle(inbox.JobAck, func(ctx context.Context, j store.Job) error { return svc.SendAck(ctx, j.Payload) })
	r.Handle(inbox.JobAutoResolve, func(ctx context.Context, j store.Job) error { return svc.AutoResolve(ctx, j.Payload) })
	return r
}

func (f *fixture) receive(t *testing.T, text string) inbox.Received {
	t.Helper()
	r, err := f.svc.Receive(bg, f.inbox.ID, inbox.Incoming{
		Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "cust-1", Name: "Ana"}, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (f *fixture) conv(t *testing.T, id int64) parley.Conversation {
	t.Helper()
	c, err := f.svc.DB.Conversation(bg, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func status(s parley.Status) *parley.Status { return &s }

func TestLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f := setup(t, dialect)
		first := f.receive(t, "hello")
		if !first.NewConversation {
			t.Fatal("first message did not start a conversation")
		}
		// Pending on the customer, who answers: open again, same conversation.
		if _, err := f.svc.Update(bg, inbox.System, first.ConversationID, inbox.Change{Status: status(parley.StatusPending)}); err != nil {
			t.Fatal(err)
		}
		if r := f.receive(t, "here is my order number"); r.ConversationID != first.ConversationID || f.conv(t, r.ConversationID).Status != parley.StatusOpen {
			t.Fatal("customer reply did not reopen the pending conversation")
		}
		// Resolved, then the customer writes within the window: reopened.
		if _, err := f.svc.Update(bg, inbox.System, first.ConversationID, inbox.Change{Status: status(parley.StatusResolved)}); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(6 * 24 * time.Hour)
		r := f.receive(t, "it broke again")
		c := f.conv(t, r.ConversationID)
		if !r.Reopened || r.ConversationID != first.ConversationID || c.ReopenCount != 1 || c.Status != parley.StatusOpen {
			t.Fatalf("inside the window: %+v, conversation %+v", r, c)
		}
		// Resolved again; after the window a new conversation continues the old one.
		if _, err := f.svc.Update(bg, inbox.System, first.ConversationID, inbox.Change{Status: status(parley.StatusResolved)}); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(7*24*time.Hour + time.Second)
		r = f.receive(t, "new problem")
		c = f.conv(t, r.ConversationID)
		if !r.NewConversation || c.PreviousID == nil || *c.PreviousID != first.ConversationID {
			t.Fatalf("after the window: %+v, conversation %+v", r, c)
		}
		hist, err := f.svc.History(bg, r.ConversationID)
		if err != nil || len(hist) != 4 || hist[0].Text != "hello" || hist[3].Text != "new problem" {
			t.Fatalf("history = %d messages, %v", len(hist), err)
		}
		// Invalid transitions change nothing.
		before, _ := f.svc.DB.LastEventSeq(bg)
		_, err = f.svc.Update(bg, inbox.System, first.ConversationID, inbox.Change{Status: status(parley.StatusPending), Labels: &[]string{"x"}})
		if parley.ErrorCode(err) != parley.EINVALID {
			t.Fatalf("pending a resolved conversation: %v", err)
		}
		if after, _ := f.svc.DB.LastEventSeq(bg); after != before || len(f.conv(t, first.ConversationID).Labels) != 0 {
			t.Fatal("a refused change wrote something")
		}
	})
}

func TestSnoozeWakes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f := setup(t, dialect)
		id := f.receive(t, "hi").ConversationID
		until := f.clock.Now().Add(2 * time.Hour)
		if _, err := f.svc.Snooze(bg, inbox.System, id, &until); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(time.Hour)
		if n, _ := f.jobs.RunDue(bg); n != 0 || f.conv(t, id).Status != parley.StatusSnoozed {
			t.Fatal("woke early")
		}
		f.clock.Add(time.Hour)
		if n, _ := f.jobs.RunDue(bg); n != 1 {
			t.Fatalf("ran %d jobs at the snooze time", n)
		}
		if c := f.conv(t, id); c.Status != parley.StatusOpen || c.SnoozedUntil != nil {
			t.Fatalf("after wake: %+v", c)
		}

		// Re-snoozed before the first timer: the stale job leaves it alone.
		first := f.clock.Now().Add(time.Hour)
		second := f.clock.Now().Add(3 * time.Hour)
		f.svc.Snooze(bg, inbox.System, id, &first)
		f.svc.Snooze(bg, inbox.System, id, &second)
		f.clock.Add(time.Hour)
		f.jobs.RunDue(bg)
		if c := f.conv(t, id); c.Status != parley.StatusSnoozed {
			t.Fatalf("the stale wake-up woke it: %+v", c)
		}
		// The customer writes: awake at once, and the later timer does nothing.
		f.receive(t, "any news?")
		f.clock.Add(3 * time.Hour)
		f.jobs.RunDue(bg)
		events, _ := f.svc.DB.Events(bg, 0, 1000)
		wakes := 0
		for _, e := range events {
			if e.Type == parley.EventConversationStatus && string(e.Data) == `{"from":"snoozed","reason":"snooze_expired","to":"open"}` {
				wakes++
			}
		}
		if wakes != 1 {
			t.Fatalf("%d snooze_expired events, want 1", wakes)
		}
		past := f.clock.Now().Add(-time.Minute)
		if _, err := f.svc.Snooze(bg, inbox.System, id, &past); parley.ErrorCode(err) != parley.EINVALID {
			t.Fatalf("snooze in the past: %v", err)
		}
	})
}

func TestDuplicateDeliveries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f := setup(t, dialect)
		var wg sync.WaitGroup
		results := make([]inbox.Received, 30)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := f.svc.Receive(bg, f.inbox.ID, inbox.Incoming{
					Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "c"}, ExternalID: "provider-msg-1", Text: "once"})
				if err != nil {
					t.Error(err)
				}
				results[i] = r
			}()
		}
		wg.Wait()
		fresh := 0
		for _, r := range results {
			if !r.Duplicate {
				fresh++
			}
			if r.MessageID != results[0].MessageID || r.ConversationID != results[0].ConversationID || r.ContactID == 0 || r.ContactID != results[0].ContactID {
				t.Fatalf("different ids: %+v vs %+v", r, results[0])
			}
		}
		msgs, _ := f.svc.DB.Messages(bg, []int64{results[0].ConversationID})
		if fresh != 1 || len(msgs) != 1 {
			t.Fatalf("%d fresh deliveries, %d messages stored; want 1 and 1", fresh, len(msgs))
		}
	})
}

// TestRepeatsAmongNewMessages: deliveries repeated in the middle of a
// stream of new messages, some repeating a message stored long before,
// some repeating one in the same batch. On SQLite a batch leaves finding
// repeats to the messages' unique key (Tx.KeyCatchesRepeat): a repeat
// rolls its batch back and the batch runs again, so nothing of the
// repeat's run may stay (no second contact, conversation, reopening or
// event), and every new message in the batch must still be stored once.
func TestRepeatsAmongNewMessages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f := setup(t, dialect)
		first, err := f.svc.Receive(bg, f.inbox.ID, inbox.Incoming{
			Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "early"}, ExternalID: "early-1", Text: "stored long before"})
		if err != nil {
			t.Fatal(err)
		}
		before, err := f.svc.DB.Events(bg, 0, 10000)
		if err != nil {
			t.Fatal(err)
		}
		const n = 240
		results := make([]inbox.Received, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				in := inbox.Incoming{Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: fmt.Sprintf("c-%d", i/2)},
					ExternalID: fmt.Sprintf("m-%d", i/2), Text: "hello"} // pairs: each message delivered twice
				if i%40 == 0 {
					in = inbox.Incoming{Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "early"}, ExternalID: "early-1", Text: "again"}
				}
				r, err := f.svc.Receive(bg, f.inbox.ID, in)
				if err != nil {
					t.Error(err)
				}
				results[i] = r
			}()
		}
		wg.Wait()
		fresh := map[string]inbox.Received{}
		for i, r := range results {
			if i%40 == 0 {
				if !r.Duplicate || r.MessageID != first.MessageID || r.ConversationID != first.ConversationID || r.ContactID != first.ContactID {
					t.Errorf("repeat of the early message: %+v, want the stored %+v", r, first)
				}
				continue
			}
			key := fmt.Sprint(i / 2)
			if !r.Duplicate {
				if _, ok := fresh[key]; ok {
					t.Errorf("message m-%s stored twice", key)
				}
				fresh[key] = r
			}
		}
		for i, r := range results {
			if i%40 != 0 && r.MessageID != fresh[fmt.Sprint(i/2)].MessageID {
				t.Errorf("delivery %d answered message %d, stored as %d", i, r.MessageID, fresh[fmt.Sprint(i/2)].MessageID)
			}
		}
		// 120 pairs, 6 of them with one delivery replaced by the early repeat:
		// every pair's message stored once.
		if len(fresh) != n/2 {
			t.Errorf("%d messages stored, want %d", len(fresh), n/2)
		}
		after, err := f.svc.DB.Events(bg, before[len(before)-1].Seq, 100000)
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, e := range after {
			count[e.Type]++
		}
		if count[parley.EventMessageCreated] != n/2 || count[parley.EventContactCreated] != n/2 || count[parley.EventConversationCreated] != n/2 {
			t.Errorf("events after the stream: %v; want %d of each kind of creation", count, n/2)
		}
		msgs, _ := f.svc.DB.Messages(bg, []int64{first.ConversationID})
		if len(msgs) != 1 {
			t.Errorf("the early conversation has %d messages, want 1", len(msgs))
		}
	})
}

// TestConcurrentFirstMessages: a new customer's first messages arriving at
// once (several writers on PostgreSQL) make one contact and one conversation.
func TestConcurrentFirstMessages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f := setup(t, dialect)
		var wg sync.WaitGroup
		results := make([]inbox.Received, 24)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := f.svc.Receive(bg, f.inbox.ID, inbox.Incoming{
					Contact:    store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "brand-new", Email: "new@example.com"},
					ExternalID: fmt.Sprintf("m-%d", i), Text: "hello"})
				if err != nil {
					t.Error(err)
				}
				results[i] = r
			}()
		}
		wg.Wait()
		for _, r := range results {
			if r.ContactID != results[0].ContactID || r.ConversationID != results[0].ConversationID {
				t.Fatalf("split: %+v vs %+v", r, results[0])
			}
		}
		msgs, _ := f.svc.DB.Messages(bg, []int64{results[0].ConversationID})
		if len(msgs) != len(results) {
			t.Fatalf("%d messages stored, want %d", len(msgs), len(results))
		}
	})
}
