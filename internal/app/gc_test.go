package app

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

// TestTuneGC: a serving process collects at gcPercent under a soft limit
// of half its memory, unless GOGC or GOMEMLIMIT say otherwise.
func TestTuneGC(t *testing.T) {
	prevPercent := debug.SetGCPercent(100)
	prevLimit := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetGCPercent(prevPercent); debug.SetMemoryLimit(prevLimit) })

	total := memoryAvailable()
	if runtime.GOOS == "linux" && total <= 0 {
		t.Fatalf("memory available on Linux = %d", total)
	}
	tuneGC(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Errorf("GOGC unset: collecting at %d%%, want %d%%", got, gcPercent)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); total > 0 && got != total/2 {
		t.Errorf("GOMEMLIMIT unset: soft limit %d, want half of %d", got, total)
	}

	tuneGC(func(k string) string { return map[string]string{"GOGC": "150", "GOMEMLIMIT": "1GiB"}[k] })
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC set: the percent was changed to %d", got)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != math.MaxInt64 {
		t.Errorf("GOMEMLIMIT set: the limit was changed to %d", got)
	}
}
