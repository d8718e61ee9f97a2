package work_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/work"
)

// appendEvents logs n events and returns their seqs.
func appendEvents(t *testing.T, db *store.DB, n int) (seqs []int64) {
	t.Helper()
	var evs []*parley.Event
	if err := db.Write(bg, func(tx *store.Tx) error {
		evs = evs[:0]
		for range n {
			ev := &parley.Event{Type: parley.EventAgentAvailability}
			if err := tx.AppendEvent(ev, map[string]string{"from": "away", "to": "online", "reason": "test"}); err != nil {
				return err
			}
			evs = append(evs, ev)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		seqs = append(seqs, ev.Seq)
	}
	return seqs
}

// recorder is a consumer's handler that records, in the database and in
// memory, the events whose handling committed.
type recorder struct {
	mu       sync.Mutex
	handled  []int64 // handed to Handle, committed or not
	commits  []int64 // committed
	failNext bool
}

func (r *recorder) consumer(db *store.DB) *work.Consumer {
	return &work.Consumer{Name: "test", DB: db, Batch: 7, Handle: func(ctx context.Context, evs []parley.Event) (work.Commit, error) {
		// Only the test's own kind: the handler's setting write below
		// appends a config.changed event of its own, which a handler that
		// took it as work would answer with another, for ever.
		var seqs []int64
		for _, e := range evs {
			if e.Type == parley.EventAgentAvailability {
				seqs = append(seqs, e.Seq)
			}
		}
		if len(seqs) == 0 {
			return func(*store.Tx) error { return nil }, nil
		}
		r.mu.Lock()
		r.handled = append(r.handled, seqs...)
		fail := r.failNext
		r.failNext = false
		r.mu.Unlock()
		return func(tx *store.Tx) error {
			if fail {
				return errors.New("handler's write failed")
			}
			// A real write beside the cursor: committed with it or not at all.
			if err := tx.SetSetting("test.last_handled", seqs[len(seqs)-1]); err != nil {
				return err
			}
			tx.AfterCommit(func() {
				r.mu.Lock()
				r.commits = append(r.commits, seqs...)
				r.mu.Unlock()
			})
			return nil
		}, nil
	}}
}

// TestConsumerResumes: a consumer restarted resumes from its stored
// cursor, neither handling again what it committed nor skipping anything;
// a batch whose commit failed is handled again.
func TestConsumerResumes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		first := appendEvents(t, db, 10)
		var r recorder
		if err := r.consumer(db).Drain(bg); err != nil {
			t.Fatal(err)
		}
		if !equal(r.commits, first) || !equal(r.handled, first) {
			t.Fatalf("first run committed %v, handled %v; want %v", r.commits, r.handled, first)
		}
		// Restarted: a new consumer of the same name (a new process).
		more := appendEvents(t, db, 5)
		var r2 recorder
		r2.failNext = true
		if err := r2.consumer(db).Drain(bg); err == nil {
			t.Fatal("a failing commit is not reported")
		}
		// (The cursor may stand past the first run's events, on the
		// config.changed events its setting writes appended.)
		if seq, _, _ := db.EventCursor(bg, "test"); seq < first[len(first)-1] || seq >= more[0] {
			t.Fatalf("cursor moved past a batch whose writes failed: %d", seq)
		}
		if err := r2.consumer(db).Drain(bg); err != nil {
			t.Fatal(err)
		}
		if !equal(r2.commits, more) {
			t.Fatalf("after the restart committed %v, want exactly %v", r2.commits, more)
		}
		if !equal(r2.handled, append(append([]int64(nil), more...), more...)) {
			t.Fatalf("handled %v: want the failed batch once more, and nothing from before", r2.handled)
		}
		var last int64
		if _, err := db.Setting(bg, "test.last_handled", &last); err != nil || last != more[len(more)-1] {
			t.Fatalf("the handler's own write: %d, %v", last, err)
		}
		// StartAtEnd: a new consumer skips the past and sees what follows.
		var r3 recorder
		c := r3.consumer(db)
		c.Name, c.StartAtEnd = "fresh", true
		if err := c.Drain(bg); err != nil || len(r3.handled) != 0 {
			t.Fatalf("a consumer starting at the end handled %v, %v", r3.handled, err)
		}
		next := appendEvents(t, db, 3)
		if err := c.Drain(bg); err != nil || !equal(r3.commits, next) {
			t.Fatalf("then committed %v, want %v (%v)", r3.commits, next, err)
		}
	})
}

// TestConsumerTwoNodes: one consumer run by two nodes at once commits each
// event exactly once (the cursor is compared and swapped).
func TestConsumerTwoNodes(t *testing.T) {
	dbs := nodes(t, 2)
	want := appendEvents(t, dbs[0], 300)
	var r recorder
	var wg sync.WaitGroup
	for _, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.consumer(db).Drain(bg); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[int64]int{}
	for _, s := range r.commits {
		seen[s]++
	}
	for _, s := range want {
		if seen[s] != 1 {
			t.Fatalf("event %d committed %d times", s, seen[s])
		}
	}
	if len(r.commits) != len(want) {
		t.Fatalf("%d commits for %d events", len(r.commits), len(want))
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
