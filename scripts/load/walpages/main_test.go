package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// TestWALPages writes five transactions into a table and its index with
// checkpoints off, and reads them back from the log: five commits, every
// frame on a page of the database, the index's pages named.
func TestWALPages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=wal_autocheckpoint(0)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
	exec("CREATE INDEX notes_body ON notes (body)")
	exec("PRAGMA wal_checkpoint(TRUNCATE)") // the log holds only what follows
	for i := range 5 {
		exec("INSERT INTO notes (body) VALUES (?)", strings.Repeat("x", 100)+string(rune('a'+i)))
	}
	f, err := os.Open(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := readWAL(f)
	if err != nil {
		t.Fatal(err)
	}
	if w.commits != 5 || len(w.pages) < 5 {
		t.Fatalf("%d commits in %d frames; want 5 commits", w.commits, len(w.pages))
	}
	names, err := pageNames(path)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, p := range w.pages {
		found[names[p]] = true
	}
	if !found["notes"] || !found["notes_body"] {
		t.Errorf("objects in the log: %v; want notes and notes_body", found)
	}
	var out strings.Builder
	report(&out, w, names)
	if !strings.Contains(out.String(), "5 commits") || !strings.Contains(out.String(), "notes_body") {
		t.Errorf("report:\n%s", out.String())
	}
	db.Close()

	if _, err := readWAL(strings.NewReader(strings.Repeat("z", 64))); err == nil {
		t.Error("a file that is not a WAL was read as one")
	}
}
