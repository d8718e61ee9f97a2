package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/parleyhq/parley/internal/parley"
)

// NotificationQueued is a failed notification an agent asked to send
// again: its job is queued, and the next outcome replaces this row's.
const NotificationQueued = "queued"

// Notification returns one notification. Returns ENOTFOUND when there is none.
func (tx *Tx) Notification(id int64) (Notification, error) {
	n, err := scanNotification(tx.queryRow("SELECT "+notificationColumns+" FROM notifications WHERE id = $1", id))
	return n, notFound(err, "notification", id)
}

// SetNotification records a new outcome on an existing notification row
// (a retried one). Returns ENOTFOUND when there is no such row.
func (tx *Tx) SetNotification(n *Notification, status, reason string) (err error) {
	defer wrap(&err, "store: SetNotification(%d)", n.ID)
	res, err := tx.exec("UPDATE notifications SET status = $1, reason = $2, updated_at = $3 WHERE id = $4", status, reason, ts(tx.now), n.ID)
	if err != nil {
		return err
	}
	if k, err := res.RowsAffected(); err != nil {
		return err
	} else if k == 0 {
		return parley.Errorf(parley.ENOTFOUND, "notification %d not found", n.ID)
	}
	n.Status, n.Reason, n.UpdatedAt = status, reason, tx.now
	return nil
}

// NotificationsOf returns the notifications of these conversations, oldest
// first (for a timeline that spans a contact's conversations).
func (db *DB) NotificationsOf(ctx context.Context, conversationIDs []int64) (_ []Notification, err error) {
	defer wrap(&err, "store: NotificationsOf")
	if len(conversationIDs) == 0 {
		return nil, nil
	}
	marks := make([]string, len(conversationIDs))
	args := make([]any, len(conversationIDs))
	for i, id := range conversationIDs {
		marks[i], args[i] = fmt.Sprintf("$%d", i+1), id
	}
	rows, err := db.read.QueryContext(ctx, "SELECT "+notificationColumns+" FROM notifications WHERE conversation_id IN ("+
		strings.Join(marks, ", ")+") ORDER BY id", args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (Notification, error) { return scanNotification(r) })
}
