package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// maxBatch bounds how many callers share one commit. Large enough to make
// the commit's fsync cheap per caller, small enough to keep latency low.
const maxBatch = 256

// smallBatch is the queue length under which the single writer yields
// before gathering its batch (see loop).
const smallBatch = 8

type writeReq struct {
	fn   func(*Tx) error
	hint *ReceiveHint // what fn reads first, for a received message
	done chan error
}

// writer owns all writes: it takes queued requests, runs as many as are
// waiting (up to maxBatch) in one transaction, and answers each after the
// commit. A caller's failure never undoes another caller's work (see
// run). Under load, requests queue while a commit is in flight, so the
// batches grow by themselves: that is the group commit.
type writer struct {
	db *DB
	// queues holds one queue per writer loop. Keyed writes (WriteKeyed)
	// always go to the same loop, so on PostgreSQL two parallel batches
	// never work on the same contact and cannot deadlock over its rows.
	queues  []chan writeReq
	next    atomic.Uint32 // round robin for writes without a key
	quit    chan struct{}
	ended   sync.WaitGroup
	stopped chan struct{} // closed once every loop has ended
	stmts   *stmtCache    // nil when the dialect does not cache statements
	// careful counts down the batches still to run with savepoints after
	// an optimistic batch failed (see run).
	careful atomic.Int32
	// prefetched counts the batches that read ahead for their received
	// messages (see PrefetchedBatches).
	prefetched atomic.Int64
	queuedRows atomic.Int64 // rows of new people inserted from a batch's queue (deferred.go)
	// slots caps the write transactions of all processes together
	// (slots.go); nil when there is no cap.
	slots *writeSlots
	// activeLoops is how many of the queues take new writes: all of them,
	// or under a cap this process's share of it (slots.go).
	activeLoops atomic.Int32
}

// active is how many queues, from the first, take new writes.
func (w *writer) active() int { return int(w.activeLoops.Load()) }

// startWriter starts the dialect's number of writer loops: one on SQLite,
// which has a single writer anyway; several on PostgreSQL, where batches
// run side by side and serialize only for the event-log insert at their end.
func startWriter(db *DB) *writer {
	w := &writer{db: db, quit: make(chan struct{}), stopped: make(chan struct{})}
	if db.dialect.cacheStatements {
		w.stmts = &stmtCache{db: db.write, m: map[string]*sql.Stmt{}, want: map[string]bool{}}
	}
	w.slots = db.slots
	first := firstSlot()
	for i := range max(db.dialect.writers, 1) {
		q := make(chan writeReq, 4*maxBatch)
		w.queues = append(w.queues, q)
		w.ended.Add(1)
		go w.loop(q, first+i)
	}
	w.activeLoops.Store(int32(len(w.queues)))
	if w.slots != nil {
		w.share(1) // alone until counted
		w.ended.Add(1)
		go w.followNodes()
	}
	return w
}

func (w *writer) stop() {
	close(w.quit)
	w.ended.Wait()
	close(w.stopped)
	if w.stmts != nil {
		w.stmts.close()
	}
}

// Write runs fn in a write transaction shared with other callers and
// returns once that transaction has committed (nil) or fn's work has been
// rolled back (the error). fn may run more than once: after a unique-key
// race with another process, or when a shared batch has to be retried, so
// it must not have side effects outside tx other than through AfterCommit.
func (db *DB) Write(ctx context.Context, fn func(*Tx) error) error {
	w := db.writer
	return db.write1(ctx, w.queues[int(w.next.Add(1))%w.active()], writeReq{fn: fn})
}

// Read runs fn in a transaction on a reading connection and rolls it back:
// for use cases that only read but share code written against Tx (the
// reply-time promise), so they neither wait for nor slow the writer. fn
// must not write (on SQLite the reading connections refuse it).
func (db *DB) Read(ctx context.Context, fn func(*Tx) error) error {
	sqlTx, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return wrapErr("store: Read", err)
	}
	defer sqlTx.Rollback()
	return fn(&Tx{tx: sqlTx, ctx: ctx, db: db, now: db.now(), readOnly: true})
}

// WriteKeyed is Write for work about one thing, named by key (a contact's
// identity, say): all writes with the same key go through the same writer
// loop, one after another.
func (db *DB) WriteKeyed(ctx context.Context, key string, fn func(*Tx) error) error {
	return db.write1(ctx, db.writer.queueFor(key), writeReq{fn: fn})
}

// queueFor is the writer loop that takes every write about key.
func (w *writer) queueFor(key string) chan writeReq {
	h := fnv.New32a()
	h.Write([]byte(key))
	return w.queues[int(h.Sum32()%uint32(w.active()))]
}

func (db *DB) write1(ctx context.Context, q chan writeReq, req writeReq) error {
	req.done = make(chan error, 1)
	select {
	case q <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-db.writer.quit:
		return errors.New("store: closed")
	}
	// Once queued, wait for the outcome even if ctx ends: the caller must
	// never be told "failed" about work that then commits. A request that
	// slipped into the queue as the writer stopped (select picks at random
	// when both cases are ready) is never run: once every loop has ended,
	// answer it as closed instead of waiting forever.
	select {
	case err := <-req.done:
		return db.noteWrite(err)
	case <-db.writer.stopped:
		select {
		case err := <-req.done:
			return db.noteWrite(err)
		default:
			return errors.New("store: closed")
		}
	}
}

func (w *writer) loop(reqs chan writeReq, slot int) {
	defer w.ended.Done()
	batch := make([]writeReq, 0, maxBatch)
	for {
		batch = batch[:0]
		select {
		case r := <-reqs:
			batch = append(batch, r)
		case <-w.quit:
			w.drain(reqs, slot)
			return
		}
		var tx *batchTx
		if w.slots != nil {
			// Wait for a slot before gathering the rest of the batch:
			// callers arriving meanwhile join it. On an error, the
			// commit begins again and reports it.
			tx, _ = w.begin(context.Background(), slot)
		}
		if w.db.dialect.gatherBatches && len(reqs) < smallBatch {
			// When the cores are busy, the callers that would join this
			// batch are runnable but not running: they have a message
			// decoded and are a few microseconds from the queue. Yielding
			// once lets them get there, so the commit is shared by more of
			// them, and its fixed part (the transaction, the WAL pages the
			// batch's rows share, the touch and the events' statements) is
			// paid fewer times. With nothing else runnable, Gosched returns
			// at once. On SQLite under a CPU hog: 4,770 → 5,333 msgs/s;
			// the p99 at 1,000/s no worse (docs/PERFORMANCE.md, "Gathering
			// the batch").
			runtime.Gosched()
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case r := <-reqs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		if w.db.dialect.prefetchReceives {
			hintedFirst(batch)
		}
		w.run(batch, tx, slot)
		w.restartLog()
	}
}

// drain finishes requests queued before stop.
func (w *writer) drain(reqs chan writeReq, slot int) {
	for {
		select {
		case r := <-reqs:
			w.run([]writeReq{r}, nil, slot)
		default:
			return
		}
	}
}

// errCallerFailed stops a batch run without savepoints when one caller's
// work fails: its partial changes cannot be undone alone.
var errCallerFailed = errors.New("store: a caller failed in a batch without savepoints")

// carefulBatches is how many batches run with savepoints after a batch
// without them had to be rolled back, so that a stream of failing callers
// costs little more than it did before.
const carefulBatches = 16

// run commits the batch, in tx when the loop has begun one for it (with
// its write slot taken), and answers each caller.
func (w *writer) run(batch []writeReq, tx *batchTx, slot int) {
	commit := func(savepoints bool) ([]error, error) {
		first := tx
		tx = nil // a second attempt begins its own
		errs, err := w.commit(batch, savepoints, first, slot)
		if err != nil || slices.ContainsFunc(errs, func(e error) bool { return e != nil }) {
			w.db.cache.clear() // it may hold rows a rollback undid
		}
		return errs, err
	}
	var errs []error
	var err error
	if len(batch) > 1 && w.careful.Load() <= 0 {
		// Optimistic: callers rarely fail, so run them all in the one
		// transaction without a savepoint each. Savepoints cost statements,
		// copies of changed pages into the statement journal, and on SQLite
		// a flush of the full-text index's pending terms per caller. If one
		// caller fails, roll everything back and run the batch again, each
		// caller in its own savepoint as before.
		errs, err = commit(false)
		if errors.Is(err, errCallerFailed) {
			w.careful.Store(carefulBatches)
			errs, err = commit(true)
		}
	} else {
		w.careful.Add(-1)
		errs, err = commit(true)
		if len(batch) == 1 && err == nil && isUniqueViolation(errs[0]) {
			// As runSavepoint does for callers in a shared batch: another
			// writer committed the same row meanwhile; a fresh look finds it.
			errs, err = commit(true)
		}
		// Several nodes write to one PostgreSQL database, each batching
		// its callers into shared transactions that lock rows (a
		// conversation, FOR UPDATE) in the order its callers came. Two
		// nodes can so take the same two rows in opposite orders, and
		// PostgreSQL ends the cycle by failing one transaction with a
		// deadlock (or, for the same reason, a serialization failure). No
		// order could be imposed across nodes: a caller's rows are known
		// only once it runs. The failed transaction was rolled back whole,
		// so running the caller again is safe, and its second run meets
		// the other transaction committed; the caller must not see a
		// conflict it had no part in choosing.
		for attempt := 1; len(batch) == 1 && isConflict(err) && attempt <= maxConflictRetries; attempt++ {
			slog.Info("store: write conflicted with another transaction; running it again", "attempt", attempt, "err", err)
			time.Sleep(time.Duration(attempt) * (2*time.Millisecond + rand.N(8*time.Millisecond)))
			errs, err = commit(true)
		}
	}
	if len(batch) > 1 && isConflict(err) {
		// Another batch took some of the same rows in the other order (an
		// agent's change, a reply in someone else's thread), and PostgreSQL
		// rolled this one back. The other has gone on to commit, so the
		// whole batch again usually goes through: one transaction, not one
		// per caller as below, which under load is a cliff.
		time.Sleep(2*time.Millisecond + rand.N(8*time.Millisecond))
		errs, err = commit(true)
	}
	if w.stmts != nil {
		w.stmts.prepareWanted(context.Background())
	}
	if err != nil && len(batch) > 1 {
		// The batch as a whole failed (a lost connection, a serialization
		// failure): retry each caller alone so one cannot sink the others.
		slog.Warn("store: batch commit failed; retrying one by one", "size", len(batch), "err", err)
		for _, r := range batch {
			w.run([]writeReq{r}, nil, slot)
		}
		return
	}
	for i, r := range batch {
		if err != nil {
			r.done <- fmt.Errorf("store: commit: %w", err)
		} else {
			r.done <- errs[i]
		}
	}
}

// commit runs the batch in one transaction and returns each request's own
// error, or an error for the whole batch. With savepoints, each request
// runs in its own, so a failing one rolls back alone; without, the first
// failure rolls back the whole batch and returns errCallerFailed.
func (w *writer) commit(batch []writeReq, savepoints bool, btx *batchTx, slot int) ([]error, error) {
	db := w.db
	ctx := context.Background()
	if btx == nil {
		var err error
		if btx, err = w.begin(ctx, slot); err != nil {
			return nil, err
		}
	}
	defer btx.end()
	if err := db.cache.follow(ctx, btx); err != nil {
		return nil, err
	}
	sqlTx := btx.Tx
	errs := make([]error, len(batch))
	txs := make([]*Tx, len(batch))
	single := len(batch) == 1
	pre, err := w.prefetch(ctx, sqlTx, batch, !savepoints)
	if err != nil {
		return nil, err
	}
	for i, r := range batch {
		if r.hint == nil && pre != nil {
			// This caller may read or refer to the messages so far, and
			// write anything a later one would read.
			if err := pre.flushMessages(direct{pre.tx}); err != nil {
				return nil, err
			}
			pre = nil
		}
		tx := &Tx{tx: sqlTx, ctx: ctx, db: db, now: db.now(), pre: pre, optimistic: !single && !savepoints}
		if single || !savepoints {
			errs[i] = r.fn(tx) // the transaction is this caller's alone: no savepoint needed
		} else {
			errs[i] = runSavepoint(tx, r.fn)
		}
		if errs[i] == nil {
			txs[i] = tx
		} else if err := pre.flushErrOrNil(); err != nil {
			return nil, err // a statement of the caller's flushed queued rows, which failed (deferred.go)
		} else if isBatchFatal(errs[i]) {
			return nil, errs[i]
		} else if !single && !savepoints {
			return nil, errCallerFailed // the deferred Rollback undoes the batch
		}
	}
	if single && errs[0] != nil {
		return errs, nil // the deferred Rollback undoes it
	}
	var sink stmtSink = direct{&Tx{tx: sqlTx, ctx: ctx, db: db, now: db.now()}}
	pipe := &pipeline{}
	if db.dialect.pipeline {
		sink = pipe // sent in one round trip (pipeline.go)
	}
	if err := pre.flushMessages(sink); err != nil {
		return nil, err
	}
	if err := w.flush(sink, txs); err != nil {
		return nil, err
	}
	if err := pipe.send(ctx, btx.conn); err != nil {
		return nil, err
	}
	if err := sqlTx.Commit(); err != nil {
		return nil, err
	}
	var last int64
	for _, tx := range txs {
		if tx == nil {
			continue
		}
		last = max(last, tx.lastSeq)
		for _, f := range tx.after {
			f()
		}
	}
	if last > 0 {
		for _, f := range db.onCommit {
			f(last)
		}
	}
	return errs, nil
}

// runSavepoint runs fn inside a savepoint, rolling back to it on error.
// A unique-key violation is retried once: on PostgreSQL another process may
// have committed the same row while we waited, and a fresh look finds it.
func runSavepoint(tx *Tx, fn func(*Tx) error) error {
	for attempt := 0; ; attempt++ {
		if _, err := tx.exec("SAVEPOINT w"); err != nil {
			return err
		}
		err := fn(tx)
		if err == nil {
			_, err = tx.exec("RELEASE SAVEPOINT w")
			return err
		}
		if _, rerr := tx.exec("ROLLBACK TO SAVEPOINT w"); rerr != nil {
			return rerr
		}
		if _, rerr := tx.exec("RELEASE SAVEPOINT w"); rerr != nil {
			return rerr
		}
		tx.after, tx.lastSeq, tx.events, tx.touched = nil, 0, nil, nil
		tx.pre.dropOwned(tx)
		if !isUniqueViolation(err) || attempt > 0 {
			return err
		}
	}
}

// maxConflictRetries bounds how many times one caller is run again after
// deadlocks or serialization failures, so that a caller that always
// conflicts (a bug) still gets its error.
const maxConflictRetries = 5

// isConflict reports a transaction PostgreSQL rolled back to break a lock
// cycle (40P01) or keep transactions serializable (40001): nothing of it
// was committed, and running it again may well succeed.
func isConflict(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "40P01" || pg.Code == "40001")
}

// isBatchFatal reports errors that poison the whole transaction rather
// than one caller's savepoint. A full disk is one: SQLite may have rolled
// back more than the statement, so nothing of the batch is trusted, and
// each caller is tried again alone.
func isBatchFatal(err error) bool {
	if IsStorageFull(err) {
		return true
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "40001" || pg.Code == "40P01" || pg.Code == "25P02" || pg.Code[:2] == "08"
	}
	return errors.Is(err, sql.ErrConnDone) || errors.Is(err, sql.ErrTxDone)
}
