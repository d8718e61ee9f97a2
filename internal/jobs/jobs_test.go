package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/jobs"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

var bg = context.Background()

func enqueue(t *testing.T, db *store.DB, kind string, at time.Time, maxAttempts int) int64 {
	t.Helper()
	var id int64
	if err := db.Write(bg, func(tx *store.Tx) (err error) {
		id, err = tx.EnqueueJob(kind, `{"x":1}`, at, maxAttempts)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

// start runs r until the test ends.
func start(t *testing.T, r *jobs.Runner) {
	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func waitStatus(t *testing.T, db *store.DB, id int64, status string) store.Job {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		j, err := db.Job(bg, id)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status == status {
			return j
		}
		time.Sleep(5 * time.Millisecond)
	}
	j, _ := db.Job(bg, id)
	t.Fatalf("job %d is %s after 10s, want %s (last error %q)", id, j.Status, status, j.LastError)
	return j
}

// TestTimerFiresAtItsMoment: with a one-minute cap on sleeping, a job due
// in 300 ms still runs within a few milliseconds of its time, because the
// runner sleeps until the next due job rather than sweeping.
func TestTimerFiresAtItsMoment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		r := jobs.New(db)
		r.MaxSleep = time.Minute
		ran := make(chan time.Time, 1)
		r.Handle("tick", func(ctx context.Context, j store.Job) error { ran <- time.Now(); return nil })
		start(t, r)
		time.Sleep(50 * time.Millisecond) // the runner is asleep with nothing due
		due := time.Now().Add(300 * time.Millisecond)
		enqueue(t, db, "tick", due, 1)
		r.Wake() // what a use case's AfterCommit does
		select {
		case at := <-ran:
			if late := at.Sub(due); late < 0 || late > 250*time.Millisecond {
				t.Fatalf("ran %v after its time", late)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the timer never fired")
		}
	})
}

func TestRetryThenSucceed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		r := jobs.New(db)
		r.Backoff = func(int) time.Duration { return 20 * time.Millisecond }
		var calls atomic.Int32
		r.Handle("flaky", func(ctx context.Context, j store.Job) error {
			if calls.Add(1) < 3 {
				return errors.New("provider answered 503")
			}
			return nil
		})
		start(t, r)
		id := enqueue(t, db, "flaky", time.Now(), 5)
		r.Wake()
		j := waitStatus(t, db, id, "done")
		if j.Attempts != 3 || calls.Load() != 3 {
			t.Fatalf("attempts = %d, calls = %d; want 3", j.Attempts, calls.Load())
		}
	})
}

type permanentErr struct{}

func (permanentErr) Error() string   { return "token revoked" }
func (permanentErr) Permanent() bool { return true }

func TestFailures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		r := jobs.New(db)
		r.Backoff = func(int) time.Duration { return 10 * time.Millisecond }
		r.Handle("permanent", func(ctx context.Context, j store.Job) error { return permanentErr{} })
		r.Handle("always", func(ctx context.Context, j store.Job) error { return errors.New("still down") })
		r.Handle("panics", func(ctx context.Context, j store.Job) error { panic("oops") })
		start(t, r)
		perm := enqueue(t, db, "permanent", time.Now(), 5)
		always := enqueue(t, db, "always", time.Now(), 3)
		panics := enqueue(t, db, "panics", time.Now(), 1)
		unknown := enqueue(t, db, "nobody-handles-this", time.Now(), 5)
		r.Wake()
		if j := waitStatus(t, db, perm, "failed"); j.Attempts != 1 || j.LastError != "token revoked" {
			t.Errorf("permanent: %+v", j)
		}
		if j := waitStatus(t, db, always, "failed"); j.Attempts != 3 || j.LastError != "still down" {
			t.Errorf("exhausted: %+v", j)
		}
		if j := waitStatus(t, db, panics, "failed"); j.LastError == "" {
			t.Errorf("panic: %+v", j)
		}
		if j := waitStatus(t, db, unknown, "failed"); j.Attempts != 1 || !strings.Contains(j.LastError, `no handler registered for job kind "nobody-handles-this"`) {
			t.Errorf("unknown kind: %+v", j)
		}
	})
}

// TestSurvivesRestart: a job enqueued by one process and a job whose
// runner died mid-run are both done by the next process.
func TestSurvivesRestart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		dsn := storetest.DSN(t, dialect)
		db, err := store.Open(bg, dsn)
		if err != nil {
			t.Fatal(err)
		}
		later := enqueue(t, db, "work", time.Now().Add(200*time.Millisecond), 3)
		crashed := enqueue(t, db, "work", time.Now(), 3)
		// A runner claims the second job and dies without finishing it.
		if err := db.Write(bg, func(tx *store.Tx) error { _, err := tx.ClaimJobs("dead-worker", 300*time.Millisecond, 1); return err }); err != nil {
			t.Fatal(err)
		}
		db.Close()

		db, err = store.Open(bg, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		r := jobs.New(db)
		var ran sync.Map
		r.Handle("work", func(ctx context.Context, j store.Job) error { ran.Store(j.ID, true); return nil })
		start(t, r)
		waitStatus(t, db, later, "done")
		j := waitStatus(t, db, crashed, "done")
		if j.Attempts != 2 {
			t.Errorf("crashed job attempts = %d, want 2 (the dead run and ours)", j.Attempts)
		}
	})
}

// TestSeveralRunners: three runners, each with its own connection pool as
// three processes would have, share 150 jobs; each runs exactly once.
func TestSeveralRunners(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		dsn := storetest.DSN(t, dialect)
		var counts sync.Map
		var dbs []*store.DB
		for range 3 {
			db, err := store.Open(bg, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			dbs = append(dbs, db)
		}
		var ids []int64
		for range 150 {
			ids = append(ids, enqueue(t, dbs[0], "count", time.Now(), 1))
		}
		for _, db := range dbs {
			r := jobs.New(db)
			r.MaxSleep = 20 * time.Millisecond
			r.Handle("count", func(ctx context.Context, j store.Job) error {
				n, _ := counts.LoadOrStore(j.ID, new(atomic.Int32))
				n.(*atomic.Int32).Add(1)
				return nil
			})
			start(t, r)
		}
		for _, id := range ids {
			waitStatus(t, dbs[0], id, "done")
		}
		for _, id := range ids {
			n, ok := counts.Load(id)
			if !ok || n.(*atomic.Int32).Load() != 1 {
				t.Fatalf("job %d ran %v times", id, n)
			}
		}
	})
}

func TestRunDue(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	r := jobs.New(db)
	var n atomic.Int32
	r.Handle("x", func(ctx context.Context, j store.Job) error { n.Add(1); return nil })
	enqueue(t, db, "x", now, 1)
	enqueue(t, db, "x", now.Add(time.Hour), 1)
	if ran, err := r.RunDue(bg); err != nil || ran != 1 || n.Load() != 1 {
		t.Fatalf("RunDue = %d, %v", ran, err)
	}
	now = now.Add(time.Hour)
	if ran, _ := r.RunDue(bg); ran != 1 {
		t.Fatalf("second RunDue = %d", ran)
	}
}

func TestDefaultBackoff(t *testing.T) {
	for attempt, want := range map[int]time.Duration{1: 5 * time.Second, 2: 10 * time.Second, 5: 80 * time.Second, 30: time.Hour} {
		got := jobs.DefaultBackoff(attempt)
		if got < want*8/10 || got > want*12/10 {
			t.Errorf("DefaultBackoff(%d) = %v, want %v ±20%%", attempt, got, want)
		}
	}
}

// TestOnFinishAndCounts: the runner reports every run's outcome, and the
// store counts what is left in the queue by kind and status.
func TestOnFinishAndCounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		r := jobs.New(db)
		type outcome struct {
			kind  string
			err   bool
			retry bool
		}
		var got []outcome
		r.OnFinish = func(kind string, err error, willRetry bool) { got = append(got, outcome{kind, err != nil, willRetry}) }
		r.Handle("ok", func(ctx context.Context, j store.Job) error { return nil })
		r.Handle("flaky", func(ctx context.Context, j store.Job) error { return errors.New("503") })
		r.Handle("broken", func(ctx context.Context, j store.Job) error { return permanentErr{} })
		enqueue(t, db, "ok", now, 1)
		enqueue(t, db, "flaky", now, 3)
		enqueue(t, db, "broken", now, 3)
		enqueue(t, db, "ok", now.Add(time.Hour), 1)
		if ran, err := r.RunDue(bg); err != nil || ran != 3 {
			t.Fatalf("RunDue = %d, %v", ran, err)
		}
		want := []outcome{{"ok", false, false}, {"flaky", true, true}, {"broken", true, false}}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("OnFinish calls = %v, want %v", got, want)
		}
		counts, err := db.JobCounts(bg)
		if err != nil {
			t.Fatal(err)
		}
		// The done "ok" job is not counted; the later one waits.
		if s := fmt.Sprint(counts); s != "[{broken failed 1} {flaky pending 1} {ok pending 1}]" {
			t.Errorf("JobCounts = %s", s)
		}
	})
}

// TestHandleTwice: a kind registered twice, or after Run, is a wiring
// mistake that panics rather than letting one handler silently win.
func TestHandleTwice(t *testing.T) {
	r := jobs.New(storetest.Open(t, "sqlite"))
	h := func(ctx context.Context, j store.Job) error { return nil }
	r.Handle("a", h)
	mustPanic := func(what string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s does not panic", what)
			}
		}()
		f()
	}
	mustPanic("a kind registered twice", func() { r.Handle("a", h) })
	mustPanic("an empty kind", func() { r.Handle("", h) })
	mustPanic("a nil handler", func() { r.Handle("b", nil) })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	time.Sleep(50 * time.Millisecond)
	mustPanic("a kind registered after Run", func() { r.Handle("c", h) })
	cancel()
	<-done
	if got := r.Kinds(); len(got) != 1 || got[0] != "a" {
		t.Errorf("Kinds = %v", got)
	}
}

// TestClaimRenewedWhileRunning: a handler that runs for several times the
// claim's lease keeps its job: the runner renews the claim, so a second
// runner on the same database never takes it, and the job runs once.
func TestClaimRenewedWhileRunning(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		var runs atomic.Int32
		mk := func() *jobs.Runner {
			r := jobs.New(db)
			// Generous for a loaded machine (the race detector, CI): a
			// renewal is a write, and one held up past the lease would
			// let b take the job.
			r.Lease = time.Second
			r.MaxSleep = 20 * time.Millisecond
			r.Handle("slow", func(ctx context.Context, j store.Job) error {
				runs.Add(1)
				select {
				case <-time.After(3500 * time.Millisecond):
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			})
			return r
		}
		a, b := mk(), mk()
		id := enqueue(t, db, "slow", time.Now(), 3)
		start(t, a)
		start(t, b)
		j := waitStatus(t, db, id, "done")
		if n := runs.Load(); n != 1 || j.Attempts != 1 {
			t.Fatalf("ran %d times, %d attempts: the claim was taken while its handler ran", n, j.Attempts)
		}
	})
}
