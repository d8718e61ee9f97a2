package work_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/work"
)

var bg = context.Background()

// nodes opens n handles on one fresh PostgreSQL schema: n processes'
// worth of connections and writers, as several Parleys would have.
func nodes(t *testing.T, n int) []*store.DB {
	t.Helper()
	if !slices.Contains(storetest.Dialects(), "postgres") {
		t.Skipf("%s is not set: several nodes need PostgreSQL", storetest.PostgresEnv)
	}
	dsn := storetest.DSN(t, "postgres")
	var dbs []*store.DB
	for range n {
		db, err := store.Open(bg, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	return dbs
}

// probe is work that records where and how often it runs.
type probe struct {
	running atomic.Int32 // nodes running it now
	most    atomic.Int32 // the most that ever ran it at once
	mu      sync.Mutex
	starts  []string // the node of each start, in order
	at      []time.Time
}

func (p *probe) run(node string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		n := p.running.Add(1)
		for m := p.most.Load(); n > m && !p.most.CompareAndSwap(m, n); m = p.most.Load() {
		}
		p.mu.Lock()
		p.starts, p.at = append(p.starts, node), append(p.at, time.Now())
		p.mu.Unlock()
		<-ctx.Done()
		p.running.Add(-1)
		return nil
	}
}

func (p *probe) last() (string, time.Time, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.starts) == 0 {
		return "", time.Time{}, 0
	}
	return p.starts[len(p.starts)-1], p.at[len(p.at)-1], len(p.starts)
}

func waitFor(t *testing.T, within time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestLeaseFailover: two nodes hold one lease's work; it runs on exactly
// one of them. The holder dies without releasing (kill -9: its context
// ends, its lease stays) and the other takes the work over within the TTL.
func TestLeaseFailover(t *testing.T) {
	dbs := nodes(t, 2)
	const ttl = 600 * time.Millisecond
	var p probe
	ks := []*work.Kernel{work.New(dbs[0], ttl), work.New(dbs[1], ttl)}
	cancels := make([]context.CancelFunc, 2)
	var wg sync.WaitGroup
	for i, k := range ks {
		k.Add(work.Worker{Name: "single", Leased: true, Run: p.run(k.Node)})
		ctx, cancel := context.WithCancel(bg)
		cancels[i] = cancel
		wg.Add(1)
		go func() { defer wg.Done(); k.Run(ctx) }()
	}
	defer func() {
		for _, c := range cancels {
			c()
		}
		wg.Wait()
	}()
	waitFor(t, 2*time.Second, "the work starts on one node", func() bool { return p.running.Load() == 1 })
	// Several renewals later it still runs there, and only there.
	time.Sleep(3 * ttl)
	holder, _, starts := p.last()
	if starts != 1 || p.most.Load() != 1 {
		t.Fatalf("started %d times, at most %d at once: want once, on one node", starts, p.most.Load())
	}
	dead, survivor := 0, 1
	if holder == ks[1].Node {
		dead, survivor = 1, 0
	}
	if got := ks[dead].Holding(); !slices.Equal(got, []string{"single"}) || len(ks[survivor].Holding()) != 0 {
		t.Fatalf("holding: %v and %v", ks[dead].Holding(), ks[survivor].Holding())
	}
	ks[dead].KeepOnStop = true
	killed := time.Now()
	cancels[dead]()
	waitFor(t, ttl+400*time.Millisecond, "the survivor takes over", func() bool {
		node, _, n := p.last()
		return n == 2 && node == ks[survivor].Node
	})
	_, at, _ := p.last()
	t.Logf("taken over %v after the holder died (TTL %v)", at.Sub(killed), ttl)
	if at.Sub(killed) > ttl+100*time.Millisecond {
		t.Errorf("taken over after %v, want within the TTL (%v)", at.Sub(killed), ttl)
	}
	if p.most.Load() != 1 {
		t.Errorf("ran on %d nodes at once", p.most.Load())
	}
}

// TestLeaseLost: a holder whose lease another node took (it paused past
// expiry: a long GC, a network partition) stops its work at its next
// renewal, and its fenced writes fail meanwhile.
func TestLeaseLost(t *testing.T) {
	dbs := nodes(t, 2)
	const ttl = 900 * time.Millisecond
	l := &work.Leaser{DB: dbs[0], Node: "A", TTL: ttl}
	got := make(chan store.Lease, 1)
	stopped := make(chan time.Time, 1)
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	go l.Hold(ctx, "x", func(ctx context.Context) error {
		lease, _ := work.LeaseOf(ctx)
		got <- lease
		<-ctx.Done()
		stopped <- time.Now()
		return nil
	})
	lease := <-got
	// B's clock runs ahead, so it finds A's lease expired and takes it.
	dbs[1].Now = func() time.Time { return time.Now().UTC().Add(time.Hour) }
	var ok bool
	if err := dbs[1].Write(bg, func(tx *store.Tx) (err error) { _, ok, err = tx.AcquireLease("x", "B", time.Hour); return err }); err != nil || !ok {
		t.Fatalf("B takes the lease: %v %v", ok, err)
	}
	stolen := time.Now()
	var held bool
	if err := dbs[0].Write(bg, func(tx *store.Tx) (err error) { held, err = tx.HoldsLease(lease); return err }); err != nil || held {
		t.Fatalf("A's fenced write after B took the lease: held %v, %v", held, err)
	}
	select {
	case at := <-stopped:
		if d := at.Sub(stolen); d > ttl/3+200*time.Millisecond {
			t.Errorf("A stopped %v after losing the lease, want at its next renewal (every %v)", d, ttl/3)
		}
	case <-time.After(ttl + time.Second):
		t.Fatal("A never stopped work whose lease it lost")
	}
}

// TestLeaseSQLite: on SQLite one process owns the database: the lease is
// taken through the same code, and a lease a crashed process left behind
// is not waited out.
func TestLeaseSQLite(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	if err := db.Write(bg, func(tx *store.Tx) error {
		_, _, err := tx.AcquireLease("single", "crashed-process", time.Hour)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	k := work.New(db, time.Hour)
	var p probe
	k.Add(work.Worker{Name: "single", Leased: true, Run: p.run(k.Node)})
	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	go func() { defer close(done); k.Run(ctx) }()
	waitFor(t, 2*time.Second, "the leased work starts", func() bool { return p.running.Load() == 1 })
	if l, _ := db.Lease(bg, "single"); l.Holder != k.Node {
		t.Fatalf("lease = %+v", l)
	}
	cancel()
	<-done
	if l, _ := db.Lease(bg, "single"); l.Holder != "" {
		t.Fatalf("a stopping node keeps its lease: %+v", l)
	}
}

// TestKernelWorkers: a worker that fails is started again; names are
// unique.
func TestKernelWorkers(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	k := work.New(db, 0)
	var runs atomic.Int32
	k.Add(work.Worker{Name: "flaky", Run: func(ctx context.Context) error {
		if runs.Add(1) == 1 {
			panic("first run dies")
		}
		<-ctx.Done()
		return nil
	}})
	func() {
		defer func() {
			if recover() == nil {
				t.Error("a worker name added twice does not panic")
			}
		}()
		k.Add(work.Worker{Name: "flaky", Run: func(context.Context) error { return nil }})
	}()
	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	go func() { defer close(done); k.Run(ctx) }()
	waitFor(t, 3*time.Second, "the worker is started again after its panic", func() bool { return runs.Load() == 2 })
	cancel()
	<-done
}
