package store_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestWriteRetriesDeadlock: two processes' writers lock the same two
// conversations in opposite orders, each in its own transaction.
// PostgreSQL fails one of them with a deadlock; the writer runs that
// caller again, so both callers succeed and neither sees the conflict.
func TestWriteRetriesDeadlock(t *testing.T) {
	dsn := storetest.DSN(t, "postgres") // skips without PostgreSQL
	var dbs [2]*store.DB
	for i := range dbs {
		db, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		db.Secrets = storetest.Box(t)
		dbs[i] = db
	}
	in := mustInbox(t, dbs[0])
	var convs [2]int64
	for i := range convs {
		mustWrite(t, dbs[0], func(tx *store.Tx) error {
			ct, _, err := tx.FindOrCreateContact(in.ID, store.ContactKey{Kind: parley.IdentityExternal, ExternalID: fmt.Sprintf("c-%d", i)})
			if err != nil {
				return err
			}
			c := parley.Conversation{InboxID: in.ID, ContactID: ct.ID}
			err = tx.CreateConversation(&c, nil)
			convs[i] = c.ID
			return err
		})
	}
	// Each caller locks its first conversation, waits (on its first run
	// only) until the other has locked its own, then locks the other's.
	var locked [2]chan struct{}
	var once [2]sync.Once
	var runs atomic.Int32
	for i := range locked {
		locked[i] = make(chan struct{})
	}
	errs := make(chan error, 2)
	for i := range dbs {
		go func() {
			errs <- dbs[i].Write(ctx, func(tx *store.Tx) error {
				runs.Add(1)
				if _, err := tx.Conversation(convs[i]); err != nil {
					return err
				}
				first := false
				once[i].Do(func() { close(locked[i]); first = true })
				if first {
					select {
					case <-locked[1-i]:
					case <-time.After(10 * time.Second):
						return fmt.Errorf("the other writer never locked its conversation")
					}
				}
				_, err := tx.Conversation(convs[1-i])
				return err
			})
		}()
	}
	for range dbs {
		if err := <-errs; err != nil {
			t.Errorf("a caller saw: %v", err)
		}
	}
	if n := runs.Load(); n != 3 {
		t.Errorf("the callers ran %d times, want 3: twice into the deadlock, once more for its victim", n)
	}
}
