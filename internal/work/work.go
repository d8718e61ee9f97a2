// Package work is Parley's durable-work kernel: the one place where
// background work is started, and the shapes it takes.
//
//   - A Worker is a named loop. It runs on every node, or under a lease
//     (Leaser) on one node at a time, moving to another node within the
//     lease's TTL when its node dies.
//   - A Consumer tails the event log from a stored cursor and moves the
//     cursor in the transaction that writes what it handled, so a restart
//     resumes where it stopped: nothing is skipped, and nothing whose
//     writes committed is handled twice.
//   - Jobs (internal/jobs) are registered by the packages that own their
//     kinds; the runner is a Worker that runs on every node.
//
// The catalogue of event kinds is parley.EventKinds.
package work

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/store"
)

// Worker is one background loop. Run should return only when its context
// ends; a Run that returns early (an error, a panic) is started again
// after a pause that grows to a minute, so one failing loop neither stops
// nor spins.
type Worker struct {
	Name string
	// Leased runs the worker only while this node holds the lease named
	// Name (see Leaser.Hold); otherwise it runs on every node.
	Leased bool
	Run    func(ctx context.Context) error
}

// Kernel runs a node's workers.
type Kernel struct {
	Leaser
	workers []Worker
	names   map[string]bool
	running bool
}

// New returns a kernel whose leases are kept in db, lasting ttl unless
// renewed (DefaultTTL when 0), held under a name unique to this process.
func New(db *store.DB, ttl time.Duration) *Kernel {
	host, _ := os.Hostname()
	k := &Kernel{names: map[string]bool{}}
	k.DB, k.TTL = db, ttl
	k.Node = fmt.Sprintf("%s/%d/%x", host, os.Getpid(), rand.Uint32())
	return k
}

// Add adds workers. A name used twice, an empty name or a nil Run is a
// wiring mistake and panics, as http.ServeMux does for a pattern
// registered twice; so does adding after Run.
func (k *Kernel) Add(ws ...Worker) {
	for _, w := range ws {
		switch {
		case k.running:
			panic(fmt.Sprintf("work: worker %q added after Run", w.Name))
		case w.Name == "" || w.Run == nil:
			panic(fmt.Sprintf("work: worker %q needs a name and a Run", w.Name))
		case k.names[w.Name]:
			panic(fmt.Sprintf("work: worker %q added twice", w.Name))
		}
		k.names[w.Name] = true
		k.workers = append(k.workers, w)
	}
}

// Workers lists the workers added, in order.
func (k *Kernel) Workers() []Worker { return append([]Worker(nil), k.workers...) }

// Run runs every worker until ctx ends and all of them have returned.
// Leased workers release their leases on the way out (unless KeepOnStop).
// On SQLite one process owns the database, so the leases a crashed
// predecessor left are released first rather than waited out.
func (k *Kernel) Run(ctx context.Context) error {
	k.running = true
	if k.DB.IsSQLite() {
		if err := k.DB.Write(ctx, func(tx *store.Tx) error { return tx.ClearLeases() }); err != nil {
			return fmt.Errorf("work: clearing leases: %w", err)
		}
	}
	var wg sync.WaitGroup
	for _, w := range k.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if w.Leased {
				k.Hold(ctx, w.Name, w.Run)
				return
			}
			supervise(ctx, w.Name, k.log(), w.Run)
		}()
	}
	wg.Wait()
	return nil
}

// supervise runs run until ctx ends, starting it again when it returns
// early.
func supervise(ctx context.Context, name string, log *slog.Logger, run func(ctx context.Context) error) {
	pause := time.Second
	for ctx.Err() == nil {
		started := time.Now()
		err := safeRun(ctx, run)
		if ctx.Err() != nil {
			return
		}
		if time.Since(started) > time.Minute {
			pause = time.Second // it ran a good while: not a crash loop
		}
		log.Error("work: worker stopped; starting it again", "worker", name, "err", err, "in", pause)
		sleep(ctx, pause)
		pause = min(2*pause, time.Minute)
	}
}

func safeRun(ctx context.Context, run func(ctx context.Context) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	if err = run(ctx); err == nil {
		err = fmt.Errorf("returned before its context ended")
	}
	return err
}
