package store_test

import (
	"context"
	"database/sql"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// lateTx is a transaction that draws an event number and holds it open,
// the way a slow writer batch on another process would: it takes the
// log's lock first, as the writer does (flush.go).
func lateTx(t *testing.T, db *store.DB, raw *sql.DB) (*sql.Tx, int64) {
	t.Helper()
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A failed test must not leave it open: dropping the schema would wait on it.
	t.Cleanup(func() { tx.Rollback() })
	var seq int64
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock_shared($1)", db.EventsLockKey()); err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRowContext(ctx, "INSERT INTO events (type, data, created_at) VALUES ('test.late', '', 0) RETURNING seq").Scan(&seq); err != nil {
		t.Fatal(err)
	}
	return tx, seq
}

func appendEvent(t *testing.T, db *store.DB) int64 {
	t.Helper()
	ev := &parley.Event{Type: "test.now"}
	mustWrite(t, db, func(tx *store.Tx) error { return tx.AppendEvent(ev, nil) })
	return ev.Seq
}

func seqs(evs []parley.Event) []int64 {
	out := make([]int64, len(evs))
	for i, e := range evs {
		out[i] = e.Seq
	}
	return out
}

// TestEventsWaitForALateCommit: on PostgreSQL, an event numbered 11 can
// commit after one numbered 12. A reader must not return 12 while 11 may
// still come, must return both once 11 commits, and must pass a number
// whose transaction rolled back.
func TestEventsWaitForALateCommit(t *testing.T) {
	dsn := storetest.DSN(t, "postgres")
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	defer store.SetSettleWait(150 * time.Millisecond)()

	start := appendEvent(t, db)
	late, lateSeq := lateTx(t, db, raw)
	next := appendEvent(t, db)
	if next <= lateSeq {
		t.Fatalf("numbers: late %d, next %d", lateSeq, next)
	}
	if got, err := db.Events(ctx, start, 10); err != nil || len(got) != 0 {
		t.Fatalf("with %d in flight, Events = %v, %v; want nothing past the hole", lateSeq, seqs(got), err)
	}
	// Where a new reader starts: not before the late event settles.
	lastc := make(chan int64, 1)
	go func() {
		last, err := db.LastEventSeq(ctx)
		if err != nil {
			t.Error(err)
		}
		lastc <- last
	}()
	select {
	case last := <-lastc:
		t.Fatalf("LastEventSeq = %d while %d was in flight", last, lateSeq)
	case <-time.After(300 * time.Millisecond):
	}
	if err := late.Commit(); err != nil {
		t.Fatal(err)
	}
	if last := <-lastc; last != next {
		t.Fatalf("LastEventSeq = %d, want %d", last, next)
	}
	if got, err := db.Events(ctx, start, 10); err != nil || !slices.Equal(seqs(got), []int64{lateSeq, next}) {
		t.Fatalf("after the late commit, Events = %v, %v; want [%d %d]", seqs(got), err, lateSeq, next)
	}

	// A number whose transaction rolls back is a hole that never fills.
	gone, goneSeq := lateTx(t, db, raw)
	after := appendEvent(t, db)
	if got, _ := db.Events(ctx, next, 10); len(got) != 0 {
		t.Fatalf("with %d in flight, Events = %v", goneSeq, seqs(got))
	}
	if err := gone.Rollback(); err != nil {
		t.Fatal(err)
	}
	// Other tests' transactions on the same database may be in flight
	// too; the hole is passed once they end.
	var got []parley.Event
	for deadline := time.Now().Add(20 * time.Second); len(got) == 0 && time.Now().Before(deadline); {
		if got, err = db.Events(ctx, next, 10); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(seqs(got), []int64{after}) {
		t.Fatalf("after the rollback, Events = %v; want [%d]", seqs(got), after)
	}
}

// TestEventsTailMissesNothing: writers on every writer loop append events
// while a reader tails the log; the reader gets every committed event once,
// in order, though on PostgreSQL numbers commit out of order all the time.
func TestEventsTailMissesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		const writers, each = 16, 60
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					err := db.Write(ctx, func(tx *store.Tx) error {
						// Some batches roll back their events: holes that never fill.
						if err := tx.AppendEvent(&parley.Event{Type: "test.tail"}, nil); err != nil {
							return err
						}
						if (w+i)%7 == 0 {
							return errRollback
						}
						return nil
					})
					if err != nil && err != errRollback {
						t.Error(err)
						return
					}
				}
			}()
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		var got []int64
		var after int64
		tail := func() {
			evs, err := db.Events(ctx, after, 50)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range evs {
				if e.Seq <= after {
					t.Fatalf("event %d after %d", e.Seq, after)
				}
				after = e.Seq
				got = append(got, e.Seq)
			}
		}
		for running := true; running; {
			select {
			case <-done:
				running = false
			default:
			}
			tail()
		}
		// Catch up: everything has committed, so the tail reaches the end.
		for n := -1; n != len(got); {
			n = len(got)
			tail()
		}
		want := int64s(t, db, "SELECT seq FROM events ORDER BY seq")
		if !slices.Equal(got, want) {
			t.Fatalf("tail read %d events, the log holds %d (first difference at %d)", len(got), len(want), firstDiff(got, want))
		}
	})
}

var errRollback = context.Canceled

func firstDiff(a, b []int64) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestEventsReadersShareWhatWasRead: several readers tail the log at
// once, as the hub and each consumer do, with batches committing and
// rolling back meanwhile; each sees every event once, in order, and a
// reader that comes later is answered from what was already read.
func TestEventsReadersShareWhatWasRead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		const writers, each = 8, 40
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					err := db.Write(ctx, func(tx *store.Tx) error {
						if err := tx.AppendEvent(&parley.Event{Type: "test.share"}, nil); err != nil {
							return err
						}
						if (w+i)%5 == 0 {
							return errRollback
						}
						return nil
					})
					if err != nil && err != errRollback {
						t.Error(err)
						return
					}
				}
			}()
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		tail := func(limit int) []int64 {
			var got []int64
			var after int64
			read := func() int {
				evs, err := db.Events(ctx, after, limit)
				if err != nil {
					t.Error(err)
					return 0
				}
				for _, e := range evs {
					if e.Seq <= after {
						t.Errorf("event %d after %d", e.Seq, after)
					}
					after = e.Seq
					got = append(got, e.Seq)
				}
				return len(evs)
			}
			for running := true; running; {
				select {
				case <-done:
					running = false
				default:
				}
				read()
			}
			for read() > 0 {
			}
			return got
		}
		results := make([][]int64, 3)
		var readers sync.WaitGroup
		for i, limit := range []int{50, 7, 1000} {
			readers.Add(1)
			go func() { defer readers.Done(); results[i] = tail(limit) }()
		}
		readers.Wait()
		want := int64s(t, db, "SELECT seq FROM events ORDER BY seq")
		for i, got := range results {
			if !slices.Equal(got, want) {
				t.Errorf("reader %d read %d events, the log holds %d (first difference at %d)", i, len(got), len(want), firstDiff(got, want))
			}
		}
		before := db.EventReads()
		late, err := db.Events(ctx, 0, len(want))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(seqs(late), want) {
			t.Errorf("a late reader read %v, want %v", seqs(late), want)
		}
		if n := db.EventReads() - before; n != 0 {
			t.Errorf("a late reader went to the database %d times for events already read", n)
		}
	})
}

// TestEventsOneQueryForReadersWokenTogether: readers that come while
// another reads the end of the log wait for it, and the first to go on
// queries once for all of them.
func TestEventsOneQueryForReadersWokenTogether(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		var want []int64
		for range 3 {
			want = append(want, appendEvent(t, db))
		}
		if _, err := db.Events(ctx, 0, 100); err != nil {
			t.Fatal(err)
		}
		release, err := db.HoldEventTurn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		after := want[len(want)-1]
		want = nil
		for range 3 {
			want = append(want, appendEvent(t, db))
		}
		before := db.EventReads()
		got := make([][]int64, 4)
		var wg sync.WaitGroup
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				evs, err := db.Events(ctx, after, 100)
				if err != nil {
					t.Error(err)
				}
				got[i] = seqs(evs)
			}()
		}
		time.Sleep(200 * time.Millisecond) // all four wait for the turn
		release()
		wg.Wait()
		for i, g := range got {
			if !slices.Equal(g, want) {
				t.Errorf("reader %d read %v, want %v", i, g, want)
			}
		}
		if n := db.EventReads() - before; n != 1 {
			t.Errorf("four readers woken together made %d queries, want 1", n)
		}
	})
}
