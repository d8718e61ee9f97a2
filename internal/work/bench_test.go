package work_test

import (
	"context"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/work"
)

// BenchmarkConsumer measures what the kernel adds to a consumer of the
// log: reading 20,000 events in batches of 500 and moving the cursor past
// each batch in its own transaction, with a handler that writes nothing.
// Each iteration sends the cursor back to the start.
func BenchmarkConsumer(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		b.Run(dialect, func(b *testing.B) {
			const n = 20000
			db := storetest.Open(b, dialect)
			for range n / 1000 {
				if err := db.Write(bg, func(tx *store.Tx) error {
					for range 1000 {
						if err := tx.AppendEvent(&parley.Event{Type: parley.EventContactCreated}, nil); err != nil {
							return err
						}
					}
					return nil
				}); err != nil {
					b.Fatal(err)
				}
			}
			seen := 0
			c := &work.Consumer{Name: "bench", DB: db, Batch: 500, Handle: func(ctx context.Context, evs []parley.Event) (work.Commit, error) {
				seen += len(evs)
				return nil, nil
			}}
			b.ResetTimer()
			for range b.N {
				if err := db.Write(bg, func(tx *store.Tx) error { return tx.SetEventCursor("bench", 0) }); err != nil {
					b.Fatal(err)
				}
				if err := c.Drain(bg); err != nil {
					b.Fatal(err)
				}
			}
			if seen != n*b.N {
				b.Fatalf("handled %d events, want %d", seen, n*b.N)
			}
			b.ReportMetric(float64(seen)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
