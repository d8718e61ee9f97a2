package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestClusterWriters: two processes on one PostgreSQL database, each with
// two writer loops. With parley_cluster_writers=1 no two write
// transactions of theirs are ever in flight at once, and every write
// still commits; with no cap (0), they are (so the test can tell).
func TestClusterWriters(t *testing.T) {
	dsn := storetest.DSN(t, "postgres")
	for _, c := range []struct {
		param   string
		capped  bool
		maxWant int
	}{{"&parley_writers=2&parley_cluster_writers=0", false, 0}, {"&parley_writers=2&parley_cluster_writers=1", true, 1}} {
		var dbs []*store.DB
		for range 2 {
			db, err := store.Open(context.Background(), dsn+c.param)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			dbs = append(dbs, db)
		}
		var inFlight, most, done atomic.Int64
		var wg sync.WaitGroup
		for i := range 80 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := dbs[i%2].Write(context.Background(), func(tx *store.Tx) error {
					n := inFlight.Add(1)
					defer inFlight.Add(-1)
					for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
					}
					time.Sleep(2 * time.Millisecond)
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
				done.Add(1)
			}()
		}
		wg.Wait()
		if done.Load() != 80 {
			t.Fatalf("%s: %d of 80 writes committed", c.param, done.Load())
		}
		if c.capped && most.Load() != 1 {
			t.Fatalf("%s: %d write transactions in flight at once across the two processes; the cap is 1", c.param, most.Load())
		}
		if !c.capped && most.Load() < 2 {
			t.Fatalf("%s: writes never overlapped without a cap (%d): the test cannot tell a cap from none", c.param, most.Load())
		}
		t.Logf("%s: at most %d in flight", c.param, most.Load())
	}
}

// TestClusterWritersShared: under a cap of 2, each of two processes routes
// its writes to one loop of its four; when one stops listening (its
// process died, say), the other takes both.
func TestClusterWritersShared(t *testing.T) {
	defer store.SetNodeRefresh(20 * time.Millisecond)()
	dsn := storetest.DSN(t, "postgres") + "&parley_writers=4&parley_cluster_writers=2"
	var dbs []*store.DB
	var stops []context.CancelFunc
	for range 2 {
		db, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if db.ActiveWriters() != 2 {
			t.Fatalf("a process alone uses %d loops; want the cap, 2", db.ActiveWriters())
		}
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		go db.Listen(ctx, func() {})
		dbs, stops = append(dbs, db), append(stops, stop)
	}
	waitFor := func(db *store.DB, want int, why string) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); db.ActiveWriters() != want; {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d loops take writes; want %d", why, db.ActiveWriters(), want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor(dbs[0], 1, "two processes share a cap of 2")
	waitFor(dbs[1], 1, "two processes share a cap of 2")
	for i := range 20 { // writes still go through on the loops in use
		if err := dbs[i%2].Write(context.Background(), func(*store.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	stops[1]()
	waitFor(dbs[0], 2, "the other process is gone")
}
