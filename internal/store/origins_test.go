package store_test

import (
	"database/sql"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestAllowedOriginsUpgrade: widget inboxes that existed before migration
// 0015 keep working wherever they are embedded (any site, '*'); other
// inboxes get none; and a list round-trips.
func TestAllowedOriginsUpgrade(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		dsn := storetest.DSN(t, dialect)
		db, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		db.Secrets = storetest.Box(t)
		widget := parley.Inbox{Name: "Site", ChannelType: parley.ChannelWidget, AllowedOrigins: []string{"https://a.example", "https://*.b.example"}}
		mustWrite(t, db, func(tx *store.Tx) error { return tx.CreateInbox(&widget, "s", "i") })
		api := mustInbox(t, db)
		got, _, err := db.Inbox(ctx, widget.ID)
		if err != nil || len(got.AllowedOrigins) != 2 || got.AllowedOrigins[1] != "https://*.b.example" {
			t.Fatalf("round trip: %q, %v", got.AllowedOrigins, err)
		}
		db.Close()

		// Take the database back to before 0015, with both inboxes in it.
		driver := "sqlite"
		if dialect == "postgres" {
			driver = "pgx"
		}
		raw, err := sql.Open(driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"ALTER TABLE inboxes DROP COLUMN allowed_origins", "DELETE FROM schema_migrations WHERE version = '0015_widget_origins'"} {
			if _, err := raw.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		raw.Close()

		db, err = store.Open(ctx, dsn) // applies 0015 again
		if err != nil {
			t.Fatal(err)
		}
		db.Secrets = storetest.Box(t)
		defer db.Close()
		if got, _, err := db.Inbox(ctx, widget.ID); err != nil || !parley.AnyOriginAllowed(got.AllowedOrigins) {
			t.Fatalf("upgraded widget inbox: %q, %v", got.AllowedOrigins, err)
		}
		if got, _, err := db.Inbox(ctx, api.ID); err != nil || got.AllowedOrigins != nil {
			t.Fatalf("upgraded API inbox: %q, %v", got.AllowedOrigins, err)
		}
	})
}
