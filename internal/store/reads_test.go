package store_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestUnreadCounts: the sidebar's unread counts follow the list's rule
// (the latest non-note message is the customer's and newer than the
// agent's read time), per agent, for open conversations only, and stop
// at the cap.
func TestUnreadCounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		clock := newClock()
		db.Now = clock.Now
		in := mustInbox(t, db)
		ana := mustAgent(t, db, "ana@example.com", parley.RoleAgent)
		bo := mustAgent(t, db, "bo@example.com", parley.RoleAgent)
		contact, _ := findOrCreate(t, db, in.ID, store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "x"})

		// conv opens a conversation (assigned to assignee unless nil) with
		// messages of the given directions, a clock tick apart.
		conv := func(assignee *int64, status parley.Status, dirs ...parley.Direction) parley.Conversation {
			t.Helper()
			c := parley.Conversation{InboxID: in.ID, ContactID: contact.ID, AssigneeID: assignee, Status: status}
			mustWrite(t, db, func(tx *store.Tx) error { return tx.CreateConversation(&c, nil) })
			for _, d := range dirs {
				say(t, db, clock, &c, d)
			}
			return c
		}
		want := func(agentID, except int64, limit int, w store.UnreadCounts) {
			t.Helper()
			got, err := db.UnreadCounts(ctx, agentID, except, limit)
			if err != nil {
				t.Fatal(err)
			}
			if got != w {
				t.Fatalf("UnreadCounts(agent %d, except %d, limit %d) = %+v, want %+v", agentID, except, limit, got, w)
			}
		}
		in1, out, note := parley.Incoming, parley.Outgoing, parley.Note
		mineUnread := conv(&ana.ID, parley.StatusOpen, in1)
		mineRead := conv(&ana.ID, parley.StatusOpen, in1)
		conv(nil, parley.StatusOpen, in1, out)                    // the agent replied last
		unassignedNote := conv(nil, parley.StatusOpen, in1, note) // a note is not the preview
		conv(&bo.ID, parley.StatusOpen, in1)                      // Bo's: in All open only
		conv(nil, parley.StatusResolved, in1)                     // not open
		conv(nil, parley.StatusOpen)                              // no messages
		clock.Add(time.Second)
		markRead(t, db, ana.ID, mineRead.ID)

		want(ana.ID, 0, 100, store.UnreadCounts{Mine: 1, Unassigned: 1, Open: 3})
		want(bo.ID, 0, 100, store.UnreadCounts{Mine: 1, Unassigned: 1, Open: 4}) // reads are per agent
		want(ana.ID, mineUnread.ID, 100, store.UnreadCounts{Mine: 0, Unassigned: 1, Open: 2})

		// A customer's message after the read makes it unread again; the
		// agent opening it (or the reply) makes it read.
		say(t, db, clock, &mineRead, in1)
		want(ana.ID, 0, 100, store.UnreadCounts{Mine: 2, Unassigned: 1, Open: 4})
		clock.Add(time.Second)
		markRead(t, db, ana.ID, mineRead.ID)
		say(t, db, clock, &unassignedNote, out)
		want(ana.ID, 0, 100, store.UnreadCounts{Mine: 1, Unassigned: 0, Open: 2})

		// The cap: each count stops at the limit.
		for range 4 {
			conv(nil, parley.StatusOpen, in1)
		}
		want(ana.ID, 0, 100, store.UnreadCounts{Mine: 1, Unassigned: 4, Open: 6})
		want(ana.ID, 0, 3, store.UnreadCounts{Mine: 1, Unassigned: 3, Open: 3})
	})
}

// say adds a message of direction d to c, a clock tick after the last.
func say(t *testing.T, db *store.DB, clock *fixedClock, c *parley.Conversation, d parley.Direction) {
	t.Helper()
	clock.Add(time.Second)
	m := parley.Message{Direction: d, Text: string(d)}
	if d == parley.Incoming {
		m.AuthorContactID = &c.ContactID
	}
	mustWrite(t, db, func(tx *store.Tx) error {
		if err := tx.CreateMessage(c, &m); err != nil {
			return err
		}
		return tx.TouchConversation(c)
	})
}

func markRead(t *testing.T, db *store.DB, agentID, conversationID int64) {
	t.Helper()
	if err := db.MarkRead(ctx, agentID, conversationID); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkUnreadCounts times the sidebar's unread counts over a seeded
// database (PARLEY_BENCH_CONVERSATIONS, about 15% open): first for an
// agent who has read nothing (each count stops at the cap at once), then
// for one who has read every open conversation, the worst case, where
// each count walks all the open conversations of its view.
func BenchmarkUnreadCounts(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		b.Run(dialect, func(b *testing.B) {
			db := storetest.Open(b, dialect)
			var agents []int64
			for i := range 5 {
				a := parley.Agent{Email: fmt.Sprintf("a%d@example.com", i), Name: "A", Role: parley.RoleAgent}
				mustWrite(b, db, func(tx *store.Tx) error { return tx.CreateAgent(&a, "!") })
				agents = append(agents, a.ID)
			}
			if _, err := db.Seed(ctx, store.SeedOptions{Conversations: benchConversations(b), AssigneeIDs: agents}); err != nil {
				b.Fatal(err)
			}
			run := func(name string) {
				b.Run(name, func(b *testing.B) {
					var u store.UnreadCounts
					for i := 0; i < b.N; i++ {
						var err error
						if u, err = db.UnreadCounts(ctx, agents[0], 0, 100); err != nil {
							b.Fatal(err)
						}
					}
					b.Logf("%+v", u)
				})
			}
			run("none-read")
			var ids []int64
			f := parley.ConversationFilter{Status: parley.StatusOpen, Limit: 100}
			for {
				page, err := db.Conversations(ctx, f)
				if err != nil {
					b.Fatal(err)
				}
				for _, c := range page.Conversations {
					ids = append(ids, c.ID)
				}
				if f.Cursor = page.NextCursor; f.Cursor == "" {
					break
				}
			}
			// From 16 goroutines, so the writer batches the reads.
			var wg sync.WaitGroup
			next := make(chan int64)
			for range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for id := range next {
						if err := db.MarkRead(ctx, agents[0], id); err != nil {
							b.Error(err)
						}
					}
				}()
			}
			for _, id := range ids {
				next <- id
			}
			close(next)
			wg.Wait()
			b.Logf("%d open conversations read", len(ids))
			run("all-read")
		})
	}
}
