package store_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestConnectionBudget: a process that may open more connections than
// the PostgreSQL server has room for is told so at start (Short), with
// the server's numbers; one that fits is not.
func TestConnectionBudget(t *testing.T) {
	if os.Getenv(storetest.PostgresEnv) == "" {
		t.Skipf("%s is not set", storetest.PostgresEnv)
	}
	ctx := context.Background()
	dsn := storetest.DSN(t, "postgres")
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	db, err := store.Open(ctx, dsn+sep+"pool_max_conns=1000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b, err := db.ConnectionBudget(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b.Max < 10 || b.Open < 1 || b.Mine != 1009 || b.MineOpen < 1 || !b.Short() ||
		!strings.Contains(b.String(), "may open up to 1009 connections") {
		t.Fatalf("budget %+v (%s)", b, b)
	}
	fits := store.ConnectionBudget{Max: 100, Reserved: 3, Open: 12, Mine: 41, MineOpen: 2}
	if fits.Short() {
		t.Fatalf("%+v is short", fits)
	}
	if tight := (store.ConnectionBudget{Max: 100, Reserved: 3, Open: 62, Mine: 41, MineOpen: 2}); !tight.Short() {
		t.Fatalf("%+v is not short", tight)
	}
	sq, err := store.Open(ctx, storetest.DSN(t, "sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer sq.Close()
	if b, err := sq.ConnectionBudget(ctx); err != nil || b.Short() {
		t.Fatalf("sqlite: %+v %v", b, err)
	}
}
