package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Tx is one caller's share of a write transaction. Its work runs inside a
// savepoint, so a failing caller rolls back only its own changes while the
// others in the same batch commit.
type Tx struct {
	tx      *sql.Tx
	ctx     context.Context
	db      *DB
	now     time.Time
	lastSeq int64    // highest event seq this caller appended
	after   []func() // run after the commit, if this caller's work committed
	// events and touched are written for the whole batch at its end (see
	// flush.go): one multi-row insert and one update instead of a
	// statement per caller.
	events  []*parley.Event
	touched []int64
	// pre is what the batch read ahead for received messages (see
	// prefetch.go); nil when there is none, or it may no longer hold.
	pre *prefetched
	// readOnly marks a Tx from Read: it runs on a reading connection, so
	// the writer's prepared statements are not its own.
	readOnly bool
	// optimistic: the caller runs in a batch without savepoints, where
	// any error rolls the batch back and runs every caller again, each in
	// its own savepoint (writer.run).
	optimistic bool
}

// KeyCatchesRepeat reports that this run of the caller may leave finding
// a repeat (a message delivered twice, say) to the unique key its insert
// would break, instead of looking for the row first. It is true on SQLite
// in an optimistic batch only: the key's error rolls the batch back and
// runs the caller again in a savepoint, where this is false and the
// caller looks first, as always. A repeat then costs the batch a second
// run; every message that is not one saves a read in the single writer
// (docs/ARCHITECTURE.md, "Repeats left to the unique key"). On PostgreSQL the
// batch reads repeats ahead, for every caller at once (prefetch.go).
func (tx *Tx) KeyCatchesRepeat() bool {
	return tx.optimistic && tx.db.dialect.keyCatchesRepeat
}

// Now is the time of this transaction, from the injected clock.
func (tx *Tx) Now() time.Time { return tx.now }

// AfterCommit schedules f to run once the transaction has committed (to
// wake a job runner, say). f is dropped if the caller's work rolls back.
func (tx *Tx) AfterCommit(f func()) { tx.after = append(tx.after, f) }

func (tx *Tx) exec(q string, args ...any) (sql.Result, error) {
	if err := tx.flushQueued(); err != nil {
		return nil, err
	}
	if s := tx.prepared(q); s != nil {
		return s.ExecContext(tx.ctx, args...)
	}
	return tx.tx.ExecContext(tx.ctx, q, args...)
}

// insertID runs q, an INSERT of exactly one row (no OR IGNORE) ending in
// " RETURNING id", and returns the new row's id. On SQLite it runs without the RETURNING and
// asks for the connection's last rowid: SQLite buffers RETURNING's rows in
// a temporary table and copies every page the insert changes into a
// statement journal first, which was a tenth of the single writer's time
// (docs/PERFORMANCE.md, "what the single writer's statements cost").
func (tx *Tx) insertID(q string, args ...any) (id int64, err error) {
	if tx.db.dialect.lastInsertID {
		if plain, ok := strings.CutSuffix(q, " RETURNING id"); ok {
			res, err := tx.exec(plain, args...)
			if err != nil {
				return 0, err
			}
			return res.LastInsertId()
		}
	}
	err = tx.queryRow(q, args...).Scan(&id)
	return id, err
}

func (tx *Tx) queryRow(q string, args ...any) *sql.Row {
	tx.flushQueued() // a failure leaves the transaction aborted: the row's Scan says so, and the batch reports the cause
	if s := tx.prepared(q); s != nil {
		return s.QueryRowContext(tx.ctx, args...)
	}
	return tx.tx.QueryRowContext(tx.ctx, q, args...)
}

// prepared returns q as a statement of this transaction, reusing the one
// the writer's connection prepared before (see stmtCache), or nil to run
// q unprepared.
func (tx *Tx) prepared(q string) *sql.Stmt {
	if tx.readOnly || tx.db.writer == nil || tx.db.writer.stmts == nil {
		return nil
	}
	if s := tx.db.writer.stmts.get(q); s != nil {
		return tx.tx.StmtContext(tx.ctx, s)
	}
	return nil
}

func (tx *Tx) query(q string, args ...any) (*sql.Rows, error) {
	if err := tx.flushQueued(); err != nil {
		return nil, err
	}
	if s := tx.prepared(q); s != nil {
		return s.QueryContext(tx.ctx, args...)
	}
	return tx.tx.QueryContext(tx.ctx, q, args...)
}
