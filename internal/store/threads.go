package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/parleyhq/parley/internal/parley"
)

// ThreadStart is one conversation with the channel payload of its first
// message that has one: for email, the subject the thread began with.
type ThreadStart struct {
	ConversationID int64
	Payload        string
}

// firstPayload is the payload of a conversation's earliest message that
// carries one, correlated on c.id.
const firstPayload = `COALESCE((SELECT m.channel_payload FROM messages m WHERE m.conversation_id = c.id AND m.channel_payload <> ''
	ORDER BY m.id LIMIT 1), '')`

// EmailThreads returns, newest first, at most limit conversations in an
// inbox whose contact holds the email address addr (normalised), each
// with its first payload. It returns an empty list for an unknown address.
func (db *DB) EmailThreads(ctx context.Context, inboxID int64, addr string, limit int) ([]ThreadStart, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT c.id, `+firstPayload+`
		FROM identities i JOIN conversations c ON c.contact_id = i.contact_id
		WHERE i.kind = $1 AND i.scope = 0 AND i.external_id = $2 AND c.inbox_id = $3
		ORDER BY c.id DESC LIMIT $4`, parley.IdentityEmail, addr, inboxID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: email threads: %w", err)
	}
	defer rows.Close()
	var out []ThreadStart
	for rows.Next() {
		var t ThreadStart
		if err := rows.Scan(&t.ConversationID, &t.Payload); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// FirstPayload returns the channel payload of a conversation's earliest
// message that has one ("" if none): the subject its email thread began
// with, which every reply keeps.
func (tx *Tx) FirstPayload(conversationID int64) (string, error) {
	var p string
	err := tx.queryRow(`SELECT `+firstPayload+` FROM conversations c WHERE c.id = $1`, conversationID).Scan(&p)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return p, err
}
