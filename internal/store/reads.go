package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// MarkRead records that an agent has a conversation open now: customer
// messages up to now are read for them. When that reads a customer
// message no agent had read, the customer is told it was seen
// (conversation.seen), once. Opening a conversation again with nothing
// new in it writes nothing: it is done on every page view and refresh,
// and a write there would queue behind every other.
func (db *DB) MarkRead(ctx context.Context, agentID, conversationID int64) error {
	var newest, mine sql.NullInt64
	if err := db.read.QueryRowContext(ctx, `SELECT (SELECT MAX(created_at) FROM messages WHERE conversation_id = $1 AND direction = 'incoming'),
		(SELECT read_at FROM conversation_reads WHERE conversation_id = $1 AND agent_id = $2)`, conversationID, agentID).Scan(&newest, &mine); err != nil {
		return wrapErr("store: MarkRead", err)
	}
	if mine.Valid && (!newest.Valid || mine.Int64 >= newest.Int64) {
		return nil
	}
	return db.Write(ctx, func(tx *Tx) error {
		var newest, seen sql.NullInt64
		if err := tx.queryRow(`SELECT (SELECT MAX(created_at) FROM messages WHERE conversation_id = $1 AND direction = 'incoming'),
			(SELECT MAX(read_at) FROM conversation_reads WHERE conversation_id = $1)`, conversationID).Scan(&newest, &seen); err != nil {
			return wrapErr("store: MarkRead", err)
		}
		_, err := tx.exec(`INSERT INTO conversation_reads (agent_id, conversation_id, read_at) VALUES ($1, $2, $3)
			ON CONFLICT (agent_id, conversation_id) DO UPDATE SET read_at = excluded.read_at`, agentID, conversationID, ts(tx.now))
		if err != nil || !newest.Valid || (seen.Valid && seen.Int64 >= newest.Int64) {
			return wrapErr("store: MarkRead", err)
		}
		c, err := tx.Conversation(conversationID)
		if err != nil {
			return err
		}
		return tx.AppendEvent(&parley.Event{Type: parley.EventSeen, ConversationID: &c.ID, ContactID: &c.ContactID, AgentID: &agentID},
			map[string]any{"at": tx.now})
	})
}

// Typing tells the other side someone is writing in a conversation: who
// is "agent" (with agentID) or "customer".
func (db *DB) Typing(ctx context.Context, c parley.Conversation, agentID *int64, who string) error {
	return db.Write(ctx, func(tx *Tx) error {
		return tx.AppendEvent(&parley.Event{Type: parley.EventTyping, ConversationID: &c.ID, ContactID: &c.ContactID, AgentID: agentID},
			map[string]any{"who": who})
	})
}

// AgentSeenAt is when an agent last had a conversation open (zero: never).
func (db *DB) AgentSeenAt(ctx context.Context, conversationID int64) (time.Time, error) {
	var at sql.NullInt64
	err := db.read.QueryRowContext(ctx, "SELECT MAX(read_at) FROM conversation_reads WHERE conversation_id = $1", conversationID).Scan(&at)
	if err != nil || !at.Valid {
		return time.Time{}, wrapErr("store: AgentSeenAt", err)
	}
	return fromTS(at.Int64), nil
}

// ReadTimes returns when an agent last had each of the conversations
// open; a conversation they never opened is absent.
func (db *DB) ReadTimes(ctx context.Context, agentID int64, conversationIDs []int64) (_ map[int64]time.Time, err error) {
	defer wrap(&err, "store: ReadTimes")
	out := map[int64]time.Time{}
	if len(conversationIDs) == 0 {
		return out, nil
	}
	args := []any{agentID}
	for _, id := range conversationIDs {
		args = append(args, id)
	}
	rows, err := db.read.QueryContext(ctx, "SELECT conversation_id, read_at FROM conversation_reads WHERE agent_id = $1 AND conversation_id IN ("+
		placeholders(2, len(conversationIDs))+")", args...)
	if err != nil {
		return nil, err
	}
	_, err = collect(rows, func(r *sql.Rows) (struct{}, error) {
		var id, at int64
		err := r.Scan(&id, &at)
		out[id] = fromTS(at)
		return struct{}{}, err
	})
	return out, err
}
