package sqlitewal_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/parleyhq/parley/internal/sqlitewal"
	_ "modernc.org/sqlite" // registers "sqlite"
)

// open installs the VFS (before this test binary's first connection) and
// opens the database at path as Parley's store does: WAL, synchronous
// NORMAL, no automatic checkpoints. cache is the page cache in KiB.
func open(tb testing.TB, path string, cache int, readOnly bool) *sql.DB {
	tb.Helper()
	if !sqlitewal.Install() {
		tb.Fatal("the VFS was not installed before the first SQLite connection")
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", cache))
	if readOnly {
		q.Add("_pragma", "query_only(ON)")
	} else {
		q.Add("_pragma", "wal_autocheckpoint(0)")
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		tb.Fatal(err)
	}
	if !readOnly {
		db.SetMaxOpenConns(1)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

const schema = `CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, k TEXT NOT NULL, v BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS t_k ON t (k)`

// insert commits rows rows of size bytes each in one transaction (or
// rolls it back) and returns the last id.
func insert(tb testing.TB, w *sql.DB, rng *rand.Rand, rows, size int, rollback bool) int64 {
	tb.Helper()
	ctx := context.Background()
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	var last int64
	blob := make([]byte, size)
	for range rows {
		for i := 0; i+8 <= len(blob); i += 8 {
			binary.LittleEndian.PutUint64(blob[i:], rng.Uint64())
		}
		r, err := tx.ExecContext(ctx, `INSERT INTO t (k, v) VALUES ($1, $2)`, fmt.Sprintf("%016x", rng.Uint64()), blob)
		if err != nil {
			tb.Fatal(err)
		}
		if last, err = r.LastInsertId(); err != nil {
			tb.Fatal(err)
		}
	}
	if rollback {
		if err := tx.Rollback(); err != nil {
			tb.Fatal(err)
		}
		return 0
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	return last
}

// check asserts what a reader on another connection sees: count rows, the
// highest id last, every row found through the index, and (when full) an
// intact file.
func check(tb testing.TB, r *sql.DB, count, last int64, full bool) {
	tb.Helper()
	var n, top, indexed int64
	var ok string
	if err := r.QueryRow(`SELECT count(*), coalesce(max(id), 0) FROM t`).Scan(&n, &top); err != nil {
		tb.Fatal(err)
	}
	if err := r.QueryRow(`SELECT count(*) FROM t INDEXED BY t_k WHERE k >= ''`).Scan(&indexed); err != nil {
		tb.Fatal(err)
	}
	if n != count || top != last || indexed != count {
		tb.Fatalf("a reader sees %d rows (%d through the index), the last %d; committed %d, the last %d", n, indexed, top, count, last)
	}
	if !full {
		return
	}
	if err := r.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		tb.Fatalf("integrity_check: %q %v", ok, err)
	}
}

// TestCommitsReachTheFile runs commits of every size through the
// buffering VFS: small ones, ones that split index pages, a transaction
// larger than the buffer whose pages spill before the commit, a spilled
// transaction rolled back, and WAL restarts between them. After each, a
// reader on its own connection must see exactly what committed. At the
// end the database and its WAL are copied while both connections are
// still open, as a crash would leave them, and the copy must recover
// every committed row.
func TestCommitsReachTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.db")
	w := open(t, path, 2048, false) // a small cache, so large transactions spill
	r := open(t, path, 2048, true)
	if _, err := w.Exec(schema); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var count, last int64
	steps := 0
	step := func(rows, size int) {
		last = insert(t, w, rng, rows, size, false)
		count += int64(rows)
		steps++
		check(t, r, count, last, steps%20 == 0)
	}
	flushes0, coalesced0 := sqlitewal.Stats()
	for i := range 60 {
		step(1+i%7, 200)   // one page or a few
		step(50+i*10, 300) // index splits
		if i%20 == 19 {    // a WAL restart: the next commit writes the log's header again
			if _, err := r.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
				t.Fatal(err)
			}
		}
	}
	flushes, coalesced := sqlitewal.Stats()
	if flushes-flushes0 < 120 || coalesced-coalesced0 < 10*(flushes-flushes0) {
		t.Fatalf("%d flushes of %d buffered writes over 120 commits: the WAL's writes were not gathered", flushes-flushes0, coalesced-coalesced0)
	}
	step(4000, 3000) // ~12 MB: more than the buffer, and more than the cache
	// One transaction over every row, more pages than the cache holds:
	// the update spills them to the log before the commit, the count reads
	// them back from it, and the second update rewrites spilled pages in
	// place.
	tx, err := w.Begin()
	if err != nil {
		t.Fatal(err)
	}
	var unchanged int64
	if _, err := tx.Exec(`UPDATE t SET v = zeroblob(length(v))`); err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRow(`SELECT count(*) FROM t WHERE v != zeroblob(length(v))`).Scan(&unchanged); err != nil || unchanged != 0 {
		t.Fatalf("%d rows read back unchanged in the transaction that changed them (%v)", unchanged, err)
	}
	if _, err := tx.Exec(`UPDATE t SET k = k || 'x'`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := r.QueryRow(`SELECT count(*) FROM t WHERE k NOT LIKE '%x' OR v != zeroblob(length(v))`).Scan(&unchanged); err != nil || unchanged != 0 {
		t.Fatalf("a reader sees %d rows without the transaction's changes (%v)", unchanged, err)
	}
	check(t, r, count, last, true)
	insert(t, w, rng, 3000, 3000, true)
	check(t, r, count, last, true)
	for range 10 {
		step(100, 300)
	}
	crash := t.TempDir()
	for _, name := range []string{"t.db", "t.db-wal"} {
		copyFile(t, filepath.Join(dir, name), filepath.Join(crash, name))
	}
	c := open(t, filepath.Join(crash, "t.db"), 2048, false)
	check(t, c, count, last, true)
}

func copyFile(tb testing.TB, from, to string) {
	tb.Helper()
	in, err := os.Open(from)
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		tb.Fatal(err)
	}
	if err := out.Close(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkCommits commits transactions of 100 rows at random places in
// an index (about as many pages as a busy batch of Parley's writer), with
// the WAL's writes gathered and, for comparison, written one by one.
func BenchmarkCommits(b *testing.B) {
	for _, on := range []bool{true, false} {
		b.Run(fmt.Sprintf("gathered=%v", on), func(b *testing.B) {
			defer sqlitewal.SetCoalescing(on)()
			path := filepath.Join(b.TempDir(), "t.db")
			w := open(b, path, 131072, false)
			r := open(b, path, 2048, true)
			if _, err := w.Exec(schema); err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(3, 4))
			for range 200 {
				insert(b, w, rng, 100, 300, false)
			}
			b.ResetTimer()
			for i := range b.N {
				insert(b, w, rng, 100, 300, false)
				if i%200 == 199 {
					b.StopTimer()
					if _, err := r.Exec(`PRAGMA wal_checkpoint(RESTART)`); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
			}
		})
	}
}

// TestKilledWriterLosesNothing runs a writer in a child process (this test
// binary again) that commits rows and prints each id once its commit has
// returned, kills it with SIGKILL mid-stream, and opens the database
// again: every id the child printed must be there.
func TestKilledWriterLosesNothing(t *testing.T) {
	if path := os.Getenv("SQLITEWAL_CHILD_DB"); path != "" {
		child(t, path)
		return
	}
	path := filepath.Join(t.TempDir(), "t.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledWriterLosesNothing$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SQLITEWAL_CHILD_DB="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []int64
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		var id int64
		if _, err := fmt.Sscanf(lines.Text(), "committed %d", &id); err == nil {
			acked = append(acked, id)
		}
		if len(acked) == 400 {
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	cmd.Wait()
	if len(acked) < 400 {
		t.Fatalf("the child acknowledged %d commits before it ended", len(acked))
	}
	db := open(t, path, 2048, false)
	for _, id := range acked {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM t WHERE id = $1`, id).Scan(&n); err != nil || n != 1 {
			t.Fatalf("row %d was acknowledged before the kill and is gone after it (%v)", id, err)
		}
	}
	var ok string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check: %q %v", ok, err)
	}
}

// child commits transactions of 1–300 rows until it is killed, printing
// the last id of each after its commit.
func child(t *testing.T, path string) {
	w := open(t, path, 2048, false)
	if _, err := w.Exec(schema); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; ; i++ {
		fmt.Printf("committed %d\n", insert(t, w, rng, 1+i%300, 200, false))
	}
}
