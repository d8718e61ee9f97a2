package store

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/parleyhq/parley/internal/parley"
)

// sqliteErr stands for modernc's *sqlite.Error, which reports its result
// code through Code().
type sqliteErr int

func (e sqliteErr) Error() string { return fmt.Sprintf("sqlite error %d", int(e)) }
func (e sqliteErr) Code() int     { return int(e) }

// TestIsStorageFull: which failures mean "no room". PostgreSQL's disk_full
// cannot be provoked in a test database, so its error is made here; a
// really full SQLite file is tested through the API (TestStorageFullDatabase).
func TestIsStorageFull(t *testing.T) {
	for _, c := range []struct {
		err  error
		full bool
	}{
		{&pgconn.PgError{Code: "53100", Message: "could not extend file"}, true},
		{fmt.Errorf("store: commit: %w", &pgconn.PgError{Code: "53100"}), true},
		{&pgconn.PgError{Code: "53200"}, false}, // out of memory: not the disk
		{&pgconn.PgError{Code: "23505"}, false},
		{sqliteErr(13), true},
		{sqliteErr(13 | 256), true}, // an extended code of SQLITE_FULL
		{sqliteErr(19), false},      // a constraint
		{&fs.PathError{Op: "write", Path: "/data/x", Err: syscall.ENOSPC}, true},
		{fmt.Errorf("wal: %w", syscall.EDQUOT), true},
		{errors.New("database or disk is full"), true},
		{errors.New("connection refused"), false},
		{nil, false},
	} {
		if got := IsStorageFull(c.err); got != c.full {
			t.Errorf("IsStorageFull(%v) = %v, want %v", c.err, got, c.full)
		}
	}
	// What callers see: the code that answers 503, the cause kept for logs.
	db := &DB{Now: func() time.Time { return time.Unix(100, 0) }}
	cause := fmt.Errorf("store: commit: %w", &pgconn.PgError{Code: "53100"})
	err := db.noteWrite(cause)
	if parley.ErrorCode(err) != parley.ESTORAGEFULL || !errors.Is(err, cause) || !db.StorageFullAt().Equal(time.Unix(100, 0)) {
		t.Errorf("noteWrite = %v (%s), full at %v", err, parley.ErrorCode(err), db.StorageFullAt())
	}
	if other := errors.New("boom"); db.noteWrite(other) != other {
		t.Error("noteWrite changed an unrelated error")
	}
}
