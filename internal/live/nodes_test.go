package live_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/parleyhq/parley/internal/live"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// twoNodes opens the same PostgreSQL database twice, as two Parley
// processes would, and runs a hub on the second that never polls: only
// the database's notifications can wake it.
func twoNodes(tb testing.TB) (a, b *store.DB, hub *live.Hub, dsn string) {
	if !slices.Contains(storetest.Dialects(), "postgres") {
		tb.Skipf("%s is not set: several nodes need PostgreSQL", storetest.PostgresEnv)
	}
	dsn = storetest.DSN(tb, "postgres")
	open := func() *store.DB {
		db, err := store.Open(context.Background(), dsn)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { db.Close() })
		return db
	}
	a, b = open(), open()
	hub = live.NewHub(b)
	hub.Poll = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	go hub.Run(ctx)
	return a, b, hub, dsn
}

// TestOtherNodeCommitsWakeTheHub: an event committed through one process
// reaches a subscriber of another process's hub in milliseconds, without
// its poll (an hour here).
func TestOtherNodeCommitsWakeTheHub(t *testing.T) {
	a, _, hub, dsn := twoNodes(t)
	sub, _ := hub.Subscribe(func(e *parley.Event) bool { return e.Type == "cross" })
	defer hub.Unsubscribe(sub)
	time.Sleep(200 * time.Millisecond) // the hub is listening
	for i := range 3 {
		start := time.Now()
		appendEvents(t, a, "cross", 1)
		select {
		case <-sub.Wait():
		case <-time.After(2 * time.Second):
			t.Fatalf("event %d committed on node A never reached node B's hub", i)
		}
		frames, _ := sub.Take()
		if len(frames) != 1 || frames[0].Event.Type != "cross" {
			t.Fatalf("frames = %+v", frames)
		}
		if took := time.Since(start); took > 500*time.Millisecond {
			t.Errorf("event %d took %v to cross nodes, want milliseconds", i, took)
		}
	}

	// The listening connection dies (a restart of the database, a
	// proxy's timeout): the hub listens again and nothing is missed.
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var killed int
	if err := admin.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE query = 'LISTEN "parley_events_' || current_schema() || '"'`).Scan(&killed); err != nil || killed != 1 {
		t.Fatalf("terminated %d listeners (%v), want 1", killed, err)
	}
	appendEvents(t, a, "cross", 1)
	select {
	case <-sub.Wait():
	case <-time.After(5 * time.Second):
		t.Fatal("after the listener's connection died, an event committed on node A never reached node B")
	}
	if frames, _ := sub.Take(); len(frames) != 1 {
		t.Fatalf("frames after reconnecting = %+v", frames)
	}
}

// BenchmarkCrossNodeDelivery measures commit → subscriber on another
// process (both on this machine, one PostgreSQL): the time from the
// commit returning on node A to node B's hub handing the event over.
//
//	PARLEY_TEST_POSTGRES_URL=… go test ./internal/live/ -run '^$' -bench CrossNode -benchtime 500x
func BenchmarkCrossNodeDelivery(b *testing.B) {
	a, _, hub, _ := twoNodes(b)
	sub, _ := hub.Subscribe(func(e *parley.Event) bool { return e.Type == "bench" })
	defer hub.Unsubscribe(sub)
	time.Sleep(200 * time.Millisecond)
	lat := make([]time.Duration, 0, b.N)
	for range b.N {
		if err := a.Write(context.Background(), func(tx *store.Tx) error {
			return tx.AppendEvent(&parley.Event{Type: "bench"}, nil)
		}); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		for got := false; !got; {
			select {
			case <-sub.Wait():
				frames, _ := sub.Take()
				got = len(frames) > 0
			case <-time.After(5 * time.Second):
				b.Fatal("an event never crossed nodes")
			}
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
