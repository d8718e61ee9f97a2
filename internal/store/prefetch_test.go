package store_test

import (
	"testing"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestPrefetchSeesEarlierCallers puts batches together by hand, so that
// each case of the read-ahead (prefetch.go) is met for sure: a caller
// must read what earlier callers of its batch wrote, never the rows as
// the batch found them.
func TestPrefetchSeesEarlierCallers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		in := mustInbox(t, db)
		key := func(id string) store.ContactKey {
			return store.ContactKey{Kind: parley.IdentityExternal, ExternalID: id}
		}
		hint := func(id, ext string) *store.ReceiveHint {
			return &store.ReceiveHint{InboxID: in.ID, ExternalID: ext, Contact: key(id)}
		}
		// ann has a resolved conversation; bob has an open one.
		var ann, bob parley.Contact
		var annConv, bobConv parley.Conversation
		mustWrite(t, db, func(tx *store.Tx) (err error) {
			if ann, _, err = tx.FindOrCreateContact(in.ID, key("ann")); err != nil {
				return err
			}
			if bob, _, err = tx.FindOrCreateContact(in.ID, key("bob")); err != nil {
				return err
			}
			now := tx.Now()
			annConv = parley.Conversation{InboxID: in.ID, ContactID: ann.ID, Status: parley.StatusResolved, ResolvedAt: &now}
			bobConv = parley.Conversation{InboxID: in.ID, ContactID: bob.ID}
			if err := tx.CreateConversation(&annConv, nil); err != nil {
				return err
			}
			if err := tx.CreateConversation(&bobConv, nil); err != nil {
				return err
			}
			m := parley.Message{Direction: parley.Incoming, AuthorContactID: &bob.ID, Text: "first", ExternalID: "b0"}
			return tx.CreateMessage(&bobConv, &m)
		})
		before := db.PrefetchedBatches()

		var seen struct {
			annStatus, bobStatus parley.Status
			bobName              string
			dup                  int64
			sameContact          int64
			carolConvs           []int64
		}
		var carol parley.Contact
		errs := db.RunBatch(
			// Someone answers in ann's thread and reopens it.
			store.BatchCall{Hint: hint("colleague", "c1"), Fn: func(tx *store.Tx) error {
				c, err := tx.Conversation(annConv.ID)
				if err != nil {
					return err
				}
				c.Status, c.ResolvedAt = parley.StatusOpen, nil
				return tx.SaveConversation(&c)
			}},
			// ann then writes: her latest conversation is open now.
			store.BatchCall{Hint: hint("ann", "a1"), Fn: func(tx *store.Tx) error {
				c, err := tx.LatestConversation(in.ID, ann.ID)
				seen.annStatus = c.Status
				if err != nil {
					return err
				}
				m := parley.Message{Direction: parley.Incoming, AuthorContactID: &ann.ID, Text: "hi", ExternalID: "a1"}
				return tx.CreateMessage(&c, &m)
			}},
			// A message ann's first one duplicates, in the same batch.
			store.BatchCall{Hint: hint("ann", "a1"), Fn: func(tx *store.Tx) error {
				m, err := tx.MessageByExternalID(in.ID, "a1")
				seen.dup = m.ID
				return err
			}},
			// carol is new; her first message names her email too.
			store.BatchCall{Hint: &store.ReceiveHint{InboxID: in.ID, Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "carol", Email: "carol@example.com"}},
				Fn: func(tx *store.Tx) (err error) {
					if carol, _, err = tx.FindOrCreateContact(in.ID, store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "carol", Email: "carol@example.com"}); err != nil {
						return err
					}
					if _, err := tx.LatestConversation(in.ID, carol.ID); parley.ErrorCode(err) != parley.ENOTFOUND {
						t.Errorf("a new contact's latest conversation: %v, want none", err)
					}
					c := parley.Conversation{InboxID: in.ID, ContactID: carol.ID}
					return tx.CreateConversation(&c, nil)
				}},
			// carol again, by email only: the same person, and the
			// conversation her first message started.
			store.BatchCall{Hint: &store.ReceiveHint{InboxID: in.ID, Contact: store.ContactKey{Email: "carol@example.com"}},
				Fn: func(tx *store.Tx) error {
					c, _, err := tx.FindOrCreateContact(in.ID, store.ContactKey{Email: "carol@example.com"})
					if err != nil {
						return err
					}
					seen.sameContact = c.ID
					conv, err := tx.LatestConversation(in.ID, c.ID)
					seen.carolConvs = append(seen.carolConvs, conv.ID)
					return err
				}},
			// bob's first message again: a duplicate, which reads no
			// further, so what was read ahead for bob stays unread.
			store.BatchCall{Hint: hint("bob", "b0"), Fn: func(tx *store.Tx) error {
				_, err := tx.MessageByExternalID(in.ID, "b0")
				return err
			}},
			// An agent's write, which is no received message: bob's
			// conversation is set pending…
			store.BatchCall{Fn: func(tx *store.Tx) error {
				c, err := tx.Conversation(bobConv.ID)
				if err != nil {
					return err
				}
				c.Status = parley.StatusPending
				if err := tx.SaveConversation(&c); err != nil {
					return err
				}
				// …and bob renamed, by a write the read-ahead knows nothing of.
				renamed := bob
				renamed.Name = "Robert"
				return tx.UpdateContact(&renamed, nil)
			}},
			// …and bob's message after it reads that.
			store.BatchCall{Hint: hint("bob", "b1"), Fn: func(tx *store.Tx) error {
				who, _, err := tx.FindOrCreateContact(in.ID, key("bob"))
				if err != nil {
					return err
				}
				seen.bobName = who.Name
				c, err := tx.LatestConversation(in.ID, bob.ID)
				seen.bobStatus = c.Status
				return err
			}},
		)
		for i, err := range errs {
			if err != nil {
				t.Fatalf("caller %d: %v", i, err)
			}
		}
		if seen.annStatus != parley.StatusOpen {
			t.Errorf("ann's conversation read as %q after the batch reopened it", seen.annStatus)
		}
		if seen.dup == 0 {
			t.Error("the duplicate did not find the message stored earlier in its batch")
		}
		if seen.sameContact != carol.ID || len(seen.carolConvs) != 1 || seen.carolConvs[0] == 0 {
			t.Errorf("carol by email: contact %d (want %d), conversations %v", seen.sameContact, carol.ID, seen.carolConvs)
		}
		if seen.bobName != "Robert" {
			t.Errorf("bob read as %q after an agent renamed him in the batch", seen.bobName)
		}
		if seen.bobStatus != parley.StatusPending {
			t.Errorf("bob's conversation read as %q after an agent's write in the batch", seen.bobStatus)
		}
		if got := db.PrefetchedBatches() - before; dialect == "postgres" && got != 1 {
			t.Errorf("%d batches read ahead on PostgreSQL, want 1", got)
		}
	})
}
