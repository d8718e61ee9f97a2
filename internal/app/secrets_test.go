package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/app"
	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/secret"
	"github.com/parleyhq/parley/internal/store/storetest"
)

var bg = context.Background()

// smtpFor is SMTP settings with a known password.
func smtpFor(password string) inbox.SMTPSettings {
	return inbox.SMTPSettings{Host: "smtp.example.com", Port: 587, Username: "parley", Password: password, From: "Help <help@example.com>"}
}

// TestSecretsSealedAtRest: the SMTP password, a widget inbox's identity
// secret and an API inbox's webhook secret never reach the database in
// clear. The raw database is searched for them: the SQLite files byte
// by byte, every row of every PostgreSQL table as text.
func TestSecretsSealedAtRest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := apptest.Start(t, dialect, nil)
		var api struct {
			WebhookSecret string `json:"webhook_secret"`
		}
		e.JSON("POST", "/api/v1/inboxes", map[string]any{"name": "Hooked", "webhook_url": "https://hooks.example.com/parley"}, 201, &api)
		widget, err := e.App.Inbox.CreateInbox(bg, inbox.System, parley.Inbox{Name: "Site", ChannelType: parley.ChannelWidget}, nil)
		if err != nil {
			t.Fatal(err)
		}
		identity, err := e.App.DB.IdentitySecret(bg, widget.ID)
		if err != nil {
			t.Fatal(err)
		}
		const password = "smtp-password-9f8e7d6c5b4a"
		if err := e.App.Inbox.SetSMTPSettings(bg, inbox.System, smtpFor(password)); err != nil {
			t.Fatal(err)
		}
		got, err := e.App.Inbox.SMTPSettings(bg)
		if err != nil || got.Password != password || got.Host != "smtp.example.com" {
			t.Fatalf("SMTP settings read back = %+v, %v", got, err)
		}
		if len(api.WebhookSecret) < 16 || len(identity) < 16 {
			t.Fatalf("secrets too short to search for: %q %q", api.WebhookSecret, identity)
		}
		assertNotStored(t, e.App.Config, password, api.WebhookSecret, identity)
	})
}

// TestClearSecretsSealedOnUpgrade: a database from before sealing holds
// the three secrets in clear. The first start seals them, keeps them
// working (the same values read back), and rewrites the tables so the
// old bytes are gone from the files too.
func TestClearSecretsSealedOnUpgrade(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		cfg := testConfig(t, dialect)
		a, err := app.New(bg, cfg)
		if err != nil {
			t.Fatal(err)
		}
		in, err := a.Inbox.CreateInbox(bg, inbox.System, parley.Inbox{Name: "Site", ChannelType: parley.ChannelWidget}, nil)
		if err != nil {
			t.Fatal(err)
		}
		a.Close()
		// What an older Parley stored: clear values, and no key check.
		const webhook, identity, password = "legacy-webhook-secret-31a2b3c4", "legacy-identity-secret-5d6e7f80", "legacy-smtp-password-91a2b3c4"
		raw := rawDB(t, cfg)
		smtp := fmt.Sprintf(`{"host":"smtp.example.com","port":587,"username":"parley","password":%q,"from":"Help <help@example.com>","security":"starttls"}`, password)
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{"UPDATE inboxes SET webhook_secret = $1, identity_secret = $2 WHERE id = $3", []any{webhook, identity, in.ID}},
			{"INSERT INTO settings (key, value, updated_at) VALUES ('smtp', $1, 0)", []any{smtp}},
			{"DELETE FROM settings WHERE key = 'secret.key_check'", nil},
		} {
			if _, err := raw.Exec(q.sql, q.args...); err != nil {
				t.Fatalf("%s: %v", q.sql, err)
			}
		}
		raw.Close()

		a, err = app.New(bg, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		if _, got, err := a.DB.Inbox(bg, in.ID); err != nil || got != webhook {
			t.Errorf("webhook secret after upgrade = %q, %v", got, err)
		}
		if got, err := a.DB.IdentitySecret(bg, in.ID); err != nil || got != identity {
			t.Errorf("identity secret after upgrade = %q, %v", got, err)
		}
		if got, err := a.Inbox.SMTPSettings(bg); err != nil || got.Password != password || got.Username != "parley" {
			t.Errorf("SMTP settings after upgrade = %+v, %v", got, err)
		}
		assertNotStored(t, cfg, webhook, identity, password)
	})
}

// TestKeyFile: without PARLEY_SECRET_KEY, Parley seals with a key it
// keeps in the data directory (mode 0600), reads it back on the next
// start, and refuses to start with any other key rather than fail later
// on every secret.
func TestKeyFile(t *testing.T) {
	cfg := testConfig(t, "sqlite")
	cfg.SecretKey = ""
	a, err := app.New(bg, cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(cfg.DataDir, secret.KeyFileName)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v, want mode 0600", fi, err)
	}
	// Channel credentials need a key: with the file's, they are accepted.
	wa, err := a.Inbox.CreateInbox(bg, inbox.System, parley.Inbox{Name: "wa", ChannelType: parley.ChannelWhatsApp,
		Settings: map[string]string{"phone_number_id": "1"}}, map[string]string{"access_token": "EAAG-key-file", "app_secret": "s", "verify_token": "v"})
	if err != nil {
		t.Fatalf("channel inbox without PARLEY_SECRET_KEY: %v", err)
	}
	identity, _ := a.DB.IdentitySecret(bg, wa.ID)
	a.Close()
	key, _ := os.ReadFile(path)
	if db, _ := os.ReadFile(filepath.Join(cfg.DataDir, "parley.db")); bytes.Contains(db, bytes.TrimSpace(key)) {
		t.Fatal("the key is stored in the database")
	}

	a, err = app.New(bg, cfg) // the same file: the same key
	if err != nil {
		t.Fatal(err)
	}
	if got, err := a.DB.IdentitySecret(bg, wa.ID); err != nil || got != identity {
		t.Fatalf("identity secret on the second start = %q, %v", got, err)
	}
	a.Close()

	other := cfg
	other.SecretKey = "a different key, long enough to be accepted as one"
	if _, err := app.New(bg, other); !errors.Is(err, secret.ErrKeyMismatch) {
		t.Fatalf("start with another key: %v, want ErrKeyMismatch", err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := app.New(bg, cfg); !errors.Is(err, secret.ErrKeyMismatch) {
		t.Fatalf("start with a lost key file: %v, want ErrKeyMismatch", err)
	}
	// The error says what to do.
	if !strings.Contains(secret.ErrKeyMismatch.Error(), "PARLEY_SECRET_KEY") {
		t.Errorf("ErrKeyMismatch does not name PARLEY_SECRET_KEY: %v", secret.ErrKeyMismatch)
	}
}

// testConfig is a configuration for app.New on a fresh database.
func testConfig(t *testing.T, dialect string) config.Config {
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.SecretKey = apptest.TestSecretKey
	if dialect == "postgres" {
		cfg.DatabaseURL = storetest.DSN(t, dialect)
	}
	return cfg
}

// rawDB opens the configured database without Parley in between.
func rawDB(t *testing.T, cfg config.Config) *sql.DB {
	driver, dsn := "sqlite", cfg.DSN()
	if cfg.DatabaseURL != "" {
		driver = "pgx"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// assertNotStored fails if any value appears in the raw database: in the
// SQLite files (database and write-ahead log) as bytes, or in any row of
// any PostgreSQL table as text.
func assertNotStored(t *testing.T, cfg config.Config, values ...string) {
	t.Helper()
	if cfg.DatabaseURL == "" {
		for _, name := range []string{"parley.db", "parley.db-wal"} {
			b, err := os.ReadFile(filepath.Join(cfg.DataDir, name))
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
			if name == "parley.db" && len(b) == 0 {
				t.Fatal("the database file is empty: nothing was searched")
			}
			for _, v := range values {
				if bytes.Contains(b, []byte(v)) {
					t.Errorf("%s holds %q in clear", name, v)
				}
			}
		}
		return
	}
	db := rawDB(t, cfg)
	defer db.Close()
	rows, err := db.Query("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		rows.Scan(&name)
		tables = append(tables, name)
	}
	rows.Close()
	if len(tables) < 10 {
		t.Fatalf("found %d tables: nothing was searched", len(tables))
	}
	for _, table := range tables {
		rows, err := db.Query(fmt.Sprintf("SELECT t::text FROM %q t", table))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var row string
			rows.Scan(&row)
			for _, v := range values {
				if strings.Contains(row, v) {
					t.Errorf("table %s holds %q in clear: %.200s", table, v, row)
				}
			}
		}
		rows.Close()
	}
}
