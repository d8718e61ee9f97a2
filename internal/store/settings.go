package store

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/parleyhq/parley/internal/parley"
)

// Setting reads a workspace setting into v (JSON). Returns false when it
// was never set, leaving v as it was.
func (db *DB) Setting(ctx context.Context, key string, v any) (ok bool, err error) {
	defer wrap(&err, "store: Setting(%s)", key)
	raw, ok, err := db.rawSetting(ctx, key)
	if !ok || err != nil {
		return false, err
	}
	return true, json.Unmarshal([]byte(raw), v)
}

// rawSetting reads a setting's stored JSON; ok is false when it is unset.
func (db *DB) rawSetting(ctx context.Context, key string) (raw string, ok bool, err error) {
	err = db.read.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = $1", key).Scan(&raw)
	if err == sql.ErrNoRows {
		return "", false, nil
	}
	return raw, err == nil, err
}

// SetSetting stores a workspace setting as JSON.
func (tx *Tx) SetSetting(key string, v any) (err error) {
	defer wrap(&err, "store: SetSetting(%s)", key)
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = tx.exec(`INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, string(b), ts(tx.now))
	if err != nil || !announced(key) {
		return err
	}
	return tx.changed(parley.Change{What: parley.ChangeSetting, Key: key})
}
