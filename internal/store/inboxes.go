package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

const inboxColumns = `id, name, channel_type, reopen_window_secs, webhook_url, webhook_secret,
	email_ask, away_minutes, reply_time_text, greeting, channel_settings, routing, created_at, allowed_origins, widget_look`

// scanInbox reads an inbox and its webhook secret.
func scanInbox(row interface{ Scan(...any) error }) (parley.Inbox, string, error) {
	var in parley.Inbox
	var secs, created int64
	var secret, settings, routing, origins, look string
	err := row.Scan(&in.ID, &in.Name, &in.ChannelType, &secs, &in.WebhookURL, &secret,
		&in.EmailAsk, &in.AwayMinutes, &in.ReplyTimeText, &in.Greeting, &settings, &routing, &created, &origins, &look)
	if err == nil && look != "" && look != "{}" {
		err = json.Unmarshal([]byte(look), &in.Look)
	}
	if origins != "" {
		in.AllowedOrigins = strings.Fields(origins)
	}
	if err == nil && routing != "" && routing != "{}" {
		err = json.Unmarshal([]byte(routing), &in.Routing)
	}
	in.ReopenWindow = time.Duration(secs) * time.Second
	in.CreatedAt = fromTS(created)
	if err == nil && settings != "" && settings != "{}" {
		err = json.Unmarshal([]byte(settings), &in.Settings)
	}
	return in, secret, err
}

// routingJSON renders an inbox's routing settings for storing.
func routingJSON(r parley.Routing) string {
	b, _ := json.Marshal(r)
	return string(b)
}

// settingsJSON renders an inbox's channel settings for storing.
func settingsJSON(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// CreateInbox stores a new inbox with its secrets: one signs webhook posts,
// the other checks the HMACs of identity-verified widget users.
func (tx *Tx) CreateInbox(in *parley.Inbox, webhookSecret, identitySecret string) (err error) {
	defer wrap(&err, "store: CreateInbox")
	if err := in.Validate(); err != nil {
		return err
	}
	if webhookSecret, err = tx.db.seal(webhookSecret); err != nil {
		return err
	}
	if identitySecret, err = tx.db.seal(identitySecret); err != nil {
		return err
	}
	in.CreatedAt = tx.now
	defer func() {
		if err == nil {
			err = tx.changed(parley.Change{What: parley.ChangeInbox, ID: in.ID})
		}
	}()
	return tx.queryRow(`INSERT INTO inboxes (name, channel_type, reopen_window_secs, webhook_url, webhook_secret, identity_secret,
			email_ask, away_minutes, reply_time_text, greeting, channel_settings, routing, created_at, updated_at, allowed_origins, widget_look)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14, $15) RETURNING id`,
		in.Name, in.ChannelType, int64(in.ReopenWindow/time.Second), in.WebhookURL, webhookSecret, identitySecret,
		in.EmailAsk, in.AwayMinutes, in.ReplyTimeText, in.Greeting, settingsJSON(in.Settings), routingJSON(in.Routing), ts(tx.now),
		strings.Join(in.AllowedOrigins, " "), lookJSON(in.Look)).Scan(&in.ID)
}

// ChannelSecrets returns an inbox's sealed channel secrets ("" if none).
func (tx *Tx) ChannelSecrets(inboxID int64) (string, error) {
	var s string
	err := tx.queryRow("SELECT channel_secrets FROM inboxes WHERE id = $1"+tx.db.dialect.forUpdate, inboxID).Scan(&s)
	return s, notFound(err, "inbox", inboxID)
}

// ChannelSecrets returns an inbox's sealed channel secrets ("" if none).
func (db *DB) ChannelSecrets(ctx context.Context, inboxID int64) (string, error) {
	var s string
	err := db.read.QueryRowContext(ctx, "SELECT channel_secrets FROM inboxes WHERE id = $1", inboxID).Scan(&s)
	return s, notFound(err, "inbox", inboxID)
}

// SetChannelSecrets replaces an inbox's sealed channel secrets. A rotated
// token is written this way, in the same transaction that read the old one.
func (tx *Tx) SetChannelSecrets(inboxID int64, sealed string) error {
	if _, err := tx.exec("UPDATE inboxes SET channel_secrets = $2, updated_at = $3 WHERE id = $1", inboxID, sealed, ts(tx.now)); err != nil {
		return err
	}
	return tx.changed(parley.Change{What: parley.ChangeInbox, ID: inboxID})
}

// ChannelState returns a value a channel keeps for an inbox; ok is false
// when there is none.
func (tx *Tx) ChannelState(inboxID int64, key string) (value string, ok bool, err error) {
	err = tx.queryRow("SELECT value FROM channel_state WHERE inbox_id = $1 AND key = $2", inboxID, key).Scan(&value)
	if err == sql.ErrNoRows {
		return "", false, nil
	}
	return value, err == nil, err
}

// ChannelState returns a value a channel keeps for an inbox; ok is false
// when there is none.
func (db *DB) ChannelState(ctx context.Context, inboxID int64, key string) (value string, ok bool, err error) {
	err = db.read.QueryRowContext(ctx, "SELECT value FROM channel_state WHERE inbox_id = $1 AND key = $2", inboxID, key).Scan(&value)
	if err == sql.ErrNoRows {
		return "", false, nil
	}
	return value, err == nil, err
}

// SetChannelState stores a value a channel keeps for an inbox.
func (tx *Tx) SetChannelState(inboxID int64, key, value string) error {
	_, err := tx.exec(`INSERT INTO channel_state (inbox_id, key, value, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (inbox_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, inboxID, key, value, ts(tx.now))
	return err
}

// IdentitySecret returns the key a widget inbox uses to check the HMAC of
// a signed-in user's id. Returns ENOTFOUND for an unknown inbox.
func (db *DB) IdentitySecret(ctx context.Context, inboxID int64) (string, error) {
	var s string
	err := db.read.QueryRowContext(ctx, "SELECT identity_secret FROM inboxes WHERE id = $1", inboxID).Scan(&s)
	if err != nil {
		return "", notFound(err, "inbox", inboxID)
	}
	return db.open(s)
}

// UpdateInbox saves an inbox's editable fields.
func (tx *Tx) UpdateInbox(in *parley.Inbox) (err error) {
	defer wrap(&err, "store: UpdateInbox(%d)", in.ID)
	if err := in.Validate(); err != nil {
		return err
	}
	res, err := tx.exec(`UPDATE inboxes SET name = $2, reopen_window_secs = $3, webhook_url = $4, email_ask = $5, away_minutes = $6,
			reply_time_text = $7, greeting = $8, channel_settings = $9, routing = $10, updated_at = $11, allowed_origins = $12, widget_look = $13 WHERE id = $1`,
		in.ID, in.Name, int64(in.ReopenWindow/time.Second), in.WebhookURL, in.EmailAsk, in.AwayMinutes, in.ReplyTimeText, in.Greeting,
		settingsJSON(in.Settings), routingJSON(in.Routing), ts(tx.now), strings.Join(in.AllowedOrigins, " "), lookJSON(in.Look))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return parley.Errorf(parley.ENOTFOUND, "inbox %d not found", in.ID)
	}
	return tx.changed(parley.Change{What: parley.ChangeInbox, ID: in.ID})
}

// Inbox returns one inbox. Returns ENOTFOUND if there is none with that id.
func (tx *Tx) Inbox(id int64) (parley.Inbox, error) {
	in, _, err := scanInbox(tx.queryRow("SELECT "+inboxColumns+" FROM inboxes WHERE id = $1", id))
	return in, notFound(err, "inbox", id)
}

// Inbox returns one inbox and its webhook secret. Returns ENOTFOUND if there is none.
func (db *DB) Inbox(ctx context.Context, id int64) (parley.Inbox, string, error) {
	in, sealed, err := scanInbox(db.read.QueryRowContext(ctx, "SELECT "+inboxColumns+" FROM inboxes WHERE id = $1", id))
	if err != nil {
		return in, "", notFound(err, "inbox", id)
	}
	secret, err := db.open(sealed)
	return in, secret, err
}

// Inboxes returns every inbox, oldest first, in the transaction.
func (tx *Tx) Inboxes() (_ []parley.Inbox, err error) {
	defer wrap(&err, "store: Inboxes")
	rows, err := tx.query("SELECT " + inboxColumns + " FROM inboxes ORDER BY id")
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (parley.Inbox, error) {
		in, _, err := scanInbox(r)
		return in, err
	})
}

// Inboxes returns every inbox, oldest first.
func (db *DB) Inboxes(ctx context.Context) (_ []parley.Inbox, err error) {
	defer wrap(&err, "store: Inboxes")
	rows, err := db.read.QueryContext(ctx, "SELECT "+inboxColumns+" FROM inboxes ORDER BY id")
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (parley.Inbox, error) {
		in, _, err := scanInbox(r)
		return in, err
	})
}

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(*sql.Rows) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func lookJSON(l parley.WidgetLook) string {
	b, _ := json.Marshal(l)
	return string(b)
}
