package store_test

import (
	"database/sql"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestTextGuard: a string argument with a NUL or invalid UTF-8 is refused
// with EINVALID on both databases, for writes (prepared or not, in the
// writer's batch) and reads alike, instead of PostgreSQL's driver error
// (a 500) and SQLite storing it; the refused write leaves nothing behind
// and the writer goes on with the next caller.
func TestTextGuard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		in := mustInbox(t, db)
		bad := []any{"a\x00b", "\xff\xfe", sql.NullString{String: "x\x00", Valid: true}}
		for _, arg := range bad {
			k := store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "ext-1", Name: "Ana"}
			switch v := arg.(type) {
			case string:
				k.Name = v
			case sql.NullString:
				k.ExternalID = v.String
			}
			err := db.Write(ctx, func(tx *store.Tx) error {
				_, _, err := tx.FindOrCreateContact(in.ID, k)
				return err
			})
			if parley.ErrorCode(err) != parley.EINVALID {
				t.Errorf("write with %q: err = %v, want EINVALID", arg, err)
			}
			// Reads: a lookup by a bad email, and a contact search.
			if _, _, err := db.AgentByEmail(ctx, "bo\x00@example.com"); parley.ErrorCode(err) != parley.EINVALID {
				t.Errorf("read with NUL: err = %v, want EINVALID", err)
			}
			if _, err := db.Contacts(ctx, "a\x00", 0, 10); parley.ErrorCode(err) != parley.EINVALID {
				t.Errorf("search with NUL: err = %v, want EINVALID", err)
			}
		}
		list, err := db.Contacts(ctx, "", 0, 10)
		if err != nil || len(list) != 0 {
			t.Fatalf("refused writes left contacts: %v, %v", list, err)
		}
		// The same write with clean text goes through, twice (the second
		// time from the writer's prepared statements on SQLite).
		for range 2 {
			var c parley.Contact
			mustWrite(t, db, func(tx *store.Tx) (err error) {
				c, _, err = tx.FindOrCreateContact(in.ID, store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "ext-1", Name: "Ana ünï"})
				return err
			})
			if c.Name != "Ana ünï" {
				t.Fatalf("clean write: contact %+v", c)
			}
		}
		// A batch where one caller is refused commits the others.
		errs := make(chan error, 3)
		for i, name := range []string{"one", "t\x00wo", "three"} {
			go func() {
				errs <- db.Write(ctx, func(tx *store.Tx) error {
					_, _, err := tx.FindOrCreateContact(in.ID, store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "batch-" + string(rune('a'+i)), Name: name})
					return err
				})
			}()
		}
		refused := 0
		for range 3 {
			if err := <-errs; parley.ErrorCode(err) == parley.EINVALID {
				refused++
			} else if err != nil {
				t.Errorf("batch write: %v", err)
			}
		}
		if list, err := db.Contacts(ctx, "", 0, 10); refused != 1 || err != nil || len(list) != 3 {
			t.Errorf("batch: refused %d, contacts %d (%v), want 1 refused and 3 contacts", refused, len(list), err)
		}
	})
}
