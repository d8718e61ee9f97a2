package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

const inboxColumns = `id, name, channel_type, reopen_window_secs, webhook_url, webhook_secret,
	email_ask, away_minutes, reply_time_text, greeting, created_at`

// scanInbox reads an inbox and its webhook secret.
func scanInbox(row interface{ Scan(...any) error }) (parley.Inbox, string, error) {
	var in parley.Inbox
	var secs, created int64
	var secret string
	err := row.Scan(&in.ID, &in.Name, &in.ChannelType, &secs, &in.WebhookURL, &secret,
		&in.EmailAsk, &in.AwayMinutes, &in.ReplyTimeText, &in.Greeting, &created)
	in.ReopenWindow = time.Duration(secs) * time.Second
	in.CreatedAt = fromTS(created)
	return in, secret, err
}

// CreateInbox stores a new inbox with its secrets: one signs webhook posts,
// the other checks the HMACs of identity-verified widget users.
func (tx *Tx) CreateInbox(in *parley.Inbox, webhookSecret, identitySecret string) (err error) {
	defer wrap(&err, "store: CreateInbox")
	if err := in.Validate(); err != nil {
		return err
	}
	in.CreatedAt = tx.now
	return tx.queryRow(`INSERT INTO inboxes (name, channel_type, reopen_window_secs, webhook_url, webhook_secret, identity_secret,
			email_ask, away_minutes, reply_time_text, greeting, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id`,
		in.Name, in.ChannelType, int64(in.ReopenWindow/time.Second), in.WebhookURL, webhookSecret, identitySecret,
		in.EmailAsk, in.AwayMinutes, in.ReplyTimeText, in.Greeting, ts(tx.now)).Scan(&in.ID)
}

// IdentitySecret returns the key a widget inbox uses to check the HMAC of
// a signed-in user's id. Returns ENOTFOUND for an unknown inbox.
func (db *DB) IdentitySecret(ctx context.Context, inboxID int64) (string, error) {
	var s string
	err := db.read.QueryRowContext(ctx, "SELECT identity_secret FROM inboxes WHERE id = $1", inboxID).Scan(&s)
	return s, notFound(err, "inbox", inboxID)
}

// UpdateInbox saves an inbox's editable fields.
func (tx *Tx) UpdateInbox(in *parley.Inbox) (err error) {
	defer wrap(&err, "store: UpdateInbox(%d)", in.ID)
	if err := in.Validate(); err != nil {
		return err
	}
	res, err := tx.exec(`UPDATE inboxes SET name = $2, reopen_window_secs = $3, webhook_url = $4, email_ask = $5, away_minutes = $6,
			reply_time_text = $7, greeting = $8, updated_at = $9 WHERE id = $1`,
		in.ID, in.Name, int64(in.ReopenWindow/time.Second), in.WebhookURL, in.EmailAsk, in.AwayMinutes, in.ReplyTimeText, in.Greeting, ts(tx.now))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return parley.Errorf(parley.ENOTFOUND, "inbox %d not found", in.ID)
	}
	return nil
}

// Inbox returns one inbox. Returns ENOTFOUND if there is none with that id.
func (tx *Tx) Inbox(id int64) (parley.Inbox, error) {
	in, _, err := scanInbox(tx.queryRow("SELECT "+inboxColumns+" FROM inboxes WHERE id = $1", id))
	return in, notFound(err, "inbox", id)
}

// Inbox returns one inbox and its webhook secret. Returns ENOTFOUND if there is none.
func (db *DB) Inbox(ctx context.Context, id int64) (parley.Inbox, string, error) {
	in, secret, err := scanInbox(db.read.QueryRowContext(ctx, "SELECT "+inboxColumns+" FROM inboxes WHERE id = $1", id))
	return in, secret, notFound(err, "inbox", id)
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
