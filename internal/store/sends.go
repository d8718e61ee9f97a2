package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Send attempts (migration 0013). A provider send cannot be undone and most
// providers take no idempotency key, so the send job writes down that it is
// about to hand a message over, in a transaction of its own, before the
// provider call, and clears that note with the outcome. A note found still
// set means an earlier hand-over ended without an answer.

// SendAttempt is a hand-over to a provider whose outcome was not recorded.
type SendAttempt struct {
	Attempt   string    // the job attempt that made it, "job/attempt"
	StartedAt time.Time // when it was made
}

// StartSend notes that attempt is about to hand an outgoing message to its
// provider. It reports false, and notes nothing, when the message is no
// longer queued (sent or failed since the job was claimed).
func (tx *Tx) StartSend(messageID int64, attempt string) (bool, error) {
	res, err := tx.exec(`UPDATE messages SET send_attempt = $2, send_started_at = $3, updated_at = $3
		WHERE id = $1 AND direction = 'outgoing' AND delivery_state = 'queued'`, messageID, attempt, ts(tx.now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// EndSend clears a message's open hand-over once its outcome is recorded.
// With attempt set, only that attempt's note is cleared, so a worker that
// lost its job's lease cannot clear the note of the worker that took over;
// with attempt "", any note is (an agent's retry, a reroute).
func (tx *Tx) EndSend(messageID int64, attempt string) error {
	q, args := "UPDATE messages SET send_attempt = NULL, send_started_at = NULL WHERE id = $1 AND send_attempt IS NOT NULL", []any{messageID}
	if attempt != "" {
		q, args = q+" AND send_attempt = $2", append(args, attempt)
	}
	_, err := tx.exec(q, args...)
	return err
}

// OpenSend returns a message's hand-over whose outcome was never recorded,
// and false when there is none.
func (db *DB) OpenSend(ctx context.Context, messageID int64) (SendAttempt, bool, error) {
	var attempt sql.NullString
	var started sql.NullInt64
	err := db.read.QueryRowContext(ctx, "SELECT send_attempt, send_started_at FROM messages WHERE id = $1", messageID).Scan(&attempt, &started)
	if err != nil {
		return SendAttempt{}, false, notFound(err, "message", messageID)
	}
	if !attempt.Valid {
		return SendAttempt{}, false, nil
	}
	return SendAttempt{Attempt: attempt.String, StartedAt: fromTS(started.Int64)}, true, nil
}

// SetProviderID records the id a provider gave a message we sent, which
// its receipts will name. Outgoing ids are not unique (see
// OutgoingByProviderID), so recording one cannot clash with anything.
func (tx *Tx) SetProviderID(messageID int64, providerID string) error {
	_, err := tx.exec("UPDATE messages SET provider_id = $2, updated_at = $3 WHERE id = $1", messageID, providerID, ts(tx.now))
	return err
}

// OutgoingByProviderID finds the message we sent through an inbox under a
// provider's id: the newest, when a provider gave one id twice (ids reused
// after a provider's restart, as `parley simulate` once did), because a
// receipt arriving now is about the latest send; the older one had its
// receipts long ago. Incoming messages are never matched, whatever their
// ids. Returns ENOTFOUND when there is none.
func (tx *Tx) OutgoingByProviderID(inboxID int64, providerID string) (parley.Message, error) {
	m, err := scanMessage(tx.queryRow("SELECT "+messageColumns+` FROM messages m
		WHERE m.inbox_id = $1 AND m.provider_id = $2 AND m.direction = 'outgoing' ORDER BY m.id DESC LIMIT 1`+tx.db.dialect.forUpdate,
		inboxID, providerID))
	return m, notFound(err, "message", providerID)
}
