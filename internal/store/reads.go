package store

import (
	"context"
	"database/sql"
	"time"
)

// MarkRead records that an agent has a conversation open now: customer
// messages up to now are read for them.
func (db *DB) MarkRead(ctx context.Context, agentID, conversationID int64) error {
	return db.Write(ctx, func(tx *Tx) error {
		_, err := tx.exec(`INSERT INTO conversation_reads (agent_id, conversation_id, read_at) VALUES ($1, $2, $3)
			ON CONFLICT (agent_id, conversation_id) DO UPDATE SET read_at = excluded.read_at`, agentID, conversationID, ts(tx.now))
		return wrapErr("store: MarkRead", err)
	})
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
