package store

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/parleyhq/parley/internal/parley"
)

// AppendEvent adds ev to the event log in this transaction. The row is
// written at the end of the caller's batch, with every other caller's
// events in one insert, just before the commit; ev.Seq is set then.
// data, if not nil, is stored as JSON.
func (tx *Tx) AppendEvent(ev *parley.Event, data any) error {
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			return err
		}
		ev.Data = b
	}
	ev.CreatedAt = tx.now
	tx.events = append(tx.events, ev)
	return nil
}

// Events returns up to limit events with seq greater than after, oldest first.
func (db *DB) Events(ctx context.Context, after int64, limit int) (_ []parley.Event, err error) {
	defer wrap(&err, "store: Events(%d)", after)
	rows, err := db.read.QueryContext(ctx, `SELECT seq, type, conversation_id, contact_id, message_id, agent_id, data, created_at
		FROM events WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []parley.Event
	for rows.Next() {
		var e parley.Event
		var conv, contact, msg, agent sql.NullInt64
		var created int64
		var data string
		if err := rows.Scan(&e.Seq, &e.Type, &conv, &contact, &msg, &agent, &data, &created); err != nil {
			return nil, err
		}
		if data != "" {
			e.Data = json.RawMessage(data)
		}
		e.ConversationID, e.ContactID, e.MessageID, e.AgentID = fromNullID(conv), fromNullID(contact), fromNullID(msg), fromNullID(agent)
		e.CreatedAt = fromTS(created)
		out = append(out, e)
	}
	return out, rows.Err()
}

// LastEventSeq returns the highest committed event sequence number (0 if none).
func (db *DB) LastEventSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := db.read.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM events").Scan(&seq)
	return seq, err
}
