package ratelimit_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/ratelimit"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// limiters returns, per database, the limiter New picks and the clock it
// reads, set to a fixed time the test moves.
func each(t *testing.T, f func(t *testing.T, db *store.DB, l ratelimit.Limiter, clock *time.Time)) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		clock := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return clock }
		l := ratelimit.New(db)
		want := map[string]string{"sqlite": "*ratelimit.Memory", "postgres": "*ratelimit.Shared"}[dialect]
		if got := fmt.Sprintf("%T", l); got != want {
			t.Fatalf("New on %s = %s, want %s", dialect, got, want)
		}
		f(t, db, l, &clock)
	})
}

// TestAllow: both limiters give a burst, then one place per interval, and
// say when the next place frees; keys are independent.
func TestAllow(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, l ratelimit.Limiter, clock *time.Time) {
		ctx := context.Background()
		r := ratelimit.Every(3, 3*time.Second) // one a second, bursts of 3
		allow := func(key string) (bool, time.Duration) {
			ok, retry, err := l.Allow(ctx, key, r)
			if err != nil {
				t.Fatal(err)
			}
			return ok, retry
		}
		for i := range 3 {
			if ok, _ := allow("a"); !ok {
				t.Fatalf("burst place %d refused", i+1)
			}
		}
		if ok, retry := allow("a"); ok || retry != time.Second {
			t.Fatalf("past the burst: %v, retry %v", ok, retry)
		}
		if ok, _ := allow("b"); !ok {
			t.Fatal("another key was refused")
		}
		*clock = clock.Add(400 * time.Millisecond)
		if ok, retry := allow("a"); ok || retry != 600*time.Millisecond {
			t.Fatalf("0.4 s later: %v, retry %v", ok, retry)
		}
		*clock = clock.Add(600 * time.Millisecond)
		if ok, _ := allow("a"); !ok {
			t.Fatal("refused once a place freed")
		}
		if ok, _ := allow("a"); ok {
			t.Fatal("two places freed in one interval")
		}
	})
}

// TestSharedAcrossNodes: two limiters on one PostgreSQL database, as two
// nodes have, racing for one key for a while, together take no more
// than the rate allows over that time.
func TestSharedAcrossNodes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		if dialect != "postgres" {
			t.Skip("one process on SQLite")
		}
		dsn := storetest.DSN(t, dialect)
		var nodes []ratelimit.Limiter
		for range 2 {
			db, err := store.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			nodes = append(nodes, ratelimit.New(db))
		}
		r := ratelimit.Rate{Interval: 20 * time.Millisecond, Burst: 5} // 50/s
		start := time.Now()
		window := 600 * time.Millisecond
		var granted atomic.Int64
		var wg sync.WaitGroup
		for _, l := range nodes {
			for range 3 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for time.Since(start) < window {
						ok, _, err := l.Allow(context.Background(), "send:1", r)
						if err != nil {
							t.Error(err)
							return
						}
						if ok {
							granted.Add(1)
						}
					}
				}()
			}
		}
		wg.Wait()
		elapsed := time.Since(start)
		most := int64(r.Burst) + int64(elapsed/r.Interval) + 1
		if g := granted.Load(); g > most || g < most/3 {
			t.Errorf("two nodes took %d places in %v; the rate allows %d", g, elapsed, most)
		}
	})
}

// TestWait: Wait returns as soon as a place frees, and gives up with ctx.
func TestWait(t *testing.T) {
	l := &ratelimit.Memory{}
	r := ratelimit.Rate{Interval: 50 * time.Millisecond, Burst: 1}
	ctx := context.Background()
	start := time.Now()
	for range 3 {
		if err := ratelimit.Wait(ctx, l, "k", r); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("3 events at 20/s took %v", d)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	ratelimit.Wait(ctx, l, "k", ratelimit.Rate{Interval: time.Hour, Burst: 1})
	if err := ratelimit.Wait(ctx, l, "k", ratelimit.Rate{Interval: time.Hour, Burst: 1}); err == nil {
		t.Error("Wait outlived its context")
	}
}

// BenchmarkAllow is the cost of one decision: in memory, and shared
// through the database when a place is granted (one statement) and when
// a refusal is remembered (no round trip).
func BenchmarkAllow(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		db := storetest.Open(b, dialect)
		var l ratelimit.Limiter = &ratelimit.Memory{}
		if dialect == "postgres" {
			l = &ratelimit.Shared{DB: db}
		}
		ctx := context.Background()
		b.Run(dialect+"/granted", func(b *testing.B) {
			r := ratelimit.Rate{Interval: time.Nanosecond, Burst: 1 << 30}
			i := 0
			for b.Loop() {
				i++
				if ok, _, err := l.Allow(ctx, fmt.Sprint("k", i%64), r); err != nil || !ok {
					b.Fatal(ok, err)
				}
			}
		})
		b.Run(dialect+"/refused", func(b *testing.B) {
			r := ratelimit.Rate{Interval: time.Hour, Burst: 1}
			l.Allow(ctx, "flood", r)
			for b.Loop() {
				if ok, _, err := l.Allow(ctx, "flood", r); err != nil || ok {
					b.Fatal(ok, err)
				}
			}
		})
	}
}
