package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/parleyhq/parley/internal/secret"
)

// Secrets stored in Parley's own tables (an inbox's webhook and identity
// secrets, the SMTP password) are sealed here, on their way in and out,
// with the same key as channel credentials, so no caller can store one in
// clear by forgetting to. Values written by a Parley from before sealing
// are read as they are and sealed at start-up by SealLegacySecrets.

// seal seals a secret for storing; "" stays "".
func (db *DB) seal(plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	s, err := db.Secrets.Seal([]byte(plain))
	if err != nil {
		return "", fmt.Errorf("store: seal secret: %w", err)
	}
	return s, nil
}

// open reads a stored secret: sealed, or clear from before sealing.
func (db *DB) open(stored string) (string, error) {
	if !secret.IsSealed(stored) {
		return stored, nil
	}
	b, err := db.Secrets.Open(stored)
	if err != nil {
		return "", fmt.Errorf("store: open secret: %w", err)
	}
	return string(b), nil
}

// SealedSetting reads a workspace setting stored with SetSealedSetting
// into v. Returns false when it was never set, leaving v as it was.
func (db *DB) SealedSetting(ctx context.Context, key string, v any) (ok bool, err error) {
	defer wrap(&err, "store: SealedSetting(%s)", key)
	raw, ok, err := db.rawSetting(ctx, key)
	if !ok || err != nil {
		return false, err
	}
	var sealed string
	if json.Unmarshal([]byte(raw), &sealed) == nil && secret.IsSealed(sealed) {
		if raw, err = db.open(sealed); err != nil {
			return false, err
		}
	}
	return true, json.Unmarshal([]byte(raw), v)
}

// SetSealedSetting stores a workspace setting that holds a secret (the
// SMTP password): its JSON is sealed whole and stored as a JSON string.
func (tx *Tx) SetSealedSetting(key string, v any) (err error) {
	defer wrap(&err, "store: SetSealedSetting(%s)", key)
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	sealed, err := tx.db.seal(string(b))
	if err != nil {
		return err
	}
	return tx.SetSetting(key, sealed)
}

// keyCheckSetting holds secret.Box.CheckValue of the key this database's
// secrets are sealed with.
const keyCheckSetting = "secret.key_check"

// CheckSecretKey makes sure the database's secrets can be opened with
// db.Secrets, before anything reads one: a database whose secrets were
// sealed under another key answers secret.ErrKeyMismatch. The first
// start with a key records its check value and seals every secret still
// stored in clear (rows from before sealing), in one transaction.
func (db *DB) CheckSecretKey(ctx context.Context, sealedSettings ...string) (resealed int, err error) {
	defer wrap(&err, "store: CheckSecretKey")
	check, err := db.Secrets.CheckValue()
	if err != nil {
		return 0, err
	}
	// Claimed with an insert that keeps any row already there, then read
	// back: of two processes starting at once on a new database with
	// different keys, the second waits for the first's row and then fails.
	want := `"` + check + `"` // stored as JSON, like every setting
	err = db.Write(ctx, func(tx *Tx) error {
		resealed = 0
		res, err := tx.exec(`INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING`,
			keyCheckSetting, want, ts(tx.now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			// The first start that records a check: channel credentials
			// may have been sealed already, by a Parley from before the
			// check; they must open with this key.
			var sealed string
			err := tx.queryRow("SELECT channel_secrets FROM inboxes WHERE channel_secrets <> '' ORDER BY id LIMIT 1").Scan(&sealed)
			if err != nil && err != sql.ErrNoRows {
				return err
			}
			if err == nil {
				if _, err := db.Secrets.Open(sealed); err != nil {
					return secret.ErrKeyMismatch
				}
			}
		}
		var stored string
		if err := tx.queryRow("SELECT value FROM settings WHERE key = $1", keyCheckSetting).Scan(&stored); err != nil {
			return err
		}
		if stored != want {
			return secret.ErrKeyMismatch
		}
		n, err := tx.sealInboxSecrets()
		if err != nil {
			return err
		}
		resealed += n
		for _, key := range sealedSettings {
			n, err := tx.sealSetting(key)
			if err != nil {
				return err
			}
			resealed += n
		}
		return nil
	})
	return resealed, err
}

// sealInboxSecrets seals the inboxes' webhook and identity secrets still
// stored in clear.
func (tx *Tx) sealInboxSecrets() (int, error) {
	rows, err := tx.query(`SELECT id, webhook_secret, identity_secret FROM inboxes
		WHERE (webhook_secret <> '' AND webhook_secret NOT LIKE 'v1:%')
		   OR (identity_secret <> '' AND identity_secret NOT LIKE 'v1:%')`)
	if err != nil {
		return 0, err
	}
	type clear struct {
		id             int64
		webhook, ident string
	}
	var list []clear
	for rows.Next() {
		var c clear
		if err := rows.Scan(&c.id, &c.webhook, &c.ident); err != nil {
			rows.Close()
			return 0, err
		}
		list = append(list, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, c := range list {
		webhook, err := tx.db.reseal(c.webhook)
		if err != nil {
			return 0, err
		}
		ident, err := tx.db.reseal(c.ident)
		if err != nil {
			return 0, err
		}
		if _, err := tx.exec("UPDATE inboxes SET webhook_secret = $2, identity_secret = $3 WHERE id = $1", c.id, webhook, ident); err != nil {
			return 0, err
		}
	}
	return len(list), nil
}

// reseal seals a value stored in clear and keeps a sealed one.
func (db *DB) reseal(stored string) (string, error) {
	if secret.IsSealed(stored) {
		return stored, nil
	}
	return db.seal(stored)
}

// sealSetting seals a setting stored in clear (its JSON not yet a sealed
// string).
func (tx *Tx) sealSetting(key string) (int, error) {
	var raw string
	err := tx.queryRow("SELECT value FROM settings WHERE key = $1", key).Scan(&raw)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var s string
	if json.Unmarshal([]byte(raw), &s) == nil && secret.IsSealed(s) {
		return 0, nil
	}
	sealed, err := tx.db.seal(raw)
	if err != nil {
		return 0, err
	}
	return 1, tx.SetSetting(key, sealed)
}

// ScrubFreed rewrites the tables that held secrets in clear, after
// CheckSecretKey sealed them, so the old values do not linger in freed
// space of the database files: SQLite rewrites the whole file (VACUUM)
// and empties its write-ahead log; PostgreSQL rewrites the two tables
// (VACUUM FULL). Run once, on the start that sealed them.
func (db *DB) ScrubFreed(ctx context.Context) (err error) {
	defer wrap(&err, "store: ScrubFreed")
	if db.dialect.name == "sqlite" {
		if _, err := db.write.ExecContext(ctx, "VACUUM"); err != nil {
			return err
		}
		_, err = db.write.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
		return err
	}
	_, err = db.write.ExecContext(ctx, "VACUUM FULL inboxes, settings")
	return err
}
