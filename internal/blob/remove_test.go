package blob

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

func TestRemove(t *testing.T) {
	fs, err := NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	info, err := fs.Put(strings.NewReader("hello"), 100)
	if err != nil {
		t.Fatal(err)
	}
	// Written now: a cutoff an hour ago means it was put again since the
	// caller looked, so it stays.
	if err := fs.Remove(info.SHA256, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Open(info.SHA256); err != nil {
		t.Fatalf("a fresh blob was removed: %v", err)
	}
	if err := fs.Remove(info.SHA256, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Open(info.SHA256); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Fatalf("old blob still there: %v", err)
	}
	if err := fs.Remove(info.SHA256, time.Now()); err != nil {
		t.Fatalf("removing a missing blob: %v", err)
	}
	if err := fs.Remove("../../etc/passwd", time.Now()); err == nil {
		t.Fatal("a path was accepted as a hash")
	}
	left, _ := os.ReadDir(fs.Dir)
	for _, e := range left {
		if strings.HasPrefix(e.Name(), "remove-") {
			t.Fatalf("left behind %s", e.Name())
		}
	}
}
