package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// receive is what the inbox does with a received message, cut to what
// the store sees: the contact, its latest conversation or a new one, the
// message, and the activity. extra runs before the activity is saved.
func receive(inboxID int64, who store.ContactKey, ext string, out *parley.Message, extra func(*store.Tx, *parley.Conversation) error) func(*store.Tx) error {
	return func(tx *store.Tx) error {
		c, _, err := tx.FindOrCreateContact(inboxID, who)
		if err != nil {
			return err
		}
		conv, err := tx.LatestConversation(inboxID, c.ID)
		if parley.ErrorCode(err) == parley.ENOTFOUND {
			conv = parley.Conversation{InboxID: inboxID, ContactID: c.ID}
			err = tx.CreateConversation(&conv, nil)
		}
		if err != nil {
			return err
		}
		*out = parley.Message{Direction: parley.Incoming, AuthorContactID: &c.ID, Text: "about " + ext, ExternalID: ext}
		if err := tx.CreateMessage(&conv, out); err != nil {
			return err
		}
		if extra != nil {
			if err := extra(tx, &conv); err != nil {
				return err
			}
		}
		return tx.TouchConversation(&conv)
	}
}

// TestBatchQueuesNewPeople: the rows people new to a batch bring go in
// with the batch's end on PostgreSQL (deferred.go), and every caller sees
// the same database as if each row had gone in at once: a second message
// from a new person finds them and their new conversation, fields set on
// a new conversation before its insert are stored, and a caller's read
// meets the rows queued before it.
func TestBatchQueuesNewPeople(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		in := mustInbox(t, db)
		key := func(id string) store.ContactKey {
			return store.ContactKey{Kind: parley.IdentityExternal, ExternalID: id, Name: "Customer " + id}
		}
		hint := func(id, ext string) *store.ReceiveHint {
			return &store.ReceiveHint{InboxID: in.ID, ExternalID: ext, Contact: key(id)}
		}
		queuedBefore := db.QueuedRows()
		var a1, a2, b1, c1 parley.Message
		var catName string
		errs := db.RunBatch(
			store.BatchCall{Hint: hint("ann", "a1"), Fn: receive(in.ID, key("ann"), "a1", &a1, nil)},
			store.BatchCall{Hint: hint("ann", "a2"), Fn: receive(in.ID, key("ann"), "a2", &a2, nil)},
			// Routing queues a new conversation and triage raises it, as
			// the inbox does before the message's activity is saved.
			store.BatchCall{Hint: hint("bea", "b1"), Fn: receive(in.ID, key("bea"), "b1", &b1, func(tx *store.Tx, c *parley.Conversation) error {
				now := tx.Now()
				c.QueuedAt, c.Priority = &now, parley.PriorityHigh
				return tx.SaveConversation(c)
			})},
			// A read of a queued contact finds it.
			store.BatchCall{Hint: hint("cat", "c1"), Fn: receive(in.ID, key("cat"), "c1", &c1, func(tx *store.Tx, c *parley.Conversation) error {
				who, err := tx.Contact(c.ContactID)
				catName = who.Name
				return err
			})},
		)
		for i, err := range errs {
			if err != nil {
				t.Fatalf("caller %d: %v", i, err)
			}
		}
		if a1.AuthorContactID == nil || a2.AuthorContactID == nil || *a1.AuthorContactID != *a2.AuthorContactID {
			t.Fatalf("ann's two messages have authors %v and %v, want one contact", a1.AuthorContactID, a2.AuthorContactID)
		}
		if a1.ConversationID != a2.ConversationID {
			t.Errorf("ann's two messages went to conversations %d and %d, want one", a1.ConversationID, a2.ConversationID)
		}
		if catName != "Customer cat" {
			t.Errorf("cat read back in her batch as %q", catName)
		}
		for _, table := range []string{"contacts", "identities", "conversations", "messages"} {
			want := map[string]int{"contacts": 3, "identities": 3, "conversations": 3, "messages": 4}[table]
			if n, err := store.CountRows(db, table); err != nil || n != want {
				t.Errorf("%s: %d rows (%v), want %d", table, n, err, want)
			}
		}
		bea, err := db.Conversation(ctx, b1.ConversationID)
		if err != nil {
			t.Fatal(err)
		}
		if bea.QueuedAt == nil || bea.Priority != parley.PriorityHigh {
			t.Errorf("bea's new conversation stored queued %v, priority %q; want queued, high", bea.QueuedAt, bea.Priority)
		}
		for _, m := range []parley.Message{a1, a2, b1, c1} {
			got, err := db.Message(ctx, m.ID)
			if err != nil || got.ConversationID != m.ConversationID || got.Text != m.Text {
				t.Errorf("message %d read back as %+v (%v)", m.ID, got, err)
			}
		}
		// A second batch from the same people finds them stored.
		var a3 parley.Message
		if errs := db.RunBatch(
			store.BatchCall{Hint: hint("ann", "a3"), Fn: receive(in.ID, key("ann"), "a3", &a3, nil)},
			store.BatchCall{Hint: hint("bea", "b2"), Fn: receive(in.ID, key("bea"), "b2", &parley.Message{}, nil)},
		); errs[0] != nil || errs[1] != nil {
			t.Fatal(errs)
		}
		if a3.ConversationID != a1.ConversationID {
			t.Errorf("ann's next message went to conversation %d, want %d", a3.ConversationID, a1.ConversationID)
		}
		queued := db.QueuedRows() - queuedBefore
		if dialect == "postgres" && queued != 9 {
			t.Errorf("%d rows went in from the batch's queue on PostgreSQL, want 9 (3 contacts, identities, conversations)", queued)
		}
		if dialect == "sqlite" && queued != 0 {
			t.Errorf("%d rows queued on SQLite, which inserts each at once", queued)
		}
	})
}

// TestBatchQueuedIdentityTaken: another process stores a person while a
// batch holds their identity queued. The batch's insert of it fails, the
// writer runs its callers one by one, and the message goes to the person
// the other process stored: one person stays one contact, and the batch's
// other caller is stored too.
func TestBatchQueuedIdentityTaken(t *testing.T) {
	dsn := storetest.DSN(t, "postgres")
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.Secrets = storetest.Box(t)
	other, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	in := mustInbox(t, db)
	dan := store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "dan"}
	eve := store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "eve"}
	var stored parley.Contact
	var once sync.Once
	var d1, e1 parley.Message
	errs := db.RunBatch(
		store.BatchCall{Hint: &store.ReceiveHint{InboxID: in.ID, ExternalID: "d1", Contact: dan},
			Fn: receive(in.ID, dan, "d1", &d1, func(*store.Tx, *parley.Conversation) error {
				once.Do(func() {
					mustWrite(t, other, func(tx *store.Tx) (err error) {
						stored, _, err = tx.FindOrCreateContact(in.ID, dan)
						return err
					})
				})
				return nil
			})},
		store.BatchCall{Hint: &store.ReceiveHint{InboxID: in.ID, ExternalID: "e1", Contact: eve}, Fn: receive(in.ID, eve, "e1", &e1, nil)},
	)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("caller %d: %v", i, err)
		}
	}
	if stored.ID == 0 || d1.AuthorContactID == nil || *d1.AuthorContactID != stored.ID {
		t.Errorf("dan's message is by contact %v, want %d, whom the other process stored", d1.AuthorContactID, stored.ID)
	}
	if n, err := store.CountRows(db, "contacts"); err != nil || n != 2 {
		t.Errorf("%d contacts (%v), want 2: dan once, and eve", n, err)
	}
	if got, err := db.Message(ctx, e1.ID); err != nil || got.Text != "about e1" {
		t.Errorf("eve's message read back as %+v (%v)", got, err)
	}
}

// TestTouchPlan: the statement that moves conversations' activity picks
// its rows by id, through the primary key, however the table has grown
// since PostgreSQL last planned it. A prepared statement's generic plan
// is made once and kept until the table's statistics change: made while
// a new database's table held a few rows, it was a sequential scan, and
// in a 10-second run every touch went on reading the whole table (a
// third of PostgreSQL's time). The batch therefore plans its touch anew
// each time (dialect.planTouch). "+ 0" keeps the indexes on
// last_activity_at out of any plan (touchSQL).
func TestTouchPlan(t *testing.T) {
	db := storetest.Open(t, "postgres")
	in := mustInbox(t, db)
	mustWrite(t, db, func(tx *store.Tx) error {
		for i := range 5 {
			c, _, err := tx.FindOrCreateContact(in.ID, store.ContactKey{Kind: parley.IdentityExternal, ExternalID: fmt.Sprint("p", i)})
			if err != nil {
				return err
			}
			if err := tx.CreateConversation(&parley.Conversation{InboxID: in.ID, ContactID: c.ID}, nil); err != nil {
				return err
			}
		}
		return nil
	})
	conn, err := db.ReadPool().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	args := []string{"1"}
	for i := range 32 {
		args = append(args, fmt.Sprint(i+1))
	}
	explain := func() string {
		t.Helper()
		rows, err := conn.QueryContext(ctx, "EXPLAIN EXECUTE touch("+strings.Join(args, ", ")+")")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		return strings.Join(plan, "\n")
	}
	// Run as the writer runs it: after five plans for their arguments,
	// PostgreSQL settles on the generic plan, made now, on five rows.
	exec("PREPARE touch AS " + store.TouchSQL(32))
	for range 6 {
		exec("EXECUTE touch(" + strings.Join(args, ", ") + ")")
	}
	exec(`INSERT INTO conversations (inbox_id, contact_id, status, priority, last_activity_at, created_at, updated_at)
		SELECT $1, contact_id, 'open', 'normal', g, g, g FROM (SELECT min(id) AS contact_id FROM contacts) c, generate_series(1, 20000) g`, in.ID)
	// The grown table makes plans for the arguments dearer than the kept
	// generic plan's estimate, so PostgreSQL now prefers the kept plan.
	exec("EXECUTE touch(" + strings.Join(args, ", ") + ")")
	if kept := explain(); !strings.Contains(kept, "Seq Scan") {
		// Statistics taken meanwhile (autovacuum) replace the kept plan.
		t.Logf("the touch without the guard did not keep the scan planned on five rows:\n%s", kept)
	}

	on, off := store.PlanTouch()
	exec("BEGIN")
	defer conn.ExecContext(ctx, "ROLLBACK")
	var before, after string
	if err := conn.QueryRowContext(ctx, "SHOW plan_cache_mode").Scan(&before); err != nil {
		t.Fatal(err)
	}
	exec(on)
	text := explain()
	exec(off)
	if err := conn.QueryRowContext(ctx, "SHOW plan_cache_mode").Scan(&after); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text, "Seq Scan") || strings.Contains(text, "conversations_activity") ||
		strings.Contains(text, "conversations_status") || !strings.Contains(text, "conversations_pkey") {
		t.Errorf("the batch's touch does not pick rows by id alone on the grown table:\n%s", text)
	}
	if after != before {
		t.Errorf("plan_cache_mode is %q after the touch, was %q: the rest of the batch must keep its plans", after, before)
	}
}
