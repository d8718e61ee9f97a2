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
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.Secrets = storetest.Box(t)
	defer db.Close()
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
		hits := db.IdentityHits()
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
		if db.IdentityHits() == hits {
			t.Logf("%s: answered by a read", step)
		}
		return c
	}

	a, _ := find(key("a"))
	check("created", key("a"))
	hits := db.IdentityHits()
	check("known", key("a"))
	if db.IdentityHits() == hits {
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

	elsewhere, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	elsewhere.Secrets = storetest.Box(t)
	defer elsewhere.Close()
	check("before the other process", key("other"))
	other.Name = "Edited elsewhere"
	mustWrite(t, elsewhere, func(tx *store.Tx) error { return tx.UpdateContact(&other, nil) })
	if got := check("edited by another process", key("other")); got.Name != "Edited elsewhere" {
		t.Errorf("edited by another process: name %q", got.Name)
	}
}
