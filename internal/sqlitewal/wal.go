// Package sqlitewal makes SQLite write a commit's WAL frames in a few
// large writes instead of two per page (see Install). It is process-wide: it
// registers the default VFS, which every later connection uses.
package sqlitewal

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"unsafe"

	"modernc.org/libc"
	"modernc.org/libc/sys/types"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLite writes each frame of the write-ahead log with two calls to the
// file's xWrite: the frame's 24-byte header, then the page. Parley's
// writer commits ~170 pages at a time under load, so a commit is ~350
// pwrite calls; each costs a system call and the kernel's per-call work
// (the inode lock, the dirty-page accounting), 2–6 µs a frame on this
// kind of machine, ~11% of the single writer's time (docs/PERFORMANCE.md,
// "one write a commit").
//
// Install registers a default VFS that is the stock unix VFS with one
// difference for WAL files: a write that continues where the previous one
// ended is appended to a buffer instead, and the buffer is written, in
// calls of up to 124 KiB (maxWrite), when the page of a commit frame (a
// frame header whose database size is not zero) has been appended. That is the last thing SQLite writes
// before it publishes the commit in the WAL index, so every committed frame
// is in the file, where readers and a crash recovery look for it, before
// any reader can learn of it. Flushing from that xWrite, not later, also
// hands SQLite the write's error (a full disk) at the place it expects one.
//
// Everything else goes straight to the file after the buffer: a write
// anywhere but the buffer's end (the log's header after a restart, a page
// rewritten in place, the checksum rewrites), and every read, sync,
// truncate, size, file control and close flush it first. A commit is
// therefore never left in the buffer, and SQLite sees the same file it
// would have seen, only written in larger pieces.
//
// Install must run after sqlitepcache.Install (sqlite3_config works only
// before SQLite initializes, which registering a VFS does) and before the
// process's first connection; it reports whether the VFS is in place.
func Install() bool {
	once.Do(install)
	return installed
}

const (
	frameHeader = 24
	// maxBuffer bounds the buffer: a transaction larger than this (a bulk
	// load spilling its cache) is written in pieces of this size.
	maxBuffer = 8 << 20
	firstSize = 1 << 20
	// maxWrite is the most the unix VFS writes in one call: it masks a
	// write's length with 0x1ffff (it never expects more than a 64 KiB
	// page), so a longer one would be cut short and reported as a full
	// disk.
	maxWrite = 31 << 12
)

var (
	once      sync.Once
	installed bool // written once, under once

	unixVFS  uintptr // the stock VFS
	unixOpen func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32
	// stateAt is where this package's state begins in each file object:
	// after the unix VFS's own.
	stateAt uintptr

	tablesMu sync.Mutex
	tables   = map[uintptr]uintptr{} // a file's own io methods → the wrapped copy

	off atomic.Bool

	flushes   atomic.Int64
	coalesced atomic.Int64
)

// Stats counts, since the process began, the buffered writes' flushes and
// the writes that went into a buffer instead of a system call of their own.
func Stats() (flushesSoFar, coalescedSoFar int64) { return flushes.Load(), coalesced.Load() }

// SetCoalescing turns the buffering on or off (off: every write goes to
// the file at once, as the stock VFS does) for the benchmark that measures
// it; it returns the function that restores the setting.
func SetCoalescing(on bool) func() {
	old := off.Swap(!on)
	return func() { off.Store(old) }
}

func install() {
	tls := libc.NewTLS()
	defer tls.Close()
	stock := sqlite3.Xsqlite3_vfs_find(tls, 0)
	if stock == 0 {
		return
	}
	sv := (*sqlite3.Tsqlite3_vfs)(ptr(stock))
	if libc.GoString(sv.FzName) != "unix" || sv.FxOpen == 0 {
		return // not the VFS this was written against
	}
	// The VFS and its name must outlive every connection: never freed.
	v := libc.Xcalloc(tls, 1, types.Size_t(unsafe.Sizeof(sqlite3.Tsqlite3_vfs{})))
	name, err := libc.CString("parley-unix")
	if v == 0 || err != nil {
		return
	}
	nv := (*sqlite3.Tsqlite3_vfs)(ptr(v))
	*nv = *sv
	nv.FpNext = 0
	nv.FzName = name
	stateAt = (uintptr(sv.FszOsFile) + 7) &^ 7
	nv.FszOsFile = int32(stateAt + unsafe.Sizeof(fileState{}))
	unixVFS = stock
	unixOpen = *(*func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32)(unsafe.Pointer(&sv.FxOpen))
	nv.FxOpen = fnptr(openFile)
	installed = sqlite3.Xsqlite3_vfs_register(tls, v, 1) == sqlite3.SQLITE_OK
}

// fileState is this package's part of a file object (C memory, after the
// unix VFS's unixFile). SQLite uses a file object from one connection at a
// time, so it needs no lock.
type fileState struct {
	own          uintptr // the file's own io methods
	buf          uintptr // C memory, or 0
	size         int64   // bytes allocated at buf
	n            int64   // bytes buffered
	start        int64   // the file offset of buf's first byte
	end          int64   // where the last write ended; -1 when unknown
	commitHeader int32   // the last write was a commit frame's header
}

func state(file uintptr) *fileState { return (*fileState)(ptr(file + stateAt)) }

// openFile is the VFS's xOpen: the stock open, then WAL files get the
// wrapped methods.
func openFile(tls *libc.TLS, vfs, name, file uintptr, flags int32, outFlags uintptr) int32 {
	*state(file) = fileState{end: -1}
	rc := unixOpen(tls, unixVFS, name, file, flags, outFlags)
	f := (*sqlite3.Tsqlite3_file)(ptr(file))
	if rc != sqlite3.SQLITE_OK || f.FpMethods == 0 || flags&sqlite3.SQLITE_OPEN_WAL == 0 {
		return rc
	}
	wrapped := wrappedTable(tls, f.FpMethods)
	if wrapped == 0 {
		return rc
	}
	state(file).own = f.FpMethods
	f.FpMethods = wrapped
	return rc
}

// wrappedTable returns the copy of an io methods table with this package's
// methods in it, making it the first time (never freed).
func wrappedTable(tls *libc.TLS, own uintptr) uintptr {
	tablesMu.Lock()
	defer tablesMu.Unlock()
	if t, ok := tables[own]; ok {
		return t
	}
	t := libc.Xcalloc(tls, 1, types.Size_t(unsafe.Sizeof(sqlite3.Tsqlite3_io_methods{})))
	if t == 0 {
		return 0
	}
	m := (*sqlite3.Tsqlite3_io_methods)(ptr(t))
	*m = *(*sqlite3.Tsqlite3_io_methods)(ptr(own))
	m.FxClose = fnptr(closeFile)
	m.FxRead = fnptr(readFile)
	m.FxWrite = fnptr(writeFile)
	m.FxTruncate = fnptr(truncateFile)
	m.FxSync = fnptr(syncFile)
	m.FxFileSize = fnptr(fileSize)
	m.FxFileControl = fnptr(fileControl)
	tables[own] = t
	return t
}

func methods(file uintptr) *sqlite3.Tsqlite3_io_methods {
	return (*sqlite3.Tsqlite3_io_methods)(ptr(state(file).own))
}

func ownWrite(tls *libc.TLS, file, p uintptr, n int32, at int64) int32 {
	f := methods(file).FxWrite
	return (*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&f)))(tls, file, p, n, at)
}

// flush writes the buffer to the file with one call.
func flush(tls *libc.TLS, file uintptr) int32 {
	s := state(file)
	if s.n == 0 {
		return sqlite3.SQLITE_OK
	}
	n, at := s.n, s.start
	s.n = 0
	flushes.Add(1)
	for done := int64(0); done < n; done += maxWrite {
		if rc := ownWrite(tls, file, s.buf+uintptr(done), int32(min(maxWrite, n-done)), at+done); rc != sqlite3.SQLITE_OK {
			return rc
		}
	}
	return sqlite3.SQLITE_OK
}

// writeFile is xWrite for WAL files.
func writeFile(tls *libc.TLS, file, p uintptr, n int32, at int64) int32 {
	s := state(file)
	commitPage := s.commitHeader != 0
	s.commitHeader = 0
	if n == frameHeader && binary.BigEndian.Uint32(unsafe.Slice((*byte)(ptr(p)), frameHeader)[4:8]) != 0 {
		s.commitHeader = 1 // a commit frame's header: its page comes next
	}
	appends := at == s.end && !off.Load() && int64(n) <= maxBuffer
	s.end = at + int64(n)
	if !appends {
		if rc := flush(tls, file); rc != sqlite3.SQLITE_OK {
			return rc
		}
		return ownWrite(tls, file, p, n, at)
	}
	if s.n > 0 && s.n+int64(n) > maxBuffer {
		if rc := flush(tls, file); rc != sqlite3.SQLITE_OK {
			return rc
		}
	}
	if s.n == 0 {
		s.start = at
	}
	if !grow(tls, s, s.n+int64(n)) {
		// No memory for the buffer: write as the stock VFS would.
		if rc := flush(tls, file); rc != sqlite3.SQLITE_OK {
			return rc
		}
		return ownWrite(tls, file, p, n, at)
	}
	copy(unsafe.Slice((*byte)(ptr(s.buf+uintptr(s.n))), n), unsafe.Slice((*byte)(ptr(p)), n))
	s.n += int64(n)
	coalesced.Add(1)
	if commitPage {
		return flush(tls, file)
	}
	return sqlite3.SQLITE_OK
}

// grow makes room for want bytes at s.buf.
func grow(tls *libc.TLS, s *fileState, want int64) bool {
	if want <= s.size {
		return true
	}
	size := max(s.size, firstSize)
	for size < want {
		size *= 2
	}
	b := libc.Xrealloc(tls, s.buf, types.Size_t(size))
	if b == 0 {
		return false
	}
	s.buf, s.size = b, size
	return true
}

func readFile(tls *libc.TLS, file, p uintptr, n int32, at int64) int32 {
	if rc := flush(tls, file); rc != sqlite3.SQLITE_OK {
		return rc
	}
	f := methods(file).FxRead
	return (*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&f)))(tls, file, p, n, at)
}

func truncateFile(tls *libc.TLS, file uintptr, size int64) int32 {
	if rc := flush(tls, file); rc != sqlite3.SQLITE_OK {
		return rc
	}
	state(file).end = -1
	f := methods(file).FxTruncate
	return (*(*func(*libc.TLS, uintptr, int64) int32)(unsafe.Pointer(&f)))(tls, file, size)
}

func syncFile(tls *libc.TLS, file uintptr, flags int32) int32 {
	if rc := flush(tls, file); rc != sqlite3.SQLITE_OK {
		return rc
	}
	f := methods(file).FxSync
	return (*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&f)))(tls, file, flags)
}

func fileSize(tls *libc.TLS, file, size uintptr) int32 {
	if rc := flush(tls, file); rc != sqlite3.SQLITE_OK {
		return rc
	}
	f := methods(file).FxFileSize
	return (*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&f)))(tls, file, size)
}

func fileControl(tls *libc.TLS, file uintptr, op int32, arg uintptr) int32 {
	if rc := flush(tls, file); rc != sqlite3.SQLITE_OK {
		return rc
	}
	f := methods(file).FxFileControl
	return (*(*func(*libc.TLS, uintptr, int32, uintptr) int32)(unsafe.Pointer(&f)))(tls, file, op, arg)
}

// closeFile flushes, frees the buffer and closes with the file's own
// method, which must run whatever the flush returned.
func closeFile(tls *libc.TLS, file uintptr) int32 {
	rc := flush(tls, file)
	s := state(file)
	if s.buf != 0 {
		libc.Xfree(tls, s.buf)
		s.buf, s.size = 0, 0
	}
	f := methods(file).FxClose
	if crc := (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&f)))(tls, file); rc == sqlite3.SQLITE_OK {
		rc = crc
	}
	return rc
}

// fnptr turns a Go function into the pointer SQLite calls through
// (modernc's convention: the address of the func value).
func fnptr[F any](f F) uintptr {
	return *(*uintptr)(unsafe.Pointer(&struct{ f F }{f}))
}

// ptr turns an address SQLite handed over into a pointer (the C heap is
// not Go's: the collector never moves it).
func ptr(addr uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&addr)) }
