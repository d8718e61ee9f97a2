// Package sqlitepcache removes a walk of SQLite's whole page cache at the
// end of commits (see Install). It is process-wide: SQLite takes its page
// cache from a global setting, fixed by the first connection.
package sqlitepcache

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"modernc.org/libc"
	"modernc.org/libc/sys/types"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLite's page cache (pcache1) keeps the highest page number it has held
// (iMaxKey), so that dropping the pages past the end of the database, which
// the pager does at the end of every transaction, can look at only the
// hash slots above the database's size. When B-tree balancing renumbers
// the pages it split, it parks one page for a moment at a number no
// database under 1 GiB reaches: the page holding the file's lock bytes,
// 262,145 with 4 KiB pages. The page moves on at once, but iMaxKey keeps
// that number, so the commit ends by walking every page in the cache
// (pcache1TruncateUnsafe) to drop pages that are not there. The writer's
// cache holds up to 32,768 pages, and its commits split index pages all
// the time: under sustained ingest the walk took 11% of the writer
// (docs/PERFORMANCE.md, "the page cache's walk").
//
// Install puts a wrapper around pcache1's rekey that gives iMaxKey
// back its value when a page is parked at that number. Nothing else about
// the cache changes. It must run before the process's first SQLite
// connection (sqlite3_config refuses afterwards); if it is too late, or
// the library's cache is not the stock one, SQLite runs as it always has.
// It reports whether the wrapper is in place.
func Install() bool {
	once.Do(func() {
		tls := libc.NewTLS()
		defer tls.Close()
		va := libc.Xmalloc(tls, types.Size_t(unsafe.Sizeof(uintptr(0))))
		if va == 0 {
			return
		}
		defer libc.Xfree(tls, va)
		// The method table must outlive every connection: it is never freed.
		methods := libc.Xcalloc(tls, 1, types.Size_t(unsafe.Sizeof(sqlite3.Tsqlite3_pcache_methods2{})))
		if methods == 0 {
			return
		}
		if sqlite3.Xsqlite3_config(tls, sqlite3.SQLITE_CONFIG_GETPCACHE2, libc.VaList(va, methods)) != sqlite3.SQLITE_OK {
			libc.Xfree(tls, methods)
			return
		}
		m := (*sqlite3.Tsqlite3_pcache_methods2)(ptr(methods))
		// A cache some other code installed is not pcache1: leave it be.
		if m.FiVersion != 1 || m.FpArg != 0 || m.FxRekey == 0 {
			libc.Xfree(tls, methods)
			return
		}
		pcacheRekey = *(*func(*libc.TLS, uintptr, uintptr, uint32, uint32))(unsafe.Pointer(&m.FxRekey))
		m.FxRekey = *(*uintptr)(unsafe.Pointer(&struct {
			f func(*libc.TLS, uintptr, uintptr, uint32, uint32)
		}{rekeyKeepingMax}))
		if sqlite3.Xsqlite3_config(tls, sqlite3.SQLITE_CONFIG_PCACHE2, libc.VaList(va, methods)) != sqlite3.SQLITE_OK {
			libc.Xfree(tls, methods)
			return
		}
		installed = true
	})
	return installed
}

var (
	once      sync.Once
	installed bool // written once, under once
	// pcacheRekey is pcache1's own xRekey.
	pcacheRekey func(*libc.TLS, uintptr, uintptr, uint32, uint32)
	parked      atomic.Int64
	off         atomic.Bool
)

// Parked counts the moves to the lock-byte page whose highest key the
// wrapper gave back.
func Parked() int64 { return parked.Load() }

// SetCorrection turns the wrapper's correction on or off (off: pcache1 as
// it ships), for the benchmark that measures it; it returns the function
// that restores the setting.
func SetCorrection(on bool) func() {
	old := off.Swap(!on)
	return func() { off.Store(old) }
}

// lockBytePage is the number of the page that holds SQLite's lock bytes
// (PENDING_BYTE, 1 GiB into the file) at this page size.
func lockBytePage(pageSize int32) uint32 { return uint32(0x40000000/pageSize) + 1 }

// rekeyKeepingMax is xRekey for pcache1 (C calling convention, through
// libc's TLS): p is a PCache1, page one of its pages.
func rekeyKeepingMax(tls *libc.TLS, p, page uintptr, oldKey, newKey uint32) {
	c := (*sqlite3.TPCache1)(ptr(p))
	before := c.FiMaxKey
	pcacheRekey(tls, p, page, oldKey, newKey)
	// balance_nonroot moves the page on to its real number in the next
	// call but one, with no truncation between: nothing can be lost by
	// not counting the parked page in iMaxKey.
	if newKey > before && c.FszPage > 0 && newKey == lockBytePage(c.FszPage) && !off.Load() {
		c.FiMaxKey = before
		parked.Add(1)
	}
}

// ptr turns an address SQLite handed over into a pointer (the C heap is
// not Go's: the collector never moves it).
func ptr(addr uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&addr)) }
