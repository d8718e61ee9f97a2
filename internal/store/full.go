package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/parleyhq/parley/internal/parley"
)

// A full disk (or database) must not look like a bug: callers get
// ESTORAGEFULL, which answers 503 with Retry-After, so providers and
// browsers send again later instead of losing the write, and /healthz
// says why. Nothing of a refused write is kept: the writer treats the
// error as fatal to the whole transaction and retries each caller alone.

// sqliteFull is SQLite's SQLITE_FULL result code ("database or disk is
// full"); extended codes keep it in their low byte.
const sqliteFull = 13

// IsStorageFull reports whether err says the disk or the database is full:
// SQLite's SQLITE_FULL (a full disk, or the file at its max_page_count),
// PostgreSQL's disk_full (53100), or ENOSPC/EDQUOT from the file system.
// PostgreSQL's out_of_memory (53200) is not: memory comes back by itself,
// and an operator freeing disk space is what this error asks for.
func IsStorageFull(err error) bool {
	if err == nil {
		return false
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "53100"
	}
	var coded interface{ Code() int }
	if errors.As(err, &coded) && coded.Code()&0xff == sqliteFull {
		return true
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return true
	}
	return strings.Contains(err.Error(), "database or disk is full")
}

// errStorageFull is what callers see; the cause goes to the log with it.
func errStorageFull(cause error) error {
	return errors.Join(parley.Errorf(parley.ESTORAGEFULL, "Storage is full: nothing was saved. Try again later."), cause)
}

// fullState remembers when a write last ran out of space, for /healthz.
type fullState struct {
	at atomic.Int64 // Unix microseconds (the database clock) of the latest refusal
}

// noteWrite returns the error a write's caller sees: ESTORAGEFULL
// (wrapping the cause) when space ran out, which it also remembers.
func (db *DB) noteWrite(err error) error {
	if IsStorageFull(err) && parley.ErrorCode(err) == parley.EINTERNAL {
		db.full.at.Store(db.now().UnixMicro())
		return errStorageFull(err)
	}
	return err
}

// StorageFullAt returns when a write was last refused for lack of space,
// by the database clock (Now); zero if never since Parley started.
func (db *DB) StorageFullAt() time.Time {
	at := db.full.at.Load()
	if at == 0 {
		return time.Time{}
	}
	return time.UnixMicro(at).UTC()
}

// LimitPages caps a SQLite database at pages pages (PRAGMA max_page_count,
// never below its current size) and returns the cap now in force; a write
// that needs more fails as on a full disk. It lasts until Parley restarts.
// Operators can use it to keep a database off the last of its disk; tests
// use it to fill a database for real. EINVALID on PostgreSQL.
func (db *DB) LimitPages(ctx context.Context, pages int64) (int64, error) {
	if db.dialect.name != "sqlite" {
		return 0, parley.Errorf(parley.EINVALID, "a page limit applies to SQLite only")
	}
	var max int64
	// The write pool is one connection, the one every write uses.
	if err := db.write.QueryRowContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages)).Scan(&max); err != nil {
		return 0, fmt.Errorf("store: LimitPages: %w", err)
	}
	return max, nil
}

// PageCount returns a SQLite database's size in pages (0 on PostgreSQL).
func (db *DB) PageCount(ctx context.Context) (int64, error) {
	if db.dialect.name != "sqlite" {
		return 0, nil
	}
	var n int64
	if err := db.write.QueryRowContext(ctx, "PRAGMA page_count").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: PageCount: %w", err)
	}
	return n, nil
}
