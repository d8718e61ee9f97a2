package blob

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// File is what Put writes a blob to before renaming it into place;
// *os.File is one.
type File interface {
	io.Writer
	Sync() error
	Close() error
	Name() string
}

func (f *FS) createTemp(dir, pattern string) (File, error) {
	if f.CreateTemp != nil {
		return f.CreateTemp(dir, pattern)
	}
	return os.CreateTemp(dir, pattern)
}

// IsFull reports whether err is the file system saying it has no room
// (ENOSPC) or that the quota is spent (EDQUOT).
func IsFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// fullState remembers when a Put last ran out of space.
type fullState struct {
	at atomic.Int64 // Unix microseconds
}

// noteFull turns a full disk into ESTORAGEFULL (a 503 with Retry-After,
// never an internal error) and remembers when, for FullAt. Put has
// removed its temporary file by then, so nothing partial is left.
func (f *FS) noteFull(err *error) { f.full.note(err) }

// note is noteFull for any store with a disk of its own (DB spools there).
func (s *fullState) note(err *error) {
	if *err != nil && IsFull(*err) && parley.ErrorCode(*err) != parley.ESTORAGEFULL {
		s.at.Store(time.Now().UnixMicro())
		*err = errors.Join(parley.Errorf(parley.ESTORAGEFULL, "Storage is full: the file was not saved. Try again later."), *err)
	}
}

// FullAt returns when a Put last failed for lack of space; zero if never.
func (f *FS) FullAt() time.Time {
	at := f.full.at.Load()
	if at == 0 {
		return time.Time{}
	}
	return time.UnixMicro(at).UTC()
}

// Free returns the bytes that an unprivileged writer may still use on the
// file system holding the blobs (the data dir, usually with the SQLite
// file beside them).
func (f *FS) Free() (uint64, error) {
	free, err := freeBytes(f.Dir)
	if err != nil {
		return 0, fmt.Errorf("blob: free space: %w", err)
	}
	return free, nil
}
