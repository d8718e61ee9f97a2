package store

import (
	"context"
	"database/sql"
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
	MessageID      int64
	ConversationID int64
	AwayMinutes    int
}

// WidgetReplies returns which of the given messages are agents' replies on
// widget inboxes, in id order, with their inbox's away delay. The widget's
// reply watcher (a work.Consumer) calls it with the messages of a batch of
// message.created events, in the transaction that moves its cursor.
func (tx *Tx) WidgetReplies(messageIDs []int64) (out []WidgetReply, err error) {
	defer wrap(&err, "store: WidgetReplies")
	for ids := messageIDs; len(ids) > 0; {
		n := min(len(ids), reportChunk)
		args := []any{parley.Outgoing, parley.ChannelWidget}
		for _, id := range ids[:n] {
			args = append(args, id)
		}
		ids = ids[n:]
		rows, err := tx.query(`SELECT m.id, m.conversation_id, i.away_minutes
			FROM messages m JOIN inboxes i ON i.id = m.inbox_id
			WHERE m.direction = $1 AND i.channel_type = $2 AND m.id IN (`+placeholders(3, n)+`) ORDER BY m.id`, args...)
		if err != nil {
			return nil, err
		}
		list, err := collect(rows, func(r *sql.Rows) (WidgetReply, error) {
			var w WidgetReply
			return w, r.Scan(&w.MessageID, &w.ConversationID, &w.AwayMinutes)
		})
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
	}
	return out, nil
}
