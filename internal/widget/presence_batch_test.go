package widget

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// writes records presence writes, one []int64 per statement-batch.
type writes struct {
	mu    sync.Mutex
	calls [][]int64
	fail  bool
}

func (w *writes) write(_ context.Context, ids []int64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fail {
		return errors.New("database down")
	}
	w.calls = append(w.calls, slices.Clone(ids))
	return nil
}

func (w *writes) await(t *testing.T, n int) [][]int64 {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		w.mu.Lock()
		got := slices.Clone(w.calls)
		w.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d writes, want %d: %v", len(got), n, got)
		}
	}
}

// TestPresenceBatches: presence is written in batches, never a write per
// stream: arrivals close together share one write; each period one write
// names every contact with a stream open (and none that left); a failed
// write is retried with the next; stopping writes the last departures.
func TestPresenceBatches(t *testing.T) {
	p := newPresence()
	w := &writes{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	const period, quick = 300 * time.Millisecond, 100 * time.Millisecond
	go func() { defer close(done); p.run(ctx, period, quick, w.write) }()

	// 1,000 streams open at once (one contact twice): a few writes, not 1,000.
	for i := range 1000 {
		p.add(int64(i))
	}
	p.add(7)
	time.Sleep(2 * quick)
	w.mu.Lock()
	n, total := len(w.calls), 0
	for _, c := range w.calls {
		total += len(c)
	}
	w.mu.Unlock()
	if n == 0 || n > 3 || total < 1000 {
		t.Fatalf("1,000 arrivals: %d writes naming %d contacts", n, total)
	}
	if !p.present(7) || !p.present(999) || p.present(1000) {
		t.Fatal("present() does not follow the open streams")
	}

	// Departures: 7 had two streams, so it stays present after one closes.
	p.remove(7)
	p.remove(999)
	if !p.present(7) || p.present(999) {
		t.Fatal("present() after departures")
	}
	// On a loaded machine the arrivals may have taken one more write
	// after n was read: wait for a write that names the departure.
	var got [][]int64
	for k := n + 1; ; k++ {
		got = w.await(t, k)
		if slices.Contains(got[len(got)-1], 999) {
			break
		}
		if k > n+3 {
			t.Fatalf("the departure was not written: %v", got[n:])
		}
	}

	// The periodic write names every open contact, and not 999.
	before := len(w.await(t, 0))
	got = w.await(t, before+1)
	var all []int64
	for _, c := range got[before:] {
		if len(c) > len(all) {
			all = c
		}
	}
	if len(all) != 999 || slices.Contains(all, 999) || !slices.Contains(all, 7) {
		t.Fatalf("periodic write: %d contacts (999 in it: %v)", len(all), slices.Contains(all, 999))
	}

	// A failed write is not lost.
	w.mu.Lock()
	w.fail = true
	w.mu.Unlock()
	p.remove(5)
	time.Sleep(2 * quick)
	w.mu.Lock()
	w.fail, w.calls = false, nil
	w.mu.Unlock()
	p.remove(6)
	got = w.await(t, 1)
	if !slices.Contains(got[0], 5) || !slices.Contains(got[0], 6) {
		t.Fatalf("after a failed write: %v", got[0])
	}

	// Stopping writes what changed last.
	w.mu.Lock()
	w.calls = nil
	w.mu.Unlock()
	p.remove(4)
	cancel()
	<-done
	w.mu.Lock()
	defer w.mu.Unlock()
	found := false
	for _, c := range w.calls {
		found = found || slices.Contains(c, 4)
	}
	if !found {
		t.Fatal(fmt.Sprint("the last departure was not written at shutdown: ", w.calls))
	}
}
