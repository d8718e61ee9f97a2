// Package storetest gives tests a fresh, real database: a SQLite file in a
// temporary directory, or a new schema on the PostgreSQL server named by
// PARLEY_TEST_POSTGRES_URL. Suites run on both with Each.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/secret"
	"github.com/parleyhq/parley/internal/store"
)

// PostgresEnv names the variable holding the test PostgreSQL URL.
const PostgresEnv = "PARLEY_TEST_POSTGRES_URL"

// Dialects returns the databases to test on: sqlite always, postgres when
// PARLEY_TEST_POSTGRES_URL is set.
func Dialects() []string {
	if os.Getenv(PostgresEnv) != "" {
		return []string{"sqlite", "postgres"}
	}
	return []string{"sqlite"}
}

// Each runs f as a subtest per dialect, logging when PostgreSQL is skipped.
func Each(t *testing.T, f func(t *testing.T, dialect string)) {
	t.Helper()
	if os.Getenv(PostgresEnv) == "" {
		t.Logf("%s is not set: running on SQLite only", PostgresEnv)
	}
	for _, d := range Dialects() {
		t.Run(d, func(t *testing.T) { f(t, d) })
	}
}

// DSN returns a data source for an empty database of the dialect, removed
// when the test ends. On PostgreSQL it is a new schema, selected with
// search_path, so tests never see each other's rows.
func DSN(tb testing.TB, dialect string) string {
	tb.Helper()
	if dialect == "sqlite" {
		return filepath.Join(tb.TempDir(), "parley.db")
	}
	base := os.Getenv(PostgresEnv)
	if base == "" {
		tb.Skipf("%s is not set: skipping the PostgreSQL run", PostgresEnv)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// Open returns an open, migrated, empty database of the dialect, closed
// when the test ends.
func Open(tb testing.TB, dialect string) *store.DB {
	tb.Helper()
	return OpenAt(tb, DSN(tb, dialect))
}

// OpenAt opens the database at dsn (from DSN) as Open does: for tests
// that open one database twice, as two processes would.
func OpenAt(tb testing.TB, dsn string) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		tb.Fatal(err)
	}
	db.Secrets = Box(tb)
	tb.Cleanup(func() { db.Close() })
	return db
}

// Key is the secret key of test databases, never for real secrets.
const Key = "storetest: a key for tests only, never for real secrets"

// Box returns a secret.Box with Key, for a store.DB a test opens itself.
func Box(tb testing.TB) *secret.Box {
	b, err := secret.New(Key)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
