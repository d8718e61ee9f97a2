package store_test

// Benchmarks of the store, on SQLite always and on PostgreSQL when
// PARLEY_TEST_POSTGRES_URL is set. They run only with -bench, e.g.
//
//	go test ./internal/store -run '^$' -bench . -benchtime 5000x
//	PARLEY_BENCH_CONVERSATIONS=1000000 go test ./internal/store -run '^$' -bench 'Conversations|Search'
//
// The list and search benchmarks seed PARLEY_BENCH_CONVERSATIONS
// conversations (default 100,000) once per database before timing.
// docs/PERFORMANCE.md has the numbers.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// benchReceiver feeds inbox.Service.Receive the load mix of cmd/parley-load:
// every message new, one in five from a new contact.
type benchReceiver struct {
	svc      *inbox.Service
	inboxID  int64
	contacts atomic.Int64
	seq      atomic.Int64
	texts    []string
}

func newBenchReceiver(b *testing.B, dialect string) *benchReceiver {
	b.Helper()
	db := storetest.Open(b, dialect)
	in := parley.Inbox{Name: "Bench", ChannelType: parley.ChannelAPI}
	if err := db.Write(context.Background(), func(tx *store.Tx) error { return tx.CreateInbox(&in, "secret", "identity-secret") }); err != nil {
		b.Fatal(err)
	}
	r := &benchReceiver{svc: &inbox.Service{DB: db}, inboxID: in.ID, texts: make([]string, 256)}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range r.texts {
		r.texts[i] = store.SeedText(rng, 20)
	}
	return r
}

func (r *benchReceiver) receive(ctx context.Context) error {
	n := r.seq.Add(1)
	contact := int64(0)
	if known := r.contacts.Load(); known == 0 || n%5 == 0 {
		contact = r.contacts.Add(1)
	} else {
		contact = 1 + int64(uint64(n)*0x9e3779b97f4a7c15>>1)%known
	}
	_, err := r.svc.Receive(ctx, r.inboxID, inbox.Incoming{
		Contact:    store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "c" + strconv.FormatInt(contact, 10), Name: "Customer"},
		ExternalID: "m" + strconv.FormatInt(n, 10),
		Text:       r.texts[n%int64(len(r.texts))],
	})
	return err
}

// BenchmarkReceive stores one customer message per operation, one after
// another: every message is its own transaction and commit.
func BenchmarkReceive(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		b.Run(dialect, func(b *testing.B) {
			r := newBenchReceiver(b, dialect)
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := r.receive(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// BenchmarkReceiveParallel stores customer messages from 16 goroutines
// per CPU, as concurrent HTTP requests do: the writer commits many of
// them in one transaction (group commit).
func BenchmarkReceiveParallel(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		b.Run(dialect, func(b *testing.B) {
			r := newBenchReceiver(b, dialect)
			ctx := context.Background()
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := r.receive(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// benchConversations is how many conversations the read benchmarks seed.
func benchConversations(b *testing.B) int {
	n := 100_000
	if v := os.Getenv("PARLEY_BENCH_CONVERSATIONS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("PARLEY_BENCH_CONVERSATIONS=%q is not a positive number", v)
		}
	}
	return n
}

func seededDB(b *testing.B, dialect string) (*store.DB, store.SeedResult) {
	b.Helper()
	db := storetest.Open(b, dialect)
	n := benchConversations(b)
	start := time.Now()
	res, err := db.Seed(context.Background(), store.SeedOptions{Conversations: n})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: seeded %d conversations in %s", dialect, n, time.Since(start).Round(time.Millisecond))
	return db, res
}

// BenchmarkConversations lists the newest 25 conversations, unfiltered
// and by status or inbox, over a seeded database.
func BenchmarkConversations(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		b.Run(dialect, func(b *testing.B) {
			db, seeded := seededDB(b, dialect)
			ctx := context.Background()
			for _, c := range []struct {
				name string
				f    parley.ConversationFilter
			}{
				{"newest", parley.ConversationFilter{}},
				{"open", parley.ConversationFilter{Status: parley.StatusOpen}},
				{"pending", parley.ConversationFilter{Status: parley.StatusPending}},
				{"inbox", parley.ConversationFilter{InboxID: seeded.InboxIDs[0]}},
				{"open+inbox", parley.ConversationFilter{Status: parley.StatusOpen, InboxID: seeded.InboxIDs[0]}},
			} {
				b.Run(c.name, func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						page, err := db.Conversations(ctx, c.f)
						if err != nil {
							b.Fatal(err)
						}
						if len(page.Conversations) != 25 {
							b.Fatalf("got %d conversations, want 25", len(page.Conversations))
						}
					}
				})
			}
			b.Run("second-page", func(b *testing.B) {
				first, err := db.Conversations(ctx, parley.ConversationFilter{Status: parley.StatusOpen})
				if err != nil {
					b.Fatal(err)
				}
				for i := 0; i < b.N; i++ {
					if _, err := db.Conversations(ctx, parley.ConversationFilter{Status: parley.StatusOpen, Cursor: first.NextCursor}); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkSearch finds messages newest first over a seeded database:
// a word in most messages, a rarer one, two words, a prefix, a word with a
// status filter, a word that matches nothing, and one contact's messages.
// parley-load search covers more corners at 2,000,000 messages.
func BenchmarkSearch(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		b.Run(dialect, func(b *testing.B) {
			db, _ := seededDB(b, dialect)
			ctx := context.Background()
			for _, c := range []store.SearchFilter{
				{Query: "refund"},
				{Query: "refund warranty"},
				{Query: "refund warranty courier"},
				{Query: "warr*"},
				{Query: "refund", Status: parley.StatusOpen},
				{Query: "zzzunknownword"},
				{Query: "refund", ContactID: 1},
			} {
				name := c.Query
				if c.Status != "" {
					name += "/" + string(c.Status)
				}
				if c.ContactID != 0 {
					name += "/contact"
				}
				b.Run(name, func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						if _, err := db.Search(ctx, c); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

// BenchmarkWriteEmpty measures the writer itself: a transaction that does
// nothing, so the cost is queueing, BEGIN, COMMIT and answering.
func BenchmarkWriteEmpty(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		for _, parallel := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/parallel=%v", dialect, parallel), func(b *testing.B) {
				db := storetest.Open(b, dialect)
				ctx := context.Background()
				noop := func(*store.Tx) error { return nil }
				b.ResetTimer()
				if !parallel {
					for i := 0; i < b.N; i++ {
						if err := db.Write(ctx, noop); err != nil {
							b.Fatal(err)
						}
					}
					return
				}
				b.SetParallelism(16)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := db.Write(ctx, noop); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}
