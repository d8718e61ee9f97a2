package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

func findOrCreate(t *testing.T, db *store.DB, inboxID int64, k store.ContactKey) (c parley.Contact, created bool) {
	t.Helper()
	mustWrite(t, db, func(tx *store.Tx) (err error) {
		c, created, err = tx.FindOrCreateContact(inboxID, k)
		return err
	})
	return c, created
}

func TestContacts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		a, b := mustInbox(t, db), mustInbox(t, db)
		ana, created := findOrCreate(t, db, a.ID, store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "u1", Name: "Ana"})
		if !created {
			t.Fatal("first sight did not create")
		}
		// Same external id in another inbox is someone else: ids are inbox-scoped.
		other, created := findOrCreate(t, db, b.ID, store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "u1"})
		if !created || other.ID == ana.ID {
			t.Fatal("an inbox-scoped id matched across inboxes")
		}
		// Ana gives her email in inbox A; later writes from inbox B by email: one contact.
		findOrCreate(t, db, a.ID, store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "u1", Email: "ana@example.com"})
		viaB, created := findOrCreate(t, db, b.ID, store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "b-77", Email: "ana@example.com"})
		if created || viaB.ID != ana.ID || viaB.Email != "ana@example.com" || viaB.Name != "Ana" {
			t.Fatalf("by email: %+v created=%v", viaB, created)
		}
		full, err := db.Contact(ctx, ana.ID)
		if err != nil || len(full.Identities) != 3 {
			t.Fatalf("identities = %+v, %v", full.Identities, err)
		}
		// An email held by Ana is not stolen by another contact's update.
		other.Email = "ana@example.com"
		err = db.Write(ctx, func(tx *store.Tx) error { return tx.UpdateContact(&other, nil) })
		if parley.ErrorCode(err) != parley.ECONFLICT {
			t.Fatalf("update to a taken email: %v", err)
		}
		if _, err := db.Contact(ctx, 999999); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Fatalf("unknown contact: %v", err)
		}
		list, err := db.Contacts(ctx, "ANA@", 0, 10)
		if err != nil || len(list) != 1 || list[0].ID != ana.ID {
			t.Fatalf("search contacts = %+v, %v", list, err)
		}
		if list, _ := db.Contacts(ctx, "%", 0, 10); len(list) != 0 {
			t.Fatalf("a bare %% matched %d contacts; LIKE wildcards must be escaped", len(list))
		}
	})
}

func TestMergeUnmerge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		in := mustInbox(t, db)
		a, _ := findOrCreate(t, db, in.ID, store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "a"})
		b, _ := findOrCreate(t, db, in.ID, store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "b", Phone: "+14155550100", Name: "Bo"})
		var conv parley.Conversation
		mustWrite(t, db, func(tx *store.Tx) error {
			conv = parley.Conversation{InboxID: in.ID, ContactID: b.ID}
			return tx.CreateConversation(&conv, nil)
		})
		var m parley.ContactMerge
		mustWrite(t, db, func(tx *store.Tx) (err error) { m, err = tx.MergeContacts(a.ID, b.ID, nil); return err })
		if len(m.IdentityIDs) != 2 || len(m.ConversationIDs) != 1 {
			t.Fatalf("merge moved %+v", m)
		}
		// The phone now finds A.
		if got, _ := findOrCreate(t, db, in.ID, store.ContactKey{Phone: "+14155550100"}); got.ID != a.ID || got.Name != "Bo" {
			t.Fatalf("after merge the phone finds %+v", got)
		}
		if c, _ := db.Conversation(ctx, conv.ID); c.ContactID != a.ID {
			t.Fatal("conversation did not move")
		}
		err := db.Write(ctx, func(tx *store.Tx) error { _, err := tx.MergeContacts(a.ID, b.ID, nil); return err })
		if parley.ErrorCode(err) != parley.ECONFLICT {
			t.Fatalf("merging a merged contact: %v", err)
		}
		mustWrite(t, db, func(tx *store.Tx) error { _, err := tx.UnmergeContacts(m.ID, nil); return err })
		if c, _ := db.Conversation(ctx, conv.ID); c.ContactID != b.ID {
			t.Fatal("unmerge did not move the conversation back")
		}
		if got, _ := findOrCreate(t, db, in.ID, store.ContactKey{Phone: "+14155550100"}); got.ID != b.ID {
			t.Fatalf("after unmerge the phone finds %d, want %d", got.ID, b.ID)
		}
		err = db.Write(ctx, func(tx *store.Tx) error { _, err := tx.UnmergeContacts(m.ID, nil); return err })
		if parley.ErrorCode(err) != parley.ECONFLICT {
			t.Fatalf("second unmerge: %v", err)
		}
		merges, _ := db.ContactMerges(ctx, a.ID)
		if len(merges) != 1 || merges[0].UnmergedAt == nil {
			t.Fatalf("merges = %+v", merges)
		}
	})
}

func TestConversationList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		clock := newClock()
		db.Now = clock.Now
		in := mustInbox(t, db)
		c, _ := findOrCreate(t, db, in.ID, store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "x"})
		const n = 23
		for i := range n {
			mustWrite(t, db, func(tx *store.Tx) error {
				conv := parley.Conversation{InboxID: in.ID, ContactID: c.ID}
				if i%3 == 0 {
					conv.Status = parley.StatusPending
				}
				if err := tx.CreateConversation(&conv, nil); err != nil {
					return err
				}
				if i%5 == 0 {
					return tx.SetLabels(conv.ID, []string{"vip"})
				}
				return nil
			})
			if i%2 == 0 {
				clock.Add(time.Second) // several share a timestamp: the id breaks ties
			}
		}
		var all []parley.Conversation
		cursor := ""
		for range 10 {
			page, err := db.Conversations(ctx, parley.ConversationFilter{Limit: 5, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, page.Conversations...)
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if len(all) != n {
			t.Fatalf("paged %d conversations, want %d", len(all), n)
		}
		for i := 1; i < len(all); i++ {
			p, q := all[i-1], all[i]
			if p.LastActivityAt.Before(q.LastActivityAt) || (p.LastActivityAt.Equal(q.LastActivityAt) && p.ID < q.ID) {
				t.Fatalf("out of order at %d: %d then %d", i, p.ID, q.ID)
			}
		}
		pending, _ := db.Conversations(ctx, parley.ConversationFilter{Status: parley.StatusPending, Limit: 100})
		vip, _ := db.Conversations(ctx, parley.ConversationFilter{Label: "vip", Limit: 100})
		if len(pending.Conversations) != 8 || len(vip.Conversations) != 5 || vip.Conversations[0].Labels[0] != "vip" {
			t.Fatalf("pending %d, vip %d", len(pending.Conversations), len(vip.Conversations))
		}
		if _, err := db.Conversations(ctx, parley.ConversationFilter{Cursor: "not-a-cursor"}); parley.ErrorCode(err) != parley.EINVALID {
			t.Fatalf("bad cursor: %v", err)
		}
	})
}

func TestSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		in := mustInbox(t, db)
		c, _ := findOrCreate(t, db, in.ID, store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "x"})
		texts := []string{"My payment failed twice", "Where is my order?", "Thanh toán thất bại", "payments page is down", "refund please"}
		for _, text := range texts {
			mustWrite(t, db, func(tx *store.Tx) error {
				conv := parley.Conversation{InboxID: in.ID, ContactID: c.ID}
				if err := tx.CreateConversation(&conv, nil); err != nil {
					return err
				}
				return tx.CreateMessage(&conv, &parley.Message{Direction: parley.Incoming, Text: text, AuthorContactID: &c.ID})
			})
		}
		for _, tc := range []struct {
			q    string
			want []string
		}{
			{"payment", []string{texts[0]}},
			{"PAYMENT failed", []string{texts[0]}},
			{"pay*", []string{texts[3], texts[0]}},
			{"thất bại", []string{texts[2]}},
			{`order" OR "refund`, nil}, // quotes are separators, not syntax: both words must match
			{`NEAR(payment failed) :* (`, nil},
		} {
			res, err := db.Search(ctx, store.SearchFilter{Query: tc.q})
			if err != nil {
				t.Fatalf("Search(%q): %v", tc.q, err)
			}
			var got []string
			for _, r := range res.Results {
				got = append(got, r.Text)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("Search(%q) = %q, want %q", tc.q, got, tc.want)
			}
		}
		// Awkward texts: the plan that starts from one contact's messages
		// and tests each (in Go on SQLite) must agree with the index.
		for _, text := range []string{"Café au LAIT, s'il vous plaît", "ĐƠN HÀNG đã giao", "naïve-résumé x²+y² 1½", "order#123/abc_def",
			"日本語テキスト と english", "İstanbul ΣΊΣΥΦΟΣ straße", "emoji😀between", "Ａｂｃ ｆｕｌｌ ｗｉｄｔｈ"} {
			mustWrite(t, db, func(tx *store.Tx) error {
				conv := parley.Conversation{InboxID: in.ID, ContactID: c.ID}
				if err := tx.CreateConversation(&conv, nil); err != nil {
					return err
				}
				return tx.CreateMessage(&conv, &parley.Message{Direction: parley.Incoming, Text: text, AuthorContactID: &c.ID})
			})
		}
		for _, q := range []string{"café", "CAFE", "lait", "plaît", "đơn hàng", "giao", "naïve", "résumé", "x²", "x", "1½", "1", "order", "123", "abc_def",
			"abc", "日本語テキスト", "日本*", "english", "istanbul", "i̇stanbul", "σίσυφος", "STRASSE", "straße", "emoji", "between", "abc", "ａｂｃ", "ful*", "ｆｕｌ*", "pay*", "payment failed", "Σίσυφ*"} {
			all, err := db.Search(ctx, store.SearchFilter{Query: q, Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			mine, err := db.Search(ctx, store.SearchFilter{Query: q, ContactID: c.ID, Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			var a, b []string
			for _, r := range all.Results {
				a = append(a, r.Text)
			}
			for _, r := range mine.Results {
				b = append(b, r.Text)
			}
			if fmt.Sprint(a) != fmt.Sprint(b) {
				t.Errorf("Search(%q): the index finds %q, the contact's messages tested one by one %q", q, a, b)
			}
		}
		if _, err := db.Search(ctx, store.SearchFilter{Query: " ** "}); parley.ErrorCode(err) != parley.EINVALID {
			t.Fatalf("empty query: %v", err)
		}
		res, _ := db.Search(ctx, store.SearchFilter{Query: "payment", Status: parley.StatusResolved})
		if len(res.Results) != 0 {
			t.Fatalf("status filter ignored: %d results", len(res.Results))
		}
	})
}

func TestJobs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		clock := newClock()
		db.Now = clock.Now
		var id int64
		mustWrite(t, db, func(tx *store.Tx) (err error) {
			id, err = tx.EnqueueJob("test", `{}`, clock.Now().Add(time.Minute), 2)
			return err
		})
		claim := func(worker string) (jobs []store.Job) {
			mustWrite(t, db, func(tx *store.Tx) (err error) { jobs, err = tx.ClaimJobs(worker, time.Minute, 10); return err })
			return jobs
		}
		if next, ok, _ := db.NextJobAt(ctx); !ok || !next.Equal(clock.Now().Add(time.Minute)) {
			t.Fatalf("NextJobAt = %v, %v", next, ok)
		}
		if got := claim("w1"); len(got) != 0 {
			t.Fatal("claimed a job before its time")
		}
		clock.Add(time.Minute)
		got := claim("w1")
		if len(got) != 1 || got[0].ID != id || got[0].Attempts != 1 {
			t.Fatalf("claim = %+v", got)
		}
		if len(claim("w2")) != 0 {
			t.Fatal("a running job was claimed twice")
		}
		// w1 dies; after the lease, w2 takes over and w1's late finish is refused.
		clock.Add(2 * time.Minute)
		if got := claim("w2"); len(got) != 1 || got[0].Attempts != 2 {
			t.Fatalf("reclaim after lease = %+v", got)
		}
		var ok bool
		mustWrite(t, db, func(tx *store.Tx) (err error) { ok, err = tx.FinishJob(id, "w1", nil, nil); return err })
		if ok {
			t.Fatal("a worker that lost its lease finished the job")
		}
		mustWrite(t, db, func(tx *store.Tx) (err error) {
			ok, err = tx.FinishJob(id, "w2", fmt.Errorf("boom"), nil)
			return err
		})
		j, _ := db.Job(ctx, id)
		if !ok || j.Status != "failed" || j.LastError != "boom" {
			t.Fatalf("after final failure: %+v", j)
		}
		if failed, _ := db.Jobs(ctx, "failed", 10); len(failed) != 1 {
			t.Fatalf("failed jobs = %d", len(failed))
		}
		mustWrite(t, db, func(tx *store.Tx) error { _, err := tx.RetryJob(id); return err })
		if got := claim("w3"); len(got) != 1 || got[0].Attempts != 1 {
			t.Fatalf("claim after retry = %+v", got)
		}
		err := db.Write(ctx, func(tx *store.Tx) error { _, err := tx.RetryJob(id); return err })
		if parley.ErrorCode(err) != parley.ECONFLICT {
			t.Fatalf("retrying a running job: %v", err)
		}
	})
}
