package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

var ctx = context.Background()

// fixedClock returns a settable clock for deterministic times.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fixedClock { return &fixedClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }
func (c *fixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}
func (c *fixedClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// int64s reads a query's first column (ids, sequence numbers).
func int64s(t testing.TB, db *store.DB, query string) []int64 {
	t.Helper()
	rows, err := db.ReadPool().QueryContext(ctx, query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func mustWrite(t testing.TB, db *store.DB, fn func(tx *store.Tx) error) {
	t.Helper()
	if err := db.Write(ctx, fn); err != nil {
		t.Fatal(err)
	}
}

func mustInbox(t testing.TB, db *store.DB) parley.Inbox {
	t.Helper()
	in := parley.Inbox{Name: "Test", ChannelType: parley.ChannelAPI}
	mustWrite(t, db, func(tx *store.Tx) error { return tx.CreateInbox(&in, "secret", "identity-secret") })
	return in
}

func TestMigrationsArePaired(t *testing.T) {
	names := func(dir string) []string {
		entries, err := os.ReadDir(filepath.Join("migrations", dir))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		sort.Strings(out)
		return out
	}
	if a, b := names("sqlite"), names("postgres"); strings.Join(a, ",") != strings.Join(b, ",") {
		t.Fatalf("migrations differ:\nsqlite:   %v\npostgres: %v", a, b)
	}
}

// TestSchemasMatch checks that both databases end up with the same tables
// and columns (PostgreSQL's generated search column aside).
func TestSchemasMatch(t *testing.T) {
	if os.Getenv(storetest.PostgresEnv) == "" {
		t.Skipf("%s is not set", storetest.PostgresEnv)
	}
	columns := func(dialect string) map[string]bool {
		dsn := storetest.DSN(t, dialect)
		db, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		db.Secrets = storetest.Box(t)
		db.Close()
		var raw *sql.DB
		var q string
		if dialect == "sqlite" {
			raw, _ = sql.Open("sqlite", dsn)
			q = `SELECT m.name || '.' || p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
				WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE 'messages_fts%' AND m.name NOT LIKE 'kb_fts%'`
		} else {
			raw, _ = sql.Open("pgx", dsn)
			q = `SELECT table_name || '.' || column_name FROM information_schema.columns
				WHERE table_schema = current_schema() AND NOT (table_name IN ('messages', 'kb_docs') AND column_name = 'search')`
		}
		defer raw.Close()
		rows, err := raw.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]bool{}
		for rows.Next() {
			var c string
			rows.Scan(&c)
			out[c] = true
		}
		return out
	}
	lite, pg := columns("sqlite"), columns("postgres")
	for c := range lite {
		if !pg[c] {
			t.Errorf("column %s is on SQLite only", c)
		}
	}
	for c := range pg {
		if !lite[c] {
			t.Errorf("column %s is on PostgreSQL only", c)
		}
	}
	if len(lite) < 50 {
		t.Errorf("only %d columns found; the query is wrong", len(lite))
	}
}

func TestOpenTwiceKeepsData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		dsn := storetest.DSN(t, dialect)
		db, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		db.Secrets = storetest.Box(t)
		in := mustInbox(t, db)
		db.Close()
		db, err = store.Open(ctx, dsn) // migrations already applied: a no-op
		if err != nil {
			t.Fatal(err)
		}
		db.Secrets = storetest.Box(t)
		defer db.Close()
		if _, _, err := db.Inbox(ctx, in.ID); err != nil {
			t.Fatal(err)
		}
		if v, err := db.SchemaVersion(ctx); err != nil || v == "" {
			t.Fatalf("schema version = %q, %v", v, err)
		}
	})
}

// TestWriterIsolatesCallers runs many writers at once, some failing: the
// failures roll back alone, every success commits, and the event log has
// exactly the successes' events in increasing order.
func TestWriterIsolatesCallers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		var committed []int64
		var mu sync.Mutex
		db.OnCommit(func(last int64) {
			mu.Lock()
			committed = append(committed, last)
			mu.Unlock()
		})
		const n = 200
		var wg sync.WaitGroup
		errs := make([]error, n)
		after := make([]bool, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = db.Write(ctx, func(tx *store.Tx) error {
					tx.AfterCommit(func() { after[i] = true })
					if err := tx.AppendEvent(&parley.Event{Type: "test", Data: []byte(fmt.Sprint(i))}, nil); err != nil {
						return err
					}
					if i%7 == 0 {
						return errors.New("refused")
					}
					return nil
				})
			}()
		}
		wg.Wait()
		ok := 0
		for i := range n {
			if (i%7 == 0) != (errs[i] != nil) {
				t.Fatalf("caller %d: err = %v", i, errs[i])
			}
			if after[i] != (errs[i] == nil) {
				t.Fatalf("caller %d: AfterCommit ran = %v with err %v", i, after[i], errs[i])
			}
			if errs[i] == nil {
				ok++
			}
		}
		events, err := db.Events(ctx, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != ok {
			t.Fatalf("%d events, want %d", len(events), ok)
		}
		seen := map[string]bool{}
		for i, e := range events {
			if i > 0 && e.Seq <= events[i-1].Seq {
				t.Fatalf("seq not increasing at %d", i)
			}
			if seen[string(e.Data)] {
				t.Fatalf("event %s twice", e.Data)
			}
			seen[string(e.Data)] = true
		}
		last, _ := db.LastEventSeq(ctx)
		mu.Lock()
		defer mu.Unlock()
		// On PostgreSQL batches commit side by side, so the notices need
		// not come in seq order; the highest must be the log's last.
		if len(committed) == 0 || slices.Max(committed) != last {
			t.Fatalf("OnCommit saw %v, last seq %d", committed, last)
		}
		if len(committed) >= ok {
			t.Logf("no commits were shared (%d commits for %d callers)", len(committed), ok)
		}
	})
}

func TestEventsPaging(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		for i := range 5 {
			mustWrite(t, db, func(tx *store.Tx) error {
				return tx.AppendEvent(&parley.Event{Type: "test"}, map[string]int{"i": i})
			})
		}
		first, _ := db.Events(ctx, 0, 2)
		rest, _ := db.Events(ctx, first[1].Seq, 10)
		if len(first) != 2 || len(rest) != 3 || string(rest[0].Data) != `{"i":2}` {
			t.Fatalf("pages: %+v / %+v", first, rest)
		}
	})
}

// TestWriteAfterClose: writes racing a Close are answered (committed or
// "closed"), never left waiting.
func TestWriteAfterClose(t *testing.T) {
	for range 30 {
		db := storetest.Open(t, "sqlite")
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range 200 {
				db.Write(ctx, func(tx *store.Tx) error { return nil })
			}
		}()
		time.Sleep(time.Millisecond)
		db.Close()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("a write racing Close never returned")
		}
	}
}
