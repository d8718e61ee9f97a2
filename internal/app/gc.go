package app

import (
	"log/slog"
	"runtime/debug"
)

// gcPercent is how far the Go heap grows past what is live before the
// next collection, when GOGC does not say. At Go's default (100) the
// collector took a third of Parley's CPU under ingest (a received message
// allocates ~27 KB, nearly all of it garbage by the reply); at 400 it
// collects a quarter as often, and ingest on PostgreSQL ran ~10% faster
// on the 2-core machine of docs/PERFORMANCE.md. Parley's live heap is
// small (a few KiB per open stream, caches with bounds), so the headroom
// costs tens of megabytes, and the memory limit below caps it.
const gcPercent = 400

// tuneGC sets the collector for a serving process, unless GOGC or
// GOMEMLIMIT set it already: a heap allowed to grow to gcPercent past
// the live one, under a soft limit of half the memory the process may
// use (its cgroup's limit, or the machine's), at which the collector
// works harder instead of letting the heap grow on.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		if total := memoryAvailable(); total > 0 {
			debug.SetMemoryLimit(total / 2)
			slog.Debug("gc: soft memory limit", "bytes", total/2)
		}
	}
}
