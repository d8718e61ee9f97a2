package store

import (
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

// FuzzCursor: a list cursor comes back from clients, so anything may
// arrive. decodeCursor never panics, refuses with EINVALID, and what it
// accepts encodes to a cursor that decodes to the same position; every
// cursor the server issues decodes to the position it was made from.
func FuzzCursor(f *testing.F) {
	for _, s := range []string{"", encodeCursor(1764800000000000, 42), "MTox", "not base64!", "OjE", "LTE6LTE", "OTk5OTk5OTk5OTk5OTk5OTk5OTk6MQ"} {
		f.Add(s, int64(0), int64(0))
	}
	f.Add("", int64(-1), int64(1<<62))
	f.Fuzz(func(t *testing.T, s string, at, id int64) {
		if a, i, err := decodeCursor(encodeCursor(at, id)); err != nil || a != at || i != id {
			t.Fatalf("encodeCursor(%d, %d) decodes to %d, %d, %v", at, id, a, i, err)
		}
		a, i, err := decodeCursor(s)
		if err != nil {
			if parley.ErrorCode(err) != parley.EINVALID {
				t.Fatalf("decodeCursor(%q) = %v, want EINVALID", s, err)
			}
			return
		}
		if a2, i2, err := decodeCursor(encodeCursor(a, i)); err != nil || a2 != a || i2 != i {
			t.Fatalf("decodeCursor(%q) = %d, %d, which does not survive re-encoding", s, a, i)
		}
	})
}
