package sqlitepcache_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"testing"

	"net/url"
	"path/filepath"

	"github.com/parleyhq/parley/internal/sqlitepcache"
	_ "modernc.org/sqlite" // registers "sqlite"
)

// splitTable creates an indexed table of long random keys and fills it
// with rows transactions of 500: inserts at random places split index
// pages all the time, and B-tree balancing parks pages at the lock-byte
// page's number as it renumbers them (pcache.go).
func splitTable(tb testing.TB, w *sql.DB, rng *rand.Rand, rows int) {
	tb.Helper()
	ctx := context.Background()
	if _, err := w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS pc (k TEXT NOT NULL); CREATE INDEX IF NOT EXISTS pc_k ON pc (k)`); err != nil {
		tb.Fatal(err)
	}
	for done := 0; done < rows; {
		tx, err := w.BeginTx(ctx, nil)
		if err != nil {
			tb.Fatal(err)
		}
		for i := 0; i < 500 && done < rows; i, done = i+1, done+1 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO pc (k) VALUES ($1)`, randomKey(rng)); err != nil {
				tb.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			tb.Fatal(err)
		}
	}
}

func randomKey(rng *rand.Rand) string {
	return fmt.Sprintf("%016x%016x%016x%0100d", rng.Uint64(), rng.Uint64(), rng.Uint64(), 0)
}

// open installs the wrapper (before this test binary's first connection)
// and opens one connection to a new database in WAL mode, with a page
// cache as large as the Parley writer's.
func open(tb testing.TB) *sql.DB {
	tb.Helper()
	if !sqlitepcache.Install() {
		tb.Fatal("the page cache wrapper was not installed before the first SQLite connection")
	}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "cache_size(-131072)")
	db, err := sql.Open("sqlite", "file:"+filepath.Join(tb.TempDir(), "t.db")+"?"+q.Encode())
	if err != nil {
		tb.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	tb.Cleanup(func() { db.Close() })
	return db
}

// TestPageCacheRekey: the wrapper around SQLite's page cache is installed
// before the first connection, it meets the parked moves of B-tree
// balancing and gives the cache's highest page number back, and the
// database it leaves behind is whole: SQLite's integrity check passes and
// every row is found through its index.
func TestPageCacheRekey(t *testing.T) {
	w := open(t)
	before := sqlitepcache.Parked()
	rng := rand.New(rand.NewPCG(3, 4))
	const rows = 20_000
	splitTable(t, w, rng, rows)
	if after := sqlitepcache.Parked(); after <= before {
		t.Fatalf("no parked move was corrected (%d before, %d after): the workload no longer splits pages the way the wrapper expects", before, after)
	}
	var check string
	if err := w.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity check: %q, %v", check, err)
	}
	var n, indexed int
	if err := w.QueryRow(`SELECT count(*) FROM pc`).Scan(&n); err != nil || n != rows {
		t.Fatalf("%d rows (%v), want %d", n, err, rows)
	}
	if err := w.QueryRow(`SELECT count(*) FROM pc INDEXED BY pc_k WHERE k >= ''`).Scan(&indexed); err != nil || indexed != rows {
		t.Fatalf("%d rows through the index (%v), want %d", indexed, err, rows)
	}
}

// BenchmarkCommitSplits commits 20 random-key inserts a transaction into
// a table whose pages fill the writer's page cache, with the wrapper's
// correction on (fixed) and off (stock). Stock, every commit whose
// balancing parked a page walks the whole cache.
func BenchmarkCommitSplits(b *testing.B) {
	for _, mode := range []string{"fixed", "stock"} {
		b.Run(mode, func(b *testing.B) {
			defer sqlitepcache.SetCorrection(mode == "fixed")()
			w := open(b)
			rng := rand.New(rand.NewPCG(5, 6))
			splitTable(b, w, rng, 150_000)
			ctx := context.Background()
			b.ResetTimer()
			for range b.N {
				tx, err := w.BeginTx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				for range 20 {
					if _, err := tx.ExecContext(ctx, `INSERT INTO pc (k) VALUES ($1)`, randomKey(rng)); err != nil {
						b.Fatal(err)
					}
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
