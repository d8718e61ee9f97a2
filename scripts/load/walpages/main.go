// Command walpages says which tables and indexes a SQLite database's
// write-ahead log holds pages of: how many frames each commit wrote, and
// each object's share of them. It is how docs/PERFORMANCE.md's "WAL pages"
// table was made:
//
//	# a node under load (wrk, 64 clients), killed mid-run so its log stays
//	kill -9 $PID
//	go run ./scripts/load/walpages /tmp/parley-nodes-data/parley.db
//
// It reads the log's frames of its current generation (the salt in the
// log's header; frames left from before a restart carry an older one),
// then maps page numbers to objects with SQLite's dbstat table over a
// read-only connection, which neither recovers nor checkpoints the log.
package main

import (
	"cmp"
	"database/sql"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"

	_ "modernc.org/sqlite"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: walpages PATH/TO/parley.db (its -wal beside it)")
		os.Exit(2)
	}
	db := os.Args[1]
	f, err := os.Open(db + "-wal")
	if err != nil {
		fail(err)
	}
	wal, err := readWAL(f)
	f.Close()
	if err != nil {
		fail(err)
	}
	names, err := pageNames(db)
	if err != nil {
		fail(err)
	}
	report(os.Stdout, wal, names)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "walpages:", err)
	os.Exit(1)
}

// walFrames is what a log holds: the page number of every frame of its
// current generation, in order, and how many of them ended a commit.
type walFrames struct {
	pages   []uint32
	commits int
}

// readWAL reads a SQLite WAL file (https://sqlite.org/fileformat2.html#walformat):
// a 32-byte header, then frames of a 24-byte header and one page.
func readWAL(r io.Reader) (walFrames, error) {
	var w walFrames
	hdr := make([]byte, 32)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return w, fmt.Errorf("read the log's header: %w", err)
	}
	if magic := binary.BigEndian.Uint32(hdr); magic&^1 != 0x377f0682 {
		return w, fmt.Errorf("not a SQLite WAL file (magic %#x)", magic)
	}
	pageSize := int64(binary.BigEndian.Uint32(hdr[8:]))
	salt := hdr[16:24]
	fh := make([]byte, 24)
	for {
		if _, err := io.ReadFull(r, fh); err != nil {
			return w, nil // the end of the file, or a frame cut short
		}
		if string(fh[8:16]) != string(salt) {
			return w, nil // a frame from before the log restarted
		}
		if _, err := io.CopyN(io.Discard, r, pageSize); err != nil {
			return w, nil
		}
		w.pages = append(w.pages, binary.BigEndian.Uint32(fh))
		if binary.BigEndian.Uint32(fh[4:]) != 0 { // the database's size after a commit
			w.commits++
		}
	}
}

// pageNames maps each page of the database to the table or index it
// belongs to.
func pageNames(path string) (map[uint32]string, error) {
	conn, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	rows, err := conn.Query("SELECT name, pageno FROM dbstat")
	if err != nil {
		return nil, fmt.Errorf("read dbstat: %w", err)
	}
	defer rows.Close()
	names := map[uint32]string{}
	for rows.Next() {
		var name string
		var page uint32
		if err := rows.Scan(&name, &page); err != nil {
			return nil, err
		}
		names[page] = name
	}
	return names, rows.Err()
}

func report(out io.Writer, w walFrames, names map[uint32]string) {
	fmt.Fprintf(out, "%d frames, %d commits", len(w.pages), w.commits)
	if w.commits > 0 {
		fmt.Fprintf(out, ", %.1f frames a commit", float64(len(w.pages))/float64(w.commits))
	}
	fmt.Fprintln(out)
	frames, distinct := map[string]int{}, map[string]int{}
	seen := map[uint32]bool{}
	for _, p := range w.pages {
		name, ok := names[p]
		if !ok {
			name = "(page beyond the database, or freed)"
		}
		frames[name]++
		if !seen[p] {
			seen[p] = true
			distinct[name]++
		}
	}
	order := make([]string, 0, len(frames))
	for name := range frames {
		order = append(order, name)
	}
	slices.SortFunc(order, func(a, b string) int { return cmp.Or(cmp.Compare(frames[b], frames[a]), cmp.Compare(a, b)) })
	for _, name := range order {
		fmt.Fprintf(out, "%-45s %8d frames %5.1f%%  %6d distinct pages\n", name, frames[name],
			100*float64(frames[name])/float64(len(w.pages)), distinct[name])
	}
}
