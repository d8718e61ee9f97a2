package store_test

import (
	"strconv"
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

		// Messages made in a batch are inserted together, at its end; a
		// caller whose work is undone leaves none behind, a caller without
		// a hint sees them all, and a reassignment reaches them.
		agent := parley.Agent{Email: "eve@example.com", Name: "Eve", Role: parley.RoleAgent}
		mustWrite(t, db, func(tx *store.Tx) error { return tx.CreateAgent(&agent, "!") })
		var danConv parley.Conversation
		var dan parley.Contact
		mustWrite(t, db, func(tx *store.Tx) (err error) {
			if dan, _, err = tx.FindOrCreateContact(in.ID, key("dan")); err != nil {
				return err
			}
			danConv = parley.Conversation{InboxID: in.ID, ContactID: dan.ID}
			return tx.CreateConversation(&danConv, nil)
		})
		store_ := func(ext string, fail bool) store.BatchCall {
			return store.BatchCall{Hint: hint("dan", ext), Fn: func(tx *store.Tx) error {
				if _, err := tx.MessageByExternalID(in.ID, ext); err == nil {
					return nil // a duplicate
				} else if parley.ErrorCode(err) != parley.ENOTFOUND {
					return err
				}
				c, err := tx.Conversation(danConv.ID)
				if err != nil {
					return err
				}
				text := "about " + ext
				if fail {
					text = "undone " + ext
				}
				m := parley.Message{Direction: parley.Incoming, AuthorContactID: &dan.ID, Text: text, ExternalID: ext}
				if err := tx.CreateMessage(&c, &m); err != nil {
					return err
				}
				if fail {
					return parley.Errorf(parley.EINVALID, "undone after storing %s", ext)
				}
				return nil
			}}
		}
		var readBack string
		var d1 int64
		errs = db.RunBatch(
			store_("d1", false),
			store_("d2", true),  // undone: d2 must not be stored…
			store_("d2", false), // …so this one stores it
			store.BatchCall{Hint: hint("dan", "d3"), Fn: func(tx *store.Tx) error {
				m, err := tx.MessageByExternalID(in.ID, "d1") // made by the first caller, not inserted yet
				d1 = m.ID
				if err != nil {
					return err
				}
				c, err := tx.Conversation(danConv.ID)
				if err != nil {
					return err
				}
				c.AssigneeID = &agent.ID
				return tx.SaveConversation(&c)
			}},
			store.BatchCall{Fn: func(tx *store.Tx) error {
				m, err := tx.Message(d1)
				readBack = m.Text
				return err
			}},
		)
		if errs[1] == nil || errs[0] != nil || errs[2] != nil || errs[3] != nil || errs[4] != nil {
			t.Fatalf("errors %v; want only the second caller's", errs)
		}
		if readBack != "about d1" {
			t.Errorf("a caller without a hint read %q for a message made earlier in its batch", readBack)
		}
		if n := int64s(t, db, "SELECT COUNT(*) FROM messages WHERE text LIKE 'undone%'"); n[0] != 0 {
			t.Errorf("%d messages stored by a caller whose work was undone", n[0])
		}
		rows := int64s(t, db, "SELECT COALESCE(assignee_id, 0) FROM messages WHERE conversation_id = "+strconv.FormatInt(danConv.ID, 10)+" ORDER BY id")
		if len(rows) != 2 || rows[0] != agent.ID || rows[1] != agent.ID {
			t.Errorf("dan's messages: assignees %v; want two, both %d (d2 stored once, the reassignment followed)", rows, agent.ID)
		}
	})
}
