package inbox_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestReceiveReadAhead: on PostgreSQL a batch of received messages reads
// their duplicates, contacts and conversations ahead in one go (store's
// prefetch). Whatever share a batch, the outcome must be one a sequence of
// single writes could give: every message stored once, one contact per
// person, one conversation per contact (the reopen window is open), and a
// conversation open whenever a customer wrote after it was resolved, even
// when an agent resolved it in the same batch.
func TestReceiveReadAhead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f := setup(t, dialect)
		const known, fresh, rounds = 10, 6, 4
		convOf := make([]int64, known)
		for i := range known {
			r, err := f.svc.Receive(bg, f.inbox.ID, inbox.Incoming{Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: fmt.Sprintf("p-%d", i)},
				ExternalID: fmt.Sprintf("first-%d", i), Text: "hello"})
			if err != nil {
				t.Fatal(err)
			}
			convOf[i] = r.ConversationID
		}
		type sent struct {
			ext    string
			person string
			r      inbox.Received
		}
		var mu sync.Mutex
		var all []sent
		var wg sync.WaitGroup
		receive := func(person, ext string, k store.ContactKey, thread int64) {
			defer wg.Done()
			r, err := f.svc.Receive(bg, f.inbox.ID, inbox.Incoming{Contact: k, ExternalID: ext, Text: "more about my order " + ext, ConversationID: thread})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			all = append(all, sent{ext, person, r})
			mu.Unlock()
		}
		for round := range rounds {
			for i := range known + fresh {
				person := fmt.Sprintf("p-%d", i)
				if i >= known {
					person = fmt.Sprintf("new-%d", i)
				}
				k := store.ContactKey{Kind: parley.IdentityExternal, ExternalID: person}
				if round%2 == 1 {
					k.Email = person + "@example.com" // a known contact learns an identity: a write the batch must see
				}
				for part := range 2 { // two messages at once, each delivered twice
					ext := fmt.Sprintf("m-%d-%d-%d", i, round, part)
					for range 2 {
						wg.Add(1)
						go receive(person, ext, k, 0)
					}
				}
			}
			for i := 0; i < known; i += 2 {
				// A colleague answers person i's thread: a received message
				// that writes another contact's conversation.
				wg.Add(1)
				go receive(fmt.Sprintf("colleague-%d", i), fmt.Sprintf("c-%d-%d", i, round),
					store.ContactKey{Kind: parley.IdentityExternal, ExternalID: fmt.Sprintf("colleague-%d", i)}, convOf[i])
			}
			for i := range known {
				if (i+round)%3 == 0 { // an agent resolves while customers write: not a received message
					wg.Add(1)
					go func() {
						defer wg.Done()
						// Refused when no customer wrote since the last resolve: a fine outcome.
						_, err := f.svc.Update(bg, inbox.System, convOf[i], inbox.Change{Status: status(parley.StatusResolved)})
						if err != nil && parley.ErrorCode(err) != parley.EINVALID {
							t.Error(err)
						}
					}()
				}
			}
		}
		wg.Wait()
		if t.Failed() {
			return
		}

		byExt := map[string]inbox.Received{}
		contactOf := map[string]int64{}
		for _, s := range all {
			if prev, ok := byExt[s.ext]; ok {
				if prev.MessageID != s.r.MessageID || (prev.Duplicate == s.r.Duplicate) {
					t.Fatalf("message %s delivered twice: %+v and %+v; want the same message, once stored and once a duplicate", s.ext, prev, s.r)
				}
			}
			byExt[s.ext] = s.r
			if c, ok := contactOf[s.person]; ok && c != s.r.ContactID {
				t.Fatalf("%s is two contacts: %d and %d", s.person, c, s.r.ContactID)
			}
			contactOf[s.person] = s.r.ContactID
		}
		convByContact := map[int64]int64{}
		for _, s := range all {
			if strings.HasPrefix(s.person, "colleague-") {
				continue // writes in someone else's thread
			}
			if c, ok := convByContact[s.r.ContactID]; ok && c != s.r.ConversationID {
				t.Fatalf("contact %d has two conversations: %d and %d", s.r.ContactID, c, s.r.ConversationID)
			}
			convByContact[s.r.ContactID] = s.r.ConversationID
		}
		var convIDs []int64
		for _, c := range convByContact {
			convIDs = append(convIDs, c)
		}
		msgs, err := f.svc.DB.Messages(bg, convIDs)
		if err != nil {
			t.Fatal(err)
		}
		stored := map[string]int{}
		for _, m := range msgs {
			stored[m.ExternalID]++
		}
		for ext := range byExt {
			if stored[ext] != 1 {
				t.Fatalf("message %s stored %d times", ext, stored[ext])
			}
		}

		// Replay each conversation's log: the status it ends in is what
		// its last status change or customer message says.
		events, err := f.svc.DB.Events(bg, 0, 100000)
		if err != nil {
			t.Fatal(err)
		}
		want := map[int64]parley.Status{}
		for _, e := range events {
			if e.ConversationID == nil {
				continue
			}
			switch e.Type {
			case parley.EventConversationStatus:
				var d struct {
					From, To parley.Status
				}
				if err := json.Unmarshal(e.Data, &d); err != nil {
					t.Fatal(err)
				}
				if d.From != want[*e.ConversationID] {
					t.Fatalf("conversation %d went from %q to %q, but was %q (event %d): a write read it stale", *e.ConversationID, d.From, d.To, want[*e.ConversationID], e.Seq)
				}
				want[*e.ConversationID] = d.To
			case parley.EventMessageCreated:
				var d struct {
					Direction parley.Direction `json:"direction"`
				}
				json.Unmarshal(e.Data, &d)
				if d.Direction == parley.Incoming && want[*e.ConversationID] != parley.StatusOpen {
					t.Fatalf("conversation %d took a customer message while %q without reopening (event %d)", *e.ConversationID, want[*e.ConversationID], e.Seq)
				}
			case parley.EventConversationCreated:
				want[*e.ConversationID] = parley.StatusOpen
			}
		}
		for _, id := range convIDs {
			c, err := f.svc.DB.Conversation(bg, id)
			if err != nil {
				t.Fatal(err)
			}
			if c.Status != want[id] {
				t.Fatalf("conversation %d is %q; its log says %q", id, c.Status, want[id])
			}
		}
		if len(byExt) != 2*(known+fresh)*rounds+known/2*rounds || len(contactOf) != known+fresh+known/2 {
			t.Fatalf("%d messages from %d people; want %d from %d", len(byExt), len(contactOf), 2*(known+fresh)*rounds+known/2*rounds, known+fresh+known/2)
		}
		if dialect == "postgres" && f.svc.DB.PrefetchedBatches() == 0 {
			t.Fatal("no batch read ahead: the test did not exercise the prefetch")
		}
	})
}
