package store

import (
	"slices"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

func evsAt(seqs ...int64) []parley.Event {
	out := make([]parley.Event, len(seqs))
	for i, s := range seqs {
		out[i] = parley.Event{Seq: s, Type: "test"}
	}
	return out
}

func seqsOf(evs []parley.Event) []int64 {
	var out []int64
	for _, e := range evs {
		out = append(out, e.Seq)
	}
	return out
}

// TestRecentEventsWindow: the window answers only what it knows whole,
// joins reads that touch or overlap, starts over on a read elsewhere, and
// keeps its newest events when it grows past its bound.
func TestRecentEventsWindow(t *testing.T) {
	var r recentEvents
	if _, _, ok := r.take(0, 10); ok {
		t.Fatal("an empty window answered")
	}
	r.add(10, evsAt(11, 12, 14), 0, false) // 13 never committed: a gap the read settled
	evs, upTo, ok := r.take(10, 10)
	if !ok || !slices.Equal(seqsOf(evs), []int64{11, 12, 14}) || upTo != 14 {
		t.Fatalf("take(10) = %v up to %d (%v)", seqsOf(evs), upTo, ok)
	}
	if evs, upTo, ok = r.take(11, 1); !ok || !slices.Equal(seqsOf(evs), []int64{12}) || upTo != 12 {
		t.Fatalf("take(11, 1) = %v up to %d (%v)", seqsOf(evs), upTo, ok)
	}
	if evs, upTo, ok = r.take(12, 5); !ok || !slices.Equal(seqsOf(evs), []int64{14}) || upTo != 14 {
		t.Fatalf("take(12, 5) = %v up to %d (%v)", seqsOf(evs), upTo, ok)
	}
	for _, after := range []int64{9, 14, 20} {
		if _, _, ok := r.take(after, 5); ok {
			t.Errorf("take(%d) answered outside (10, 14]", after)
		}
	}
	evs[0].Type = "changed by a caller"
	if again, _, _ := r.take(12, 5); again[0].Type != "test" {
		t.Error("a caller's change reached the window")
	}

	r.add(14, evsAt(15, 16), 0, false)     // touches: joins
	r.add(12, evsAt(14, 15, 17), 0, false) // overlaps: only 17 is new
	if evs, upTo, ok = r.take(10, 100); !ok || !slices.Equal(seqsOf(evs), []int64{11, 12, 14, 15, 16, 17}) || upTo != 17 {
		t.Fatalf("after joining, take(10) = %v up to %d (%v)", seqsOf(evs), upTo, ok)
	}
	r.add(12, evsAt(14), 0, false)  // nothing new
	r.add(30, nil, 0, false)        // an empty read claims nothing
	r.add(2, evsAt(3, 4), 0, false) // a consumer catching up, behind the window
	if r.lo != 10 || r.hi != 17 {
		t.Fatalf("window (%d, %d], want (10, 17]", r.lo, r.hi)
	}

	// A reader at the end that came before read 1 began is answered from
	// the window once read 1 reached the log's end; one that came after
	// it began is not.
	atEnd, seen := r.arrive(17)
	if !atEnd || seen != 0 {
		t.Fatalf("arrive(17) = %v, %d", atEnd, seen)
	}
	if _, ok := r.answered(17, 10, seen); ok {
		t.Fatal("answered before any read reached the end")
	}
	n := r.begin()
	_, later := r.arrive(17)
	r.add(17, evsAt(18), n, true)
	if evs, ok := r.answered(17, 10, seen); !ok || !slices.Equal(seqsOf(evs), []int64{18}) {
		t.Fatalf("answered(17) = %v (%v)", seqsOf(evs), ok)
	}
	if evs, ok := r.answered(18, 10, seen); !ok || len(evs) != 0 {
		t.Fatalf("answered(18) = %v (%v), want nothing new", seqsOf(evs), ok)
	}
	if _, ok := r.answered(18, 10, later); ok {
		t.Error("a reader that came after the read began was answered by it")
	}
	m := r.begin()
	r.add(18, evsAt(19, 20), m, false) // stopped at its limit: not the end
	if _, ok := r.answered(20, 10, later); ok {
		t.Error("a read that stopped at its limit answered for the log's end")
	}

	r.add(40, evsAt(41, 42), 0, false) // elsewhere: a new window
	if _, _, ok := r.take(12, 5); ok {
		t.Error("the old window still answered")
	}
	if evs, _, ok = r.take(40, 5); !ok || len(evs) != 2 {
		t.Fatalf("take(40) = %v (%v)", seqsOf(evs), ok)
	}
	if _, ok := r.answered(42, 10, seen); ok {
		t.Error("the new window answered for the end read into the old one")
	}

	big := make([]int64, recentMax+10)
	for i := range big {
		big[i] = 43 + int64(i)
	}
	r.add(42, evsAt(big...), 0, false)
	if len(r.evs) > recentMax || r.hi != big[len(big)-1] || r.evs[0].Seq != r.lo+1 {
		t.Fatalf("after growing past the bound: %d events, window (%d, %d]", len(r.evs), r.lo, r.hi)
	}
	if _, _, ok := r.take(41, 1); ok {
		t.Error("events dropped from the window were answered")
	}
	if evs, _, ok = r.take(r.lo, 1); !ok || evs[0].Seq != r.lo+1 {
		t.Errorf("take at the window's new start = %v (%v)", seqsOf(evs), ok)
	}
}
