package store

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Notification statuses.
const (
	NotificationSent    = "sent"
	NotificationNotSent = "not_sent" // deliberately not sent (no address, no SMTP); Reason says why
	NotificationFailed  = "failed"   // sending failed for good; Reason has the error
)

// Notification records one attempt to tell a contact about a reply on a
// channel other than the conversation's own (an email to a widget visitor
// who left), whether or not it went out.
type Notification struct {
	ID             int64     `json:"id"`
	ConversationID int64     `json:"conversation_id"`
	MessageID      *int64    `json:"message_id,omitempty"`
	Channel        string    `json:"channel"` // "email"
	Recipient      string    `json:"recipient"`
	Status         string    `json:"status"`
	Reason         string    `json:"reason,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

const notificationColumns = "id, conversation_id, message_id, channel, recipient, status, reason, created_at, updated_at"

func scanNotification(row interface{ Scan(...any) error }) (Notification, error) {
	var n Notification
	var msg sql.NullInt64
	var created, updated int64
	err := row.Scan(&n.ID, &n.ConversationID, &msg, &n.Channel, &n.Recipient, &n.Status, &n.Reason, &created, &updated)
	n.MessageID, n.CreatedAt, n.UpdatedAt = fromNullID(msg), fromTS(created), fromTS(updated)
	return n, err
}

// RecordNotification stores a notification outcome.
func (tx *Tx) RecordNotification(n *Notification) (err error) {
	defer wrap(&err, "store: RecordNotification")
	n.CreatedAt, n.UpdatedAt = tx.now, tx.now
	return tx.queryRow(`INSERT INTO notifications (conversation_id, message_id, channel, recipient, status, reason, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`,
		n.ConversationID, idPtr(n.MessageID), n.Channel, n.Recipient, n.Status, n.Reason, ts(tx.now)).Scan(&n.ID)
}

// NotificationForMessage returns the notification recorded for a message
// on a channel. Returns ENOTFOUND when there is none.
func (tx *Tx) NotificationForMessage(messageID int64, channel string) (Notification, error) {
	n, err := scanNotification(tx.queryRow("SELECT "+notificationColumns+
		" FROM notifications WHERE message_id = $1 AND channel = $2 ORDER BY id DESC LIMIT 1", messageID, channel))
	return n, notFound(err, "notification for message", messageID)
}

// Notifications returns a conversation's notifications, oldest first.
func (db *DB) Notifications(ctx context.Context, conversationID int64) (_ []Notification, err error) {
	defer wrap(&err, "store: Notifications(%d)", conversationID)
	rows, err := db.read.QueryContext(ctx, "SELECT "+notificationColumns+" FROM notifications WHERE conversation_id = $1 ORDER BY id", conversationID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (Notification, error) { return scanNotification(r) })
}

// WidgetReply is an agent's reply on a widget conversation, found in the
// event log, that may need an email if the visitor has left.
type WidgetReply struct {
	Seq            int64
	MessageID      int64
	ConversationID int64
	AwayMinutes    int
}

// cursorKey is the settings row that remembers how far ScanWidgetReplies got.
const cursorKey = "cursor.widget_replies"

// ScanWidgetReplies reads, inside the transaction, the agents' replies on
// widget inboxes logged after the stored cursor (up to limit of them), and
// moves the cursor past them. Run in one transaction with the jobs it
// enqueues, each reply is handed out exactly once, even with several
// processes. A fresh database's cursor starts at the end of the log.
func (tx *Tx) ScanWidgetReplies(limit int) (_ []WidgetReply, err error) {
	defer wrap(&err, "store: ScanWidgetReplies")
	var last int64
	if err := tx.queryRow("SELECT COALESCE(MAX(seq), 0) FROM events").Scan(&last); err != nil {
		return nil, err
	}
	var raw string
	// Locked: two scans at once (the app's watcher and another process's,
	// or a caller's) would otherwise both read the same position on
	// PostgreSQL and both queue a notice for every reply.
	err = tx.queryRow("SELECT value FROM settings WHERE key = $1"+tx.db.dialect.forUpdate, cursorKey).Scan(&raw)
	if err == sql.ErrNoRows {
		return nil, tx.SetSetting(cursorKey, last)
	}
	if err != nil {
		return nil, err
	}
	after, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return nil, err
	}
	if after >= last {
		return nil, nil
	}
	rows, err := tx.query(`SELECT e.seq, m.id, m.conversation_id, i.away_minutes
		FROM events e JOIN messages m ON m.id = e.message_id JOIN inboxes i ON i.id = m.inbox_id
		WHERE e.seq > $1 AND e.seq <= $2 AND e.type = $3 AND m.direction = $4 AND i.channel_type = $5
		ORDER BY e.seq LIMIT $6`, after, last, parley.EventMessageCreated, parley.Outgoing, parley.ChannelWidget, limit)
	if err != nil {
		return nil, err
	}
	out, err := collect(rows, func(r *sql.Rows) (WidgetReply, error) {
		var w WidgetReply
		return w, r.Scan(&w.Seq, &w.MessageID, &w.ConversationID, &w.AwayMinutes)
	})
	if err != nil {
		return nil, err
	}
	if len(out) == limit {
		last = out[len(out)-1].Seq // more to come: the next scan continues here
	}
	return out, tx.SetSetting(cursorKey, last)
}
