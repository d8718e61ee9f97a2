package store

import (
	"context"
	"database/sql"
	"time"
)

// SetSettleWait shortens how long event reads wait for a hole to settle,
// for tests; it returns the function that restores it.
func SetSettleWait(d time.Duration) func() {
	old := settleWait
	settleWait = d
	return func() { settleWait = old }
}

// ReadPool is the database's reading pool, for tests that check rows
// directly.
func (db *DB) ReadPool() *sql.DB { return db.read }

// EventsLockKey is the advisory lock appenders of the event log hold.
func (db *DB) EventsLockKey() int64 { return db.eventsKey }

// SetSearchThresholds makes the search plans' thresholds small enough for
// a test database; it returns the function that restores them.
func SetSearchThresholds(narrow, rare, inline int) func() {
	n, np, r, i := narrowMessages, narrowMessagesPG, rareMatches, inlineIndexMax
	narrowMessages, narrowMessagesPG, rareMatches, inlineIndexMax = narrow, narrow, rare, inline
	return func() { narrowMessages, narrowMessagesPG, rareMatches, inlineIndexMax = n, np, r, i }
}

// SetCommonEstimate sets the planner estimate above which PostgreSQL skips
// counting a query's matches (0: always skips).
func SetCommonEstimate(v float64) func() {
	c := commonEstimate
	commonEstimate = v
	return func() { commonEstimate = c }
}

// SetWindowScan sets how many messages a time-limited search reads to bound
// its walk.
func SetWindowScan(n int) func() {
	w := windowScan
	windowScan = n
	return func() { windowScan = w }
}

// StopSearchIndexer stops the background search indexer (SQLite), so a
// test can hold a backlog.
func (db *DB) StopSearchIndexer() {
	if db.indexer != nil {
		db.indexer.stop()
	}
}

// BatchCall is one caller of a batch RunBatch puts together.
type BatchCall struct {
	Hint *ReceiveHint
	Fn   func(*Tx) error
}

// RunBatch runs calls as one write batch, in order, as the writer would
// had they queued together, and returns each call's error.
func (db *DB) RunBatch(calls ...BatchCall) []error {
	batch := make([]writeReq, len(calls))
	for i, c := range calls {
		batch[i] = writeReq{fn: c.Fn, hint: c.Hint, done: make(chan error, 1)}
	}
	db.writer.run(batch, nil, 0)
	errs := make([]error, len(calls))
	for i, r := range batch {
		errs[i] = <-r.done
	}
	return errs
}

// SetNodeRefresh sets how often a capped writer counts the processes on
// its database (slots.go); it returns the function that restores it.
func SetNodeRefresh(d time.Duration) func() {
	old := nodeRefresh
	nodeRefresh = d
	return func() { nodeRefresh = old }
}

// ActiveWriters is how many writer loops take new writes.
func (db *DB) ActiveWriters() int { return db.writer.active() }

// QueuedRows is how many rows of new people (contacts, identities,
// conversations) batches have inserted from their queues.
func (db *DB) QueuedRows() int64 { return db.writer.queuedRows.Load() }

// TouchSQL is the statement that moves the activity of n conversations.
func TouchSQL(n int) string { return touchSQL("", n) }

// PlanTouch is what runs before and after the batch's touch on PostgreSQL.
func PlanTouch() (on, off string) { return postgresDialect.planTouch[0], postgresDialect.planTouch[1] }

// EventReads counts the reads of the event log that went to the database
// rather than to the window of recent events.
func (db *DB) EventReads() int64 { return db.recent.reads.Load() }

// HoldEventTurn takes the turn of readers at the end of the recent
// events, as a reader does while it queries, until release is called.
func (db *DB) HoldEventTurn(ctx context.Context) (release func(), err error) {
	if err := db.recent.waitTurn(ctx); err != nil {
		return nil, err
	}
	return db.recent.endTurn, nil
}

// SetRestartPages sets the log's size past which the writer resets it;
// it returns the function that restores it.
func SetRestartPages(n int) func() {
	old := restartPages
	restartPages = n
	return func() { restartPages = old }
}

// LogRestartAsked reports whether the checkpointer has asked the writer to
// reset SQLite's log and the writer has not yet tried.
func (db *DB) LogRestartAsked() bool { return db.ckpt.restart.Load() }

// LogRestarts counts the writer's resets of SQLite's log.
func (db *DB) LogRestarts() int64 { return db.ckpt.restarts.Load() }

// Opcodes lists the program SQLite compiles q into on this transaction's
// connection (EXPLAIN), one opcode per step.
func (tx *Tx) Opcodes(q string) ([]string, error) {
	rows, err := tx.tx.QueryContext(tx.ctx, "EXPLAIN "+q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var ops []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		op, _ := vals[1].(string)
		ops = append(ops, op)
	}
	return ops, rows.Err()
}

// CacheHits counts the answers of the writer's cache (SQLite).
func (db *DB) CacheHits() int64 {
	if db.cache == nil {
		return 0
	}
	db.cache.mu.Lock()
	defer db.cache.mu.Unlock()
	return db.cache.hits
}

// Exec runs a statement in the caller's transaction, for tests that
// change rows no store method changes alone.
func (tx *Tx) Exec(q string, args ...any) error {
	_, err := tx.exec(q, args...)
	return err
}

// SetProbeRows sets how many of the newest messages a common query's
// first try may walk (PostgreSQL); it returns the function that restores
// it.
func SetProbeRows(n int64) func() {
	p := probeRows
	probeRows = n
	return func() { probeRows = p }
}

// SetProbeSpread sets how many pages' worth of rows, at the estimated
// density, that first try walks.
func SetProbeSpread(v float64) func() {
	p := probeSpread
	probeSpread = v
	return func() { probeSpread = p }
}

// SearchProbes returns how many first tries among the newest messages
// ran and how many of them answered.
func SearchProbes() (tried, answered int64) {
	return probes.tried.Load(), probes.answered.Load()
}
