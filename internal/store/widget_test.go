package store_test

import (
	"testing"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

func TestWidgetVisitors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		clock := newClock()
		db.Now = clock.Now
		in := parley.Inbox{Name: "Site", ChannelType: parley.ChannelWidget}
		mustWrite(t, db, func(tx *store.Tx) error { return tx.CreateInbox(&in, "w", "id-secret") })
		if s, err := db.IdentitySecret(ctx, in.ID); err != nil || s != "id-secret" {
			t.Fatalf("identity secret %q, %v", s, err)
		}
		a, _ := findOrCreate(t, db, in.ID, store.ContactKey{Kind: parley.IdentityVisitor, ExternalID: "hash-a"})
		b, _ := findOrCreate(t, db, in.ID, store.ContactKey{Kind: parley.IdentityVisitor, ExternalID: "hash-b"})

		if id, err := db.ContactIDByIdentity(ctx, parley.IdentityVisitor, in.ID, "hash-a"); err != nil || id != a.ID {
			t.Fatalf("by identity = %d, %v", id, err)
		}
		if _, err := db.ContactIDByIdentity(ctx, parley.IdentityVisitor, in.ID+1, "hash-a"); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Fatalf("another inbox's scope: %v", err)
		}
		// A second token for a: fine, twice too; b's token: conflict.
		mustWrite(t, db, func(tx *store.Tx) error { return tx.AddIdentity(a.ID, parley.IdentityVisitor, in.ID, "hash-a2") })
		mustWrite(t, db, func(tx *store.Tx) error { return tx.AddIdentity(a.ID, parley.IdentityVisitor, in.ID, "hash-a2") })
		err := db.Write(ctx, func(tx *store.Tx) error { return tx.AddIdentity(a.ID, parley.IdentityVisitor, in.ID, "hash-b") })
		if parley.ErrorCode(err) != parley.ECONFLICT {
			t.Fatalf("taking b's identity: %v", err)
		}
		if id, _ := db.ContactIDByIdentity(ctx, parley.IdentityVisitor, in.ID, "hash-a2"); id != a.ID {
			t.Fatalf("second token maps to %d", id)
		}

		// Presence.
		if seen, err := db.ContactLastSeen(ctx, a.ID); err != nil || seen != nil {
			t.Fatalf("last seen before any visit = %v, %v", seen, err)
		}
		mustWrite(t, db, func(tx *store.Tx) error { return tx.TouchContact(a.ID) })
		if seen, _ := db.ContactLastSeen(ctx, a.ID); seen == nil || !seen.Equal(clock.Now()) {
			t.Fatalf("last seen = %v, want %v", seen, clock.Now())
		}
		if _, err := db.ContactLastSeen(ctx, 9999); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Fatalf("unknown contact: %v", err)
		}

		// Email: stored, with an event, and no identity.
		mustWrite(t, db, func(tx *store.Tx) error { return tx.SetContactEmail(a.ID, "a@example.com") })
		c, _ := db.Contact(ctx, a.ID)
		if c.Email != "a@example.com" {
			t.Fatalf("email = %q", c.Email)
		}
		for _, id := range c.Identities {
			if id.Kind == parley.IdentityEmail {
				t.Fatal("SetContactEmail added an email identity")
			}
		}

		// Seen message ids: the highest over a chain, never backwards.
		var conv parley.Conversation
		var m1, m2 parley.Message
		mustWrite(t, db, func(tx *store.Tx) error {
			conv = parley.Conversation{InboxID: in.ID, ContactID: a.ID}
			if err := tx.CreateConversation(&conv, nil); err != nil {
				return err
			}
			m1 = parley.Message{Direction: parley.Incoming, AuthorContactID: &a.ID, Text: "one"}
			m2 = parley.Message{Direction: parley.Outgoing, Text: "two"}
			if err := tx.CreateMessage(&conv, &m1); err != nil {
				return err
			}
			return tx.CreateMessage(&conv, &m2)
		})
		if got, err := db.LatestConversationOf(ctx, in.ID, a.ID); err != nil || got.ID != conv.ID {
			t.Fatalf("latest = %+v, %v", got, err)
		}
		if _, err := db.LatestConversationOf(ctx, in.ID, b.ID); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Fatalf("b's latest: %v", err)
		}
		mustWrite(t, db, func(tx *store.Tx) error { return tx.MarkContactSeen(conv.ID, m2.ID) })
		mustWrite(t, db, func(tx *store.Tx) error { return tx.MarkContactSeen(conv.ID, m1.ID) })
		if seen, err := db.ContactSeenMessageID(ctx, []int64{conv.ID}); err != nil || seen != m2.ID {
			t.Fatalf("seen = %d, %v; want %d", seen, err, m2.ID)
		}
		if seen, _ := db.ContactSeenMessageID(ctx, nil); seen != 0 {
			t.Fatalf("seen of nothing = %d", seen)
		}
	})
}

func TestNotificationsAndReplyScan(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		db.Now = newClock().Now
		widget := parley.Inbox{Name: "Site", ChannelType: parley.ChannelWidget, AwayMinutes: 7}
		api := parley.Inbox{Name: "API", ChannelType: parley.ChannelAPI}
		mustWrite(t, db, func(tx *store.Tx) error {
			if err := tx.CreateInbox(&widget, "w", "id-w"); err != nil {
				return err
			}
			return tx.CreateInbox(&api, "a", "id-a")
		})
		contact, _ := findOrCreate(t, db, widget.ID, store.ContactKey{Kind: parley.IdentityVisitor, ExternalID: "v"})
		reply := func(in parley.Inbox, dir parley.Direction) (m parley.Message) {
			mustWrite(t, db, func(tx *store.Tx) error {
				c := parley.Conversation{InboxID: in.ID, ContactID: contact.ID}
				if err := tx.CreateConversation(&c, nil); err != nil {
					return err
				}
				m = parley.Message{Direction: dir, Text: "x"}
				return tx.CreateMessage(&c, &m)
			})
			return m
		}
		want := []int64{reply(widget, parley.Outgoing).ID, reply(widget, parley.Outgoing).ID, reply(widget, parley.Outgoing).ID}
		all := append([]int64{reply(widget, parley.Note).ID, reply(widget, parley.Incoming).ID, reply(api, parley.Outgoing).ID}, want...)
		var replies []store.WidgetReply
		mustWrite(t, db, func(tx *store.Tx) (err error) { replies, err = tx.WidgetReplies(all); return err })
		var got []int64
		for _, r := range replies {
			if r.AwayMinutes != 7 {
				t.Fatalf("away minutes = %d", r.AwayMinutes)
			}
			got = append(got, r.MessageID)
		}
		if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Fatalf("widget replies %v, want %v", got, want)
		}

		m := reply(widget, parley.Outgoing)
		err := db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.NotificationForMessage(m.ID, "email")
			return err
		})
		if parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Fatalf("no notification yet: %v", err)
		}
		n := store.Notification{ConversationID: m.ConversationID, MessageID: &m.ID, Channel: "email", Status: store.NotificationNotSent, Reason: "no address"}
		mustWrite(t, db, func(tx *store.Tx) error { return tx.RecordNotification(&n) })
		list, err := db.Notifications(ctx, m.ConversationID)
		if err != nil || len(list) != 1 || list[0].Reason != "no address" || *list[0].MessageID != m.ID || list[0].CreatedAt.IsZero() {
			t.Fatalf("notifications = %+v, %v", list, err)
		}
		err = db.Write(ctx, func(tx *store.Tx) error {
			got, err := tx.NotificationForMessage(m.ID, "email")
			if err == nil && got.ID != n.ID {
				t.Errorf("found %+v", got)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		bad := store.Notification{ConversationID: m.ConversationID, Channel: "email", Status: "lost"}
		if err := db.Write(ctx, func(tx *store.Tx) error { return tx.RecordNotification(&bad) }); err == nil {
			t.Fatal("an unknown status was stored")
		}
	})
}
