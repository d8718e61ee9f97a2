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

// UnreadCounts are how many open conversations in the sidebar's first
// views are unread for one agent, each counted only up to a cap.
type UnreadCounts struct {
	Mine       int // open, assigned to the agent
	Unassigned int // open, unassigned
	Open       int // open, anyone's
}

// unreadFor is true for a conversation c whose latest message that is not
// a note (the list row's preview, see Previews) came from the customer
// after agent $1 last had it open. Both lookups are one index probe each:
// messages_conversation read backwards to the first non-note, and the
// conversation_reads primary key.
const unreadFor = `(SELECT CASE WHEN m.direction = 'incoming' THEN m.created_at END FROM messages m
		WHERE m.conversation_id = c.id AND m.direction <> 'note' ORDER BY m.id DESC LIMIT 1)
	> COALESCE((SELECT r.read_at FROM conversation_reads r WHERE r.agent_id = $1 AND r.conversation_id = c.id), -1)`

// UnreadCounts counts, for the sidebar, the open conversations unread for
// agentID: theirs, nobody's and all. Each count stops at limit (the LIMIT
// inside each subquery ends the walk there), so a view full of unread
// conversations costs limit probes, not one per conversation; one with few
// unread costs a probe per open conversation in it, which the open-status
// indexes bound. except (0: none) is left out, as the list leaves out the
// unread marker of the conversation the agent has open.
func (db *DB) UnreadCounts(ctx context.Context, agentID, except int64, limit int) (u UnreadCounts, err error) {
	defer wrap(&err, "store: UnreadCounts")
	count := func(where string) string {
		return "(SELECT COUNT(*) FROM (SELECT 1 FROM conversations c WHERE " + where +
			" AND c.status = 'open' AND c.id <> $2 AND " + unreadFor + " LIMIT $3) n)"
	}
	err = db.read.QueryRowContext(ctx, "SELECT "+count("c.assignee_id = $1")+", "+count("c.assignee_id IS NULL")+", "+count("TRUE"),
		agentID, except, limit).Scan(&u.Mine, &u.Unassigned, &u.Open)
	return u, err
}
