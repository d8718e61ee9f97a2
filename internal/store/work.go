package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The durable-work kernel's two tables (migration 0025): leases, for work
// that must run on one node at a time, and event_cursors, for consumers of
// the event log. internal/work builds on these.

// Lease is one row of the leases table.
type Lease struct {
	Name   string
	Holder string // "" when released
	// Token grows by one each time the lease changes hands. A holder
	// passes it to HoldsLease inside a write to fence that write: a
	// holder that lost the lease (it paused past expiry and another node
	// took over) fails instead of writing beside the new holder.
	Token     int64
	ExpiresAt time.Time
}

// AcquireLease takes the named lease for holder until now+ttl when it is
// free, released or expired, and reports whether it did. Either way it
// returns the lease as it stands, so a node that did not get it knows
// when to try again (ExpiresAt). Taking a lease always moves its token on,
// even when the same holder takes it back.
func (tx *Tx) AcquireLease(name, holder string, ttl time.Duration) (l Lease, ok bool, err error) {
	defer wrap(&err, "store: AcquireLease(%s)", name)
	if name == "" || holder == "" || ttl <= 0 {
		return l, false, fmt.Errorf("a lease needs a name, a holder and a positive ttl")
	}
	now := ts(tx.now)
	var exp int64
	err = tx.queryRow(`INSERT INTO leases (name, holder, token, expires_at, updated_at) VALUES ($1, $2, 1, $3, $4)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, token = leases.token + 1,
			expires_at = excluded.expires_at, updated_at = excluded.updated_at
		WHERE leases.expires_at <= $4 OR leases.holder = ''
		RETURNING holder, token, expires_at`, name, holder, ts(tx.now.Add(ttl)), now).Scan(&l.Holder, &l.Token, &exp)
	if err == nil {
		l.Name, l.ExpiresAt = name, fromTS(exp)
		return l, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return l, false, err
	}
	// Held by someone else: report who, and until when.
	err = tx.queryRow("SELECT holder, token, expires_at FROM leases WHERE name = $1", name).Scan(&l.Holder, &l.Token, &exp)
	l.Name, l.ExpiresAt = name, fromTS(exp)
	return l, false, err
}

// RenewLease extends a lease its holder still has (same holder, same
// token) to now+ttl, and reports false when it no longer has it.
func (tx *Tx) RenewLease(l Lease, ttl time.Duration) (Lease, bool, error) {
	res, err := tx.exec(`UPDATE leases SET expires_at = $4, updated_at = $5
		WHERE name = $1 AND holder = $2 AND token = $3`, l.Name, l.Holder, l.Token, ts(tx.now.Add(ttl)), ts(tx.now))
	if err != nil {
		return l, false, fmt.Errorf("store: RenewLease(%s): %w", l.Name, err)
	}
	n, err := res.RowsAffected()
	if err != nil || n != 1 {
		return l, false, wrapErr("store: RenewLease", err)
	}
	l.ExpiresAt = tx.now.Add(ttl)
	return l, true, nil
}

// ReleaseLease gives a lease up at once, if its holder still has it, so
// another node need not wait for it to expire. The token stays, so the
// next holder's is higher.
func (tx *Tx) ReleaseLease(l Lease) error {
	_, err := tx.exec(`UPDATE leases SET holder = '', expires_at = 0, updated_at = $4
		WHERE name = $1 AND holder = $2 AND token = $3`, l.Name, l.Holder, l.Token, ts(tx.now))
	return wrapErr("store: ReleaseLease", err)
}

// HoldsLease reports whether l is still held, unexpired, by its holder
// with its token. Called inside a write, it fences that write: on
// PostgreSQL the row is locked until the commit, so no other node can
// take the lease between this check and the commit.
func (tx *Tx) HoldsLease(l Lease) (bool, error) {
	var n int
	err := tx.queryRow(`SELECT COUNT(*) FROM (SELECT name FROM leases
		WHERE name = $1 AND holder = $2 AND token = $3 AND expires_at > $4`+tx.db.dialect.forUpdate+`) AS held`,
		l.Name, l.Holder, l.Token, ts(tx.now)).Scan(&n)
	return n == 1, wrapErr("store: HoldsLease", err)
}

// ClearLeases releases every lease, and every job claim. Only for SQLite,
// where one process owns the database: the leases and claims a crashed
// process left behind are its own, and the restarted process need not
// wait for them to expire.
func (tx *Tx) ClearLeases() error {
	if tx.db.dialect.name != "sqlite" {
		return fmt.Errorf("store: ClearLeases: only on SQLite, where one process owns the database")
	}
	if _, err := tx.exec("UPDATE leases SET holder = '', expires_at = 0, updated_at = $1 WHERE holder <> ''", ts(tx.now)); err != nil {
		return wrapErr("store: ClearLeases", err)
	}
	// Jobs the crashed process was running are due again now, not when
	// their five-minute claim runs out: a workflow's step resumes as soon
	// as Parley is back. Their attempt was counted when claimed.
	_, err := tx.exec("UPDATE jobs SET status = 'pending', locked_by = '', locked_until = NULL, run_at = $1, updated_at = $1 WHERE status = 'running'", ts(tx.now))
	return wrapErr("store: ClearLeases", err)
}

// Lease returns the named lease as stored. Returns ENOTFOUND if no node
// ever took it.
func (db *DB) Lease(ctx context.Context, name string) (Lease, error) {
	l := Lease{Name: name}
	var exp int64
	err := db.read.QueryRowContext(ctx, "SELECT holder, token, expires_at FROM leases WHERE name = $1", name).Scan(&l.Holder, &l.Token, &exp)
	l.ExpiresAt = fromTS(exp)
	return l, notFound(err, "lease", name)
}

// IsSQLite reports whether the database is SQLite (one process).
func (db *DB) IsSQLite() bool { return db.dialect.name == "sqlite" }

// ErrCursorMoved is returned by MoveEventCursor when the cursor is no
// longer where the caller read it: another process handled the same
// events first, or the cursor was sent back (ResetEventCursor). The
// caller's transaction must roll back and start over from the new cursor.
var ErrCursorMoved = errors.New("store: event cursor moved")

// EventCursor returns the seq up to which the named consumer has handled
// the event log (0 when it never ran), and when it last moved.
func (db *DB) EventCursor(ctx context.Context, name string) (seq int64, at time.Time, err error) {
	var us int64
	err = db.queryRowRead(ctx, "SELECT seq, updated_at FROM event_cursors WHERE name = $1", name).Scan(&seq, &us)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	return seq, fromTS(us), wrapErr("store: EventCursor", err)
}

// MoveEventCursor moves the named cursor from one seq to another, in tx,
// only if it is still at from (a compare and swap). Returns ErrCursorMoved
// otherwise. A cursor never stored counts as being at 0.
func (tx *Tx) MoveEventCursor(name string, from, to int64) error {
	res, err := tx.exec(`INSERT INTO event_cursors (name, seq, updated_at) VALUES ($1, $3, $4)
		ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at
		WHERE event_cursors.seq = $2`, name, from, to, ts(tx.now))
	if err != nil {
		return fmt.Errorf("store: MoveEventCursor(%s): %w", name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: MoveEventCursor(%s): %w", name, err)
	} else if n != 1 {
		return ErrCursorMoved
	}
	return nil
}

// SetEventCursor puts the named cursor at seq, wherever it was: back to 0
// to handle the whole log again (ReprojectReports), or, for a consumer
// that starts at the end, to where the log is now.
func (tx *Tx) SetEventCursor(name string, seq int64) error {
	_, err := tx.exec(`INSERT INTO event_cursors (name, seq, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at`, name, seq, ts(tx.now))
	return wrapErr("store: SetEventCursor", err)
}

// EventTypes lists the distinct kinds in the event log, for audits and
// tests that hold the log to the catalogue (parley.EventKinds). It reads
// the whole log: not for request paths.
func (db *DB) EventTypes(ctx context.Context) (_ []string, err error) {
	defer wrap(&err, "store: EventTypes")
	rows, err := db.read.QueryContext(ctx, "SELECT DISTINCT type FROM events ORDER BY type")
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (s string, err error) { return s, r.Scan(&s) })
}
