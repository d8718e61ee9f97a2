package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// searchRow is what a brute-force search needs of each message.
type searchRow struct {
	id, inbox, contact int64
	assignee           *int64
	status             parley.Status
	created            time.Time
	words              []string
}

// TestSearchPlans holds every search plan to a brute-force reference: with
// thresholds small enough that this database has narrow and broad filters
// and rare and common words, random queries and filters must return
// exactly the messages a scan of every row finds, newest first.
func TestSearchPlans(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		defer store.SetSearchThresholds(40, 40, 1_000_000)()
		db := storetest.Open(t, dialect)
		ctx := context.Background()
		var agents []int64
		mustWrite(t, db, func(tx *store.Tx) error {
			for i := range 6 {
				a := parley.Agent{Email: fmt.Sprintf("a%d@example.com", i), Name: "Agent", Role: parley.RoleAgent}
				if err := tx.CreateAgent(&a, "!"); err != nil {
					return err
				}
				agents = append(agents, a.ID)
			}
			return nil
		})
		seeded, err := db.Seed(ctx, store.SeedOptions{Conversations: 1500, AssigneeIDs: agents, Span: 30 * 24 * time.Hour, Batch: 500})
		if err != nil {
			t.Fatal(err)
		}
		// Reassign a fifth of the conversations (some to nobody): each
		// message's copy of its assignee must follow (a trigger), or the
		// searches below disagree with the reference, which reads the
		// conversation's.
		convIDs := int64s(t, db, "SELECT id FROM conversations ORDER BY id")
		mustWrite(t, db, func(tx *store.Tx) error {
			for i, id := range convIDs {
				if i%5 != 0 {
					continue
				}
				c, err := tx.Conversation(id)
				if err != nil {
					return err
				}
				if i%15 == 0 {
					c.AssigneeID = nil
				} else {
					a := agents[(i/5)%len(agents)]
					c.AssigneeID = &a
				}
				if err := tx.SaveConversation(&c); err != nil {
					return err
				}
			}
			return nil
		})
		all := searchRows(t, db)
		if dialect == "postgres" {
			// The first try among the newest messages trusts the planner's
			// estimate only for words its statistics know.
			if _, err := db.ReadPool().Exec("ANALYZE messages"); err != nil {
				t.Fatal(err)
			}
		}
		tried0, answered0 := store.SearchProbes()
		var stale int
		if err := db.ReadPool().QueryRow(`SELECT COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
			WHERE COALESCE(m.assignee_id, 0) <> COALESCE(c.assignee_id, 0)`).Scan(&stale); err != nil || stale != 0 {
			t.Fatalf("%d messages keep an old assignee (%v)", stale, err)
		}
		rng := rand.New(rand.NewPCG(7, 7))
		words := store.SeedWords()
		queries := []string{"refund", "refund warranty", "zzznothing", "refund zzznothing", "warr*", "the", "pa*"}
		for range 6 {
			queries = append(queries, words[rng.IntN(len(words))]+" "+words[rng.IntN(len(words))])
		}
		for i := range 400 {
			f := store.SearchFilter{Query: queries[rng.IntN(len(queries))], Limit: 1 + rng.IntN(30)}
			if rng.IntN(3) == 0 {
				f.Status = []parley.Status{parley.StatusOpen, parley.StatusResolved, parley.StatusPending}[rng.IntN(3)]
			}
			if rng.IntN(4) == 0 {
				f.InboxID = seeded.InboxIDs[rng.IntN(len(seeded.InboxIDs))]
			}
			if rng.IntN(3) == 0 {
				f.AssigneeID = agents[rng.IntN(len(agents))] // the last few are narrow, the first broad
			}
			if rng.IntN(4) == 0 {
				f.ContactID = all[rng.IntN(len(all))].contact
			}
			if rng.IntN(4) == 0 {
				f.From = time.Now().Add(-time.Duration(rng.IntN(30*24)) * time.Hour).Truncate(time.Second)
			}
			if rng.IntN(5) == 0 {
				f.To = time.Now().Add(-time.Duration(rng.IntN(30*24)) * time.Hour).Truncate(time.Second)
			}
			if rng.IntN(5) == 0 {
				f.BeforeID = all[rng.IntN(len(all))].id
			}
			// Half the searches take the planner's estimate as proof of a
			// common query (PostgreSQL), so the words-first plan also meets
			// rare words and narrow filters.
			// And a window's bounds are sometimes skipped as too long to read.
			restore := store.SetCommonEstimate([]float64{0, 50_000}[rng.IntN(2)])
			restoreWindow := store.SetWindowScan([]int{50, 100_000}[rng.IntN(2)])
			page, err := db.Search(ctx, f)
			restore()
			restoreWindow()
			if err != nil {
				t.Fatalf("search %d %+v: %v", i, f, err)
			}
			got := resultIDs(page)
			if want := bruteSearch(all, f); !slices.Equal(got, want) {
				t.Fatalf("search %d %+v:\n got %v\nwant %v", i, f, got, want)
			}
			if page.Incomplete {
				t.Fatalf("search %d: incomplete with nothing pending", i)
			}
		}
		// Pages of common words from the newest back to the oldest, the
		// first try among the newest walking twice or half the rows that
		// should hold a page: with half it finds less than a page, and the
		// search goes on by the match list.
		restore := store.SetCommonEstimate(50_000)
		for i, query := range []string{"refund", "refund warranty", "refund", "refund warranty"} {
			restoreSpread := store.SetProbeSpread([]float64{2, 0.5}[i/2])
			for _, k := range []int{0, len(all) / 2, len(all) - 25} { // all is newest first
				f := store.SearchFilter{Query: query, Limit: 30}
				if k > 0 {
					f.BeforeID = all[k].id
				}
				page, err := db.Search(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				got := resultIDs(page)
				if want := bruteSearch(all, f); !slices.Equal(got, want) {
					t.Fatalf("search %+v:\n got %v\nwant %v", f, got, want)
				}
			}
			restoreSpread()
		}
		restore()
		if dialect == "postgres" {
			tried, answered := store.SearchProbes()
			t.Logf("first tries among the newest: %d, answered %d", tried-tried0, answered-answered0)
			if answered == answered0 || tried-answered == tried0-answered0 {
				t.Fatalf("first tries among the newest: %d, answered %d; the plans above must include both outcomes", tried-tried0, answered-answered0)
			}
		}
		// Windows around one message each: its id is the window's first
		// and last, so a bound off by one loses it.
		for i := range 40 {
			r := all[rng.IntN(len(all))]
			f := store.SearchFilter{Query: r.words[rng.IntN(len(r.words))], From: r.created, To: r.created.Add(time.Microsecond), Limit: 30}
			if i%2 == 1 {
				f.From = time.Time{} // bounded above only
			}
			page, err := db.Search(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			got := resultIDs(page)
			if want := bruteSearch(all, f); !slices.Equal(got, want) || len(want) == 0 {
				t.Fatalf("window search %+v:\n got %v\nwant %v", f, got, want)
			}
		}
	})
}

// TestSearchBacklog: a search never indexes a large backlog inside the
// request. It answers from what is indexed and says how many messages it
// could not see; a small backlog it indexes itself, so a message from a
// moment ago is found.
func TestSearchBacklog(t *testing.T) {
	defer store.SetSearchThresholds(5000, 5000, 100)()
	db := storetest.Open(t, "sqlite")
	ctx := context.Background()
	if _, err := db.Seed(ctx, store.SeedOptions{Conversations: 50}); err != nil {
		t.Fatal(err)
	}
	if err := db.IndexSearch(ctx); err != nil {
		t.Fatal(err)
	}
	db.StopSearchIndexer() // the backlog below stays until a search or IndexSearch
	before, err := db.Search(ctx, store.SearchFilter{Query: "the", Limit: 100})
	if err != nil || before.Incomplete {
		t.Fatalf("indexed database: %+v, %v", before, err)
	}
	if _, err := db.Seed(ctx, store.SeedOptions{Conversations: 500, Seed: 2}); err != nil {
		t.Fatal(err)
	}
	page, err := db.Search(ctx, store.SearchFilter{Query: "the", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if !page.Incomplete || page.Pending != 500 {
		t.Fatalf("after a backlog of 500: incomplete=%v pending=%d, want true and 500", page.Incomplete, page.Pending)
	}
	for _, r := range page.Results {
		if r.ID > before.Results[0].ID {
			t.Fatalf("found message %d that is not indexed yet", r.ID)
		}
	}
	if err := db.IndexSearch(ctx); err != nil {
		t.Fatal(err)
	}
	// A backlog under the threshold is indexed by the search itself.
	in := parley.Inbox{Name: "Fresh", ChannelType: parley.ChannelAPI}
	mustWrite(t, db, func(tx *store.Tx) error { return tx.CreateInbox(&in, "", "") })
	c, _ := findOrCreate(t, db, in.ID, store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "fresh"})
	mustWrite(t, db, func(tx *store.Tx) error {
		conv := parley.Conversation{InboxID: in.ID, ContactID: c.ID}
		if err := tx.CreateConversation(&conv, nil); err != nil {
			return err
		}
		return tx.CreateMessage(&conv, &parley.Message{Direction: parley.Incoming, Text: "kumquat delivery", AuthorContactID: &c.ID})
	})
	page, err = db.Search(ctx, store.SearchFilter{Query: "kumquat"})
	if err != nil || page.Incomplete || len(page.Results) != 1 {
		t.Fatalf("a message from a moment ago: %+v, %v", page, err)
	}
}

func searchRows(t *testing.T, db *store.DB) []searchRow {
	t.Helper()
	rows, err := db.ReadPool().Query(`SELECT m.id, m.inbox_id, c.contact_id, c.assignee_id, c.status, m.created_at, m.text
		FROM messages m JOIN conversations c ON c.id = m.conversation_id ORDER BY m.id DESC`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var all []searchRow
	for rows.Next() {
		var r searchRow
		var created int64
		var text string
		if err := rows.Scan(&r.id, &r.inbox, &r.contact, &r.assignee, &r.status, &created, &text); err != nil {
			t.Fatal(err)
		}
		r.created, r.words = time.UnixMicro(created), strings.Fields(text)
		all = append(all, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return all
}

// bruteSearch is the reference: every row, every condition, newest first.
// Seeded texts are lower-case words separated by spaces, so splitting on
// spaces is the tokenizers' answer too.
// resultIDs returns a page's message ids, in its order.
func resultIDs(page store.SearchPage) []int64 {
	var ids []int64
	for _, r := range page.Results {
		ids = append(ids, r.ID)
	}
	return ids
}

func bruteSearch(all []searchRow, f store.SearchFilter) []int64 {
	terms := strings.Fields(strings.TrimSuffix(f.Query, "*"))
	prefix := strings.HasSuffix(f.Query, "*")
	var out []int64
	for _, r := range all {
		if len(out) == f.Limit {
			break
		}
		ok := (f.Status == "" || r.status == f.Status) && (f.InboxID == 0 || r.inbox == f.InboxID) &&
			(f.AssigneeID == 0 || r.assignee != nil && *r.assignee == f.AssigneeID) && (f.ContactID == 0 || r.contact == f.ContactID) &&
			(f.From.IsZero() || !r.created.Before(f.From)) && (f.To.IsZero() || r.created.Before(f.To)) && (f.BeforeID == 0 || r.id < f.BeforeID)
		for i, term := range terms {
			ok = ok && slices.ContainsFunc(r.words, func(w string) bool {
				return w == term || prefix && i == len(terms)-1 && strings.HasPrefix(w, term)
			})
		}
		if ok {
			out = append(out, r.id)
		}
	}
	return out
}
