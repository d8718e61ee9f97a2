package store_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestIdentityCacheNeverStale: the writer's identity cache (SQLite) answers
// a known sender without reading, and its answer is always what a read
// would return: after the contact is edited, after a merge moves its
// identities, after a rolled-back batch created a contact whose id was
// then given to another, and after another process (a command beside
// the server) edited the contact in the same database file.
func TestIdentityCacheNeverStale(t *testing.T) {
	dsn := storetest.DSN(t, "sqlite")
	db := storetest.OpenAt(t, dsn)
	in := mustInbox(t, db)
	key := func(id string) store.ContactKey {
		return store.ContactKey{Kind: parley.IdentityExternal, ExternalID: id}
	}
	find := func(k store.ContactKey) (c parley.Contact, created bool) {
		t.Helper()
		mustWrite(t, db, func(tx *store.Tx) (err error) {
			c, created, err = tx.FindOrCreateContact(in.ID, k)
			return err
		})
		return c, created
	}
	// check finds k's contact and compares it, whole, with a fresh read.
	check := func(step string, k store.ContactKey) parley.Contact {
		t.Helper()
		hits := db.CacheHits()
		c, _ := find(k)
		var id int64
		if err := db.Read(ctx, func(tx *store.Tx) (err error) {
			id, err = tx.ContactByIdentity(k.Kind, in.ID, k.ExternalID)
			return err
		}); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		fresh, err := db.Contact(ctx, id)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		fresh.Identities = c.Identities // FindOrCreateContact does not list them
		if !reflect.DeepEqual(c, fresh) {
			t.Errorf("%s: the writer found %+v, a read finds %+v", step, c, fresh)
		}
		if db.CacheHits() == hits {
			t.Logf("%s: answered by a read", step)
		}
		return c
	}

	a, _ := find(key("a"))
	check("created", key("a"))
	hits := db.CacheHits()
	check("known", key("a"))
	if db.CacheHits() == hits {
		t.Fatal("a known sender was read again, not answered from the cache")
	}

	a.Name = "Renamed"
	mustWrite(t, db, func(tx *store.Tx) error { return tx.UpdateContact(&a, nil) })
	if got := check("edited", key("a")); got.Name != "Renamed" {
		t.Errorf("edited: name %q", got.Name)
	}

	b, _ := find(key("b"))
	check("b known", key("b"))
	mustWrite(t, db, func(tx *store.Tx) error { _, err := tx.MergeContacts(a.ID, b.ID, nil); return err })
	if got := check("merged", key("b")); got.ID != a.ID {
		t.Errorf("merged: b's identity answers contact %d, want the merge's target %d", got.ID, a.ID)
	}

	// An identity moved with no change to either contact's row.
	c, _ := find(key("c"))
	check("c known", key("c"))
	mustWrite(t, db, func(tx *store.Tx) error {
		return tx.Exec("UPDATE identities SET contact_id = $1 WHERE external_id = 'c'", a.ID)
	})
	if got := check("identity moved", key("c")); got.ID != a.ID {
		t.Errorf("identity moved: c answers contact %d, want %d (was %d)", got.ID, a.ID, c.ID)
	}

	var lost parley.Contact
	errs := db.RunBatch(store.BatchCall{Fn: func(tx *store.Tx) (err error) {
		if lost, _, err = tx.FindOrCreateContact(in.ID, key("lost")); err != nil {
			return err
		}
		return errors.New("the caller fails after creating its contact")
	}})
	if errs[0] == nil {
		t.Fatal("the failing caller succeeded")
	}
	other, _ := find(key("other")) // takes the rolled-back contact's id
	got, created := find(key("lost"))
	if !created || got.ID == other.ID {
		t.Errorf("after a rollback: %+v (created %v) for a contact never stored (rolled back as %d; %d is another's)", got, created, lost.ID, other.ID)
	}

	elsewhere := storetest.OpenAt(t, dsn)
	check("before the other process", key("other"))
	other.Name = "Edited elsewhere"
	mustWrite(t, elsewhere, func(tx *store.Tx) error { return tx.UpdateContact(&other, nil) })
	if got := check("edited by another process", key("other")); got.Name != "Edited elsewhere" {
		t.Errorf("edited by another process: name %q", got.Name)
	}
}

// TestLatestCacheNeverStale: the writer's cache of contacts' latest
// conversations (SQLite) answers without reading, and always with what a
// read would return, after each kind of change: a new conversation, a
// touch of its activity, a saved change (status, assignee), a
// continuation, a merge moving conversations to another contact, a
// conversation moved by hand, a rolled-back new conversation whose id is
// then reused, and a change by another process.
func TestLatestCacheNeverStale(t *testing.T) {
	dsn := storetest.DSN(t, "sqlite")
	db := storetest.OpenAt(t, dsn)
	in := mustInbox(t, db)
	contact := func(id string) parley.Contact {
		var c parley.Contact
		mustWrite(t, db, func(tx *store.Tx) (err error) {
			c, _, err = tx.FindOrCreateContact(in.ID, store.ContactKey{Kind: parley.IdentityExternal, ExternalID: id})
			return err
		})
		return c
	}
	newConv := func(db *store.DB, contactID int64) parley.Conversation {
		c := parley.Conversation{InboxID: in.ID, ContactID: contactID}
		mustWrite(t, db, func(tx *store.Tx) error { return tx.CreateConversation(&c, nil) })
		return c
	}
	// check asks the writer for the contact's latest conversation and
	// compares it, whole, with a read's answer; wantHit says whether the
	// cache should have answered.
	check := func(step string, contactID int64, wantHit bool) parley.Conversation {
		t.Helper()
		hits := db.CacheHits()
		var got, fresh parley.Conversation
		mustWrite(t, db, func(tx *store.Tx) (err error) {
			got, err = tx.LatestConversation(in.ID, contactID)
			return err
		})
		if err := db.Read(ctx, func(tx *store.Tx) (err error) {
			fresh, err = tx.LatestConversation(in.ID, contactID)
			return err
		}); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if !reflect.DeepEqual(got, fresh) {
			t.Errorf("%s: the writer found\n%+v\na read finds\n%+v", step, got, fresh)
		}
		if hit := db.CacheHits() > hits; hit != wantHit {
			t.Errorf("%s: answered from the cache = %v, want %v", step, hit, wantHit)
		}
		return got
	}

	a := contact("a")
	first := newConv(db, a.ID)
	check("created", a.ID, true)
	check("again", a.ID, true)

	mustWrite(t, db, func(tx *store.Tx) error { return tx.TouchConversation(&first) })
	check("touched", a.ID, true)

	mustWrite(t, db, func(tx *store.Tx) error {
		c, err := tx.Conversation(first.ID)
		if err != nil {
			return err
		}
		c.Status, c.Priority = parley.StatusPending, parley.PriorityUrgent
		return tx.SaveConversation(&c)
	})
	if got := check("saved", a.ID, true); got.Status != parley.StatusPending || got.Priority != parley.PriorityUrgent {
		t.Errorf("saved: %s %s", got.Status, got.Priority)
	}

	// b's conversation is older than a's second: merging a into b moves
	// a's conversations to b, and a's second becomes b's latest.
	b := contact("b")
	newConv(db, b.ID)
	check("b", b.ID, true)
	second := newConv(db, a.ID)
	if got := check("continued", a.ID, true); got.ID != second.ID {
		t.Errorf("continued: latest %d, want %d", got.ID, second.ID)
	}
	mustWrite(t, db, func(tx *store.Tx) error { _, err := tx.MergeContacts(b.ID, a.ID, nil); return err })
	if got := check("merged", b.ID, true); got.ID != second.ID {
		t.Errorf("merged: b's latest %d, want a's newest %d", got.ID, second.ID)
	}

	// A conversation moved by hand away from the cached pair: that pair's
	// latest is an older one, which only a read can say.
	away := contact("elsewhere")
	mustWrite(t, db, func(tx *store.Tx) error {
		return tx.Exec("UPDATE conversations SET contact_id = $1 WHERE id = $2", away.ID, second.ID)
	})
	check("moved away", b.ID, false)
	check("read again", b.ID, true)

	cc := contact("c")
	var lost parley.Conversation
	errs := db.RunBatch(store.BatchCall{Fn: func(tx *store.Tx) error {
		lost = parley.Conversation{InboxID: in.ID, ContactID: cc.ID}
		if err := tx.CreateConversation(&lost, nil); err != nil {
			return err
		}
		return errors.New("the caller fails after starting a conversation")
	}})
	if errs[0] == nil {
		t.Fatal("the failing caller succeeded")
	}
	noLatest := func(step string) {
		t.Helper()
		var none error
		mustWrite(t, db, func(tx *store.Tx) error {
			_, none = tx.LatestConversation(in.ID, cc.ID)
			return nil
		})
		if parley.ErrorCode(none) != parley.ENOTFOUND {
			t.Errorf("%s: c has a latest conversation (%v); its only one, %d, was rolled back", step, none, lost.ID)
		}
	}
	noLatest("after a rollback")
	d := contact("d")
	reused := newConv(db, d.ID) // takes the rolled-back conversation's id
	noLatest("after its id was reused")

	elsewhere := storetest.OpenAt(t, dsn)
	check("d", d.ID, false) // its id was drawn before, by the rolled-back one: the cache reads
	check("d again", d.ID, true)
	mustWrite(t, elsewhere, func(tx *store.Tx) error {
		c, err := tx.Conversation(reused.ID)
		if err != nil {
			return err
		}
		c.Status = parley.StatusResolved
		now := tx.Now()
		c.ResolvedAt = &now
		return tx.SaveConversation(&c)
	})
	if got := check("changed by another process", d.ID, false); got.Status != parley.StatusResolved {
		t.Errorf("changed by another process: %s", got.Status)
	}
}
