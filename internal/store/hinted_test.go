package store

import (
	"strings"
	"testing"
)

// TestHintedFirst: a batch's received messages move ahead of its other
// callers, each group keeping the order it came in, so messages from one
// person are stored in the order they arrived.
func TestHintedFirst(t *testing.T) {
	var got []string
	name := func(s string) func(*Tx) error {
		return func(*Tx) error { got = append(got, s); return nil }
	}
	h := &ReceiveHint{}
	batch := []writeReq{
		{fn: name("u1")}, {fn: name("h1"), hint: h}, {fn: name("u2")},
		{fn: name("h2"), hint: h}, {fn: name("h3"), hint: h}, {fn: name("u3")},
	}
	hintedFirst(batch)
	for _, r := range batch {
		r.fn(nil)
	}
	want := "h1 h2 h3 u1 u2 u3"
	if s := strings.Join(got, " "); s != want {
		t.Fatalf("order %q, want %q", s, want)
	}
}
