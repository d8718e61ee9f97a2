// Package jobs runs Parley's durable jobs and timers: outbound deliveries,
// snooze wake-ups and, later, SLA timers and automations. Jobs live in the
// database, written in the same transaction as the change that wants them,
// so they survive restarts and exist exactly when that change committed.
//
// The runner sleeps until the next job is due (a timer, not a sweep) and is
// woken early when this process enqueues one. Claims take a lease; a job
// whose process died is claimed again when the lease runs out. On
// PostgreSQL, claims use SKIP LOCKED, so several processes share the work
// and each job runs once at a time.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Handler runs one job. A nil return completes it; an error retries it with
// backoff (or after its RetryAfter() time.Duration, when longer) until
// its attempts run out; an error with a Permanent() bool
// method returning true fails it at once.
type Handler func(ctx context.Context, job store.Job) error

// Finished is what a handler returns when it ended its job itself, with
// Finish in the transaction of its effect: a job run twice (its lease
// ran out mid-run) then acts once.
var Finished = errors.New("jobs: the handler finished the job")

// Finish ends job j, run by the worker that claimed it, in tx; it returns
// ECONFLICT when the job is no longer that worker's (another ended it),
// so the caller's transaction, and its effect, roll back.
func Finish(tx *store.Tx, j store.Job) error {
	ok, err := tx.FinishJob(j.ID, j.LockedBy, nil, nil)
	if err != nil {
		return err
	}
	if !ok {
		return parley.Errorf(parley.ECONFLICT, "job %d was finished elsewhere", j.ID)
	}
	return nil
}

// Runner claims due jobs and runs their handlers.
type Runner struct {
	db       *store.DB
	handlers map[string]Handler
	worker   string
	wake     chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex // guards handlers and started
	started  bool

	// Concurrency is how many jobs run at once in this process.
	Concurrency int
	// Lease is how long a claim on a job lasts without renewal. The
	// runner renews it every Lease/3 while the handler runs, so a job
	// whose process died is taken by another within about Lease, and a
	// handler that finds its claim taken (its process stalled past it)
	// is cancelled.
	Lease time.Duration
	// MaxRun bounds how long one handler may run; it is then cancelled.
	MaxRun time.Duration
	// MaxSleep caps the wait between looks at the table. Jobs enqueued by
	// this process wake the runner at once; the cap bounds how late one
	// enqueued by another process (on PostgreSQL) is noticed.
	MaxSleep time.Duration
	// Backoff returns the wait before retry after the given attempt (1-based).
	Backoff func(attempt int) time.Duration
	// KeepDone is how long completed jobs stay before they are pruned.
	KeepDone time.Duration
	// OnFinish, when set, is called after each run with the job's kind,
	// the handler's error (nil when it succeeded) and whether the job will
	// be retried; metrics count failures with it. It must not block.
	OnFinish func(kind string, err error, willRetry bool)
}

// New returns a runner over db with default settings.
func New(db *store.DB) *Runner {
	host, _ := os.Hostname()
	return &Runner{
		db:          db,
		handlers:    map[string]Handler{},
		worker:      fmt.Sprintf("%s/%d/%x", host, os.Getpid(), rand.Uint32()),
		wake:        make(chan struct{}, 1),
		Concurrency: 8,
		Lease:       30 * time.Second,
		MaxRun:      5 * time.Minute,
		MaxSleep:    time.Second,
		Backoff:     DefaultBackoff,
		KeepDone:    7 * 24 * time.Hour,
	}
}

// DefaultBackoff doubles from 5 seconds up to an hour, with ±20% jitter so
// retries from one outage do not arrive together.
func DefaultBackoff(attempt int) time.Duration {
	d := 5 * time.Second << min(attempt-1, 10)
	d = min(d, time.Hour)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// Handle registers the handler for a job kind. The package that owns a
// kind registers it (a Register or RegisterJobs function beside the
// handler), once, before Run. A kind registered twice, an empty kind, a
// nil handler or a registration after Run is a wiring mistake and panics,
// as http.ServeMux does for a pattern registered twice: two handlers for
// one kind would otherwise have the last one silently win.
func (r *Runner) Handle(kind string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.started:
		panic(fmt.Sprintf("jobs: handler for %q registered after Run", kind))
	case kind == "" || h == nil:
		panic(fmt.Sprintf("jobs: handler for %q: a kind and a handler are required", kind))
	case r.handlers[kind] != nil:
		panic(fmt.Sprintf("jobs: job kind %q registered twice", kind))
	}
	r.handlers[kind] = h
}

// Kinds lists the job kinds registered, sorted.
func (r *Runner) Kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(maps.Keys(r.handlers))
}

func (r *Runner) handler(kind string) Handler {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.handlers[kind]
}

// start marks the handlers final.
func (r *Runner) start() {
	r.mu.Lock()
	r.started = true
	r.mu.Unlock()
}

// Wake makes the runner look for due jobs now. It never blocks.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run claims and runs jobs until ctx ends, then waits for running handlers.
func (r *Runner) Run(ctx context.Context) error {
	r.start()
	defer r.wg.Wait()
	sem := make(chan struct{}, r.Concurrency)
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	for {
		free := r.Concurrency - len(sem)
		claimed := 0
		if free > 0 {
			jobs, err := r.claim(ctx, free)
			if err != nil && ctx.Err() == nil {
				slog.Error("jobs: claim", "err", err)
			}
			claimed = len(jobs)
			for _, j := range jobs {
				sem <- struct{}{}
				r.wg.Add(1)
				go func() {
					defer func() { <-sem; r.wg.Done(); r.Wake() }()
					r.run(ctx, j)
				}()
			}
		}
		if claimed == free && free > 0 {
			continue // there may be more due right now
		}
		wait := r.MaxSleep
		if next, ok, err := r.db.NextJobAt(ctx); err == nil && ok {
			wait = min(wait, max(next.Sub(r.db.Now()), 0))
		}
		if wait == 0 && len(sem) == r.Concurrency {
			wait = r.MaxSleep // full: a finishing job wakes us
		} else if wait == 0 && claimed == 0 {
			wait = 10 * time.Millisecond // due but not claimable (a claim error): do not spin
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-r.wake:
		case <-timer.C:
		case <-prune.C:
			r.prune(ctx)
		}
		timer.Stop()
	}
}

// RunDue runs every job that is due now, one at a time, until none is left,
// and returns how many ran. Tests with an injected clock use it in place of Run.
func (r *Runner) RunDue(ctx context.Context) (int, error) {
	n := 0
	for {
		jobs, err := r.claim(ctx, 1)
		if err != nil || len(jobs) == 0 {
			return n, err
		}
		r.run(ctx, jobs[0])
		n++
	}
}

func (r *Runner) claim(ctx context.Context, limit int) (jobs []store.Job, err error) {
	err = r.db.Write(ctx, func(tx *store.Tx) error {
		jobs, err = tx.ClaimJobs(r.worker, r.Lease, limit)
		return err
	})
	return jobs, err
}

func (r *Runner) run(ctx context.Context, j store.Job) {
	var runErr error
	if j.Attempts > j.MaxAttempts {
		// Claimed again after its lease ran out more times than allowed:
		// the handler keeps dying mid-run, so stop trying.
		runErr = permanent{fmt.Errorf("gave up after %d attempts whose leases expired", j.MaxAttempts)}
	} else if h := r.handler(j.Kind); h == nil {
		// Never silent: the job fails for good with this reason (visible
		// and retryable once a handler exists), and the log says so.
		runErr = permanent{fmt.Errorf("no handler registered for job kind %q (registered: %v)", j.Kind, r.Kinds())}
		slog.Error("jobs: a job of a kind nobody registered", "id", j.ID, "kind", j.Kind)
	} else {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.maxRun())
		stop := r.keepClaim(hctx, cancel, j)
		runErr = safeRun(hctx, h, j)
		stop()
		cancel()
	}
	var retryAt *time.Time
	if runErr != nil && !isPermanent(runErr) && j.Attempts < j.MaxAttempts {
		wait := r.Backoff(j.Attempts)
		var ra interface{ RetryAfter() time.Duration }
		if errors.As(runErr, &ra) && ra.RetryAfter() > wait {
			wait = ra.RetryAfter() // the provider said when
		}
		t := r.db.Now().Add(wait)
		retryAt = &t
	}
	if errors.Is(runErr, Finished) {
		// The handler ended the job itself, in the transaction of its
		// effect (Finish): there is nothing more to record.
		if r.OnFinish != nil {
			r.OnFinish(j.Kind, nil, false)
		}
		return
	}
	if runErr != nil {
		slog.Warn("jobs: job failed", "id", j.ID, "kind", j.Kind, "attempt", j.Attempts, "retry", retryAt != nil, "err", runErr)
	}
	err := r.db.Write(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		ok, err := tx.FinishJob(j.ID, r.worker, runErr, retryAt)
		if err == nil && !ok {
			slog.Warn("jobs: lease lost before the job finished", "id", j.ID, "kind", j.Kind)
		}
		return err
	})
	if err != nil {
		slog.Error("jobs: record outcome", "id", j.ID, "err", err)
	}
	if r.OnFinish != nil {
		r.OnFinish(j.Kind, runErr, retryAt != nil)
	}
}

func (r *Runner) maxRun() time.Duration {
	if r.MaxRun > 0 {
		return r.MaxRun
	}
	return 5 * time.Minute
}

// keepClaim renews the claim on j every Lease/3 until stop is called; if
// a renewal finds the claim taken, it cancels the handler.
func (r *Runner) keepClaim(ctx context.Context, cancel context.CancelFunc, j store.Job) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(max(r.Lease/3, 10*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			var held bool
			err := r.db.Write(ctx, func(tx *store.Tx) (err error) {
				held, err = tx.RenewJob(j.ID, r.worker, r.Lease)
				return err
			})
			if err == nil && !held {
				slog.Warn("jobs: claim lost while running; cancelling the handler", "id", j.ID, "kind", j.Kind)
				cancel()
				return
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func safeRun(ctx context.Context, h Handler, j store.Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	return h(ctx, j)
}

func (r *Runner) prune(ctx context.Context) {
	err := r.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.PruneJobs(r.db.Now().Add(-r.KeepDone))
		return err
	})
	if err != nil {
		slog.Error("jobs: prune", "err", err)
	}
}

type permanent struct{ error }

func (permanent) Permanent() bool { return true }
func (p permanent) Unwrap() error { return p.error }

// Permanent marks err as one that retrying cannot fix: the job fails at
// once, keeping err as its reason.
func Permanent(err error) error { return permanent{err} }

func isPermanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}
