package store

import (
	"context"
	"database/sql"
	"time"
)

// AssistSummary is a cached summary: Body is the assistant's JSON, valid
// while the conversation's newest message is still LastMessageID.
type AssistSummary struct {
	ConversationID int64
	LastMessageID  int64
	Engine         string
	Body           string
	CreatedAt      time.Time
}

// LastMessageID returns the newest message id among the conversations (0
// when they have none): the key a cached summary is valid for.
func (db *DB) LastMessageID(ctx context.Context, conversationIDs []int64) (id int64, err error) {
	defer wrap(&err, "store: LastMessageID")
	if len(conversationIDs) == 0 {
		return 0, nil
	}
	args := make([]any, len(conversationIDs))
	for i, c := range conversationIDs {
		args[i] = c
	}
	var n sql.NullInt64
	err = db.read.QueryRowContext(ctx, "SELECT MAX(id) FROM messages WHERE conversation_id IN ("+
		placeholders(1, len(args))+")", args...).Scan(&n)
	return n.Int64, err
}

// ContactConversationIDs returns the ids of a contact's latest
// conversations, newest first, at most limit.
func (db *DB) ContactConversationIDs(ctx context.Context, contactID int64, limit int) (_ []int64, err error) {
	defer wrap(&err, "store: ContactConversationIDs(%d)", contactID)
	rows, err := db.read.QueryContext(ctx, "SELECT id FROM conversations WHERE contact_id = $1 ORDER BY id DESC LIMIT $2", contactID, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
}

// AssistSummary returns the cached summary of a conversation; ok is false
// when there is none.
func (db *DB) AssistSummary(ctx context.Context, conversationID int64) (s AssistSummary, ok bool, err error) {
	defer wrap(&err, "store: AssistSummary(%d)", conversationID)
	var created int64
	err = db.read.QueryRowContext(ctx, `SELECT conversation_id, last_message_id, engine, body, created_at
		FROM assist_summaries WHERE conversation_id = $1`, conversationID).
		Scan(&s.ConversationID, &s.LastMessageID, &s.Engine, &s.Body, &created)
	if err == sql.ErrNoRows {
		return s, false, nil
	}
	s.CreatedAt = fromTS(created)
	return s, err == nil, err
}

// PutAssistSummary stores a conversation's summary, replacing an older
// one; a summary of an older last message never replaces a newer one (two
// requests may race).
func (tx *Tx) PutAssistSummary(s AssistSummary) (err error) {
	defer wrap(&err, "store: PutAssistSummary(%d)", s.ConversationID)
	_, err = tx.exec(`INSERT INTO assist_summaries (conversation_id, last_message_id, engine, body, created_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (conversation_id) DO UPDATE SET last_message_id = excluded.last_message_id,
			engine = excluded.engine, body = excluded.body, created_at = excluded.created_at
		WHERE assist_summaries.last_message_id <= excluded.last_message_id`,
		s.ConversationID, s.LastMessageID, s.Engine, s.Body, ts(tx.now))
	return err
}

// DraftSet is one set of drafts shown to an agent, and what became of it.
type DraftSet struct {
	ID             int64
	ConversationID int64
	InboxID        int64
	AgentID        *int64
	LastMessageID  int64
	Engine         string
	Body           string // the drafts as JSON
	Shown          int    // how many drafts were shown
	UsedIndex      *int
	MessageID      *int64
	EditDistance   *int
	EditRatio      *float64
	UsedAt         *time.Time
	CreatedAt      time.Time
}

// CreateDraftSet records drafts shown to an agent.
func (tx *Tx) CreateDraftSet(d *DraftSet) (err error) {
	defer wrap(&err, "store: CreateDraftSet")
	d.CreatedAt = tx.now
	return tx.queryRow(`INSERT INTO assist_drafts (conversation_id, inbox_id, agent_id, last_message_id, engine, body, shown, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		d.ConversationID, d.InboxID, idPtr(d.AgentID), d.LastMessageID, d.Engine, d.Body, d.Shown, ts(tx.now)).Scan(&d.ID)
}

// DraftSet returns one set of drafts. Returns ENOTFOUND if there is none.
func (db *DB) DraftSet(ctx context.Context, id int64) (d DraftSet, err error) {
	defer wrap(&err, "store: DraftSet(%d)", id)
	var agent, msg, used sql.NullInt64
	var idx, dist sql.NullInt64
	var ratio sql.NullFloat64
	var created int64
	err = db.read.QueryRowContext(ctx, `SELECT id, conversation_id, inbox_id, agent_id, last_message_id, engine, body, shown,
			used_index, message_id, edit_distance, edit_ratio, used_at, created_at
		FROM assist_drafts WHERE id = $1`, id).Scan(&d.ID, &d.ConversationID, &d.InboxID, &agent, &d.LastMessageID,
		&d.Engine, &d.Body, &d.Shown, &idx, &msg, &dist, &ratio, &used, &created)
	if err != nil {
		return d, notFound(err, "draft set", id)
	}
	d.AgentID, d.MessageID, d.UsedAt, d.CreatedAt = fromNullID(agent), fromNullID(msg), fromNullTS(used), fromTS(created)
	if idx.Valid {
		i := int(idx.Int64)
		d.UsedIndex = &i
	}
	if dist.Valid {
		i := int(dist.Int64)
		d.EditDistance = &i
	}
	if ratio.Valid {
		d.EditRatio = &ratio.Float64
	}
	return d, nil
}

// UseDraft records that a draft of the set became a sent message, and how
// much it was edited first. A set is used once: ok is false when it
// already was (a retried send records nothing new).
func (tx *Tx) UseDraft(id int64, index int, messageID int64, distance int, ratio float64) (ok bool, err error) {
	defer wrap(&err, "store: UseDraft(%d)", id)
	res, err := tx.exec(`UPDATE assist_drafts SET used_index = $1, message_id = $2, edit_distance = $3, edit_ratio = $4, used_at = $5
		WHERE id = $6 AND used_index IS NULL`, index, messageID, distance, ratio, ts(tx.now), id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// DraftStat is how drafts fared for one agent in one inbox over a period.
type DraftStat struct {
	InboxID   int64
	AgentID   *int64
	Sets      int     // times drafts were asked for
	Shown     int     // drafts shown
	Used      int     // drafts sent (after any edit)
	MeanRatio float64 // mean share of the draft changed before sending (0 = as drafted), over used drafts
	MeanEdit  float64 // mean edit distance in characters, over used drafts
}

// DraftStats sums draft use per inbox and agent for sets created in
// [from, to).
func (db *DB) DraftStats(ctx context.Context, from, to time.Time) (_ []DraftStat, err error) {
	defer wrap(&err, "store: DraftStats")
	q := `SELECT inbox_id, agent_id, COUNT(*), SUM(shown), COUNT(used_index),
			COALESCE(AVG(edit_ratio), 0), COALESCE(AVG(edit_distance), 0)
		FROM assist_drafts WHERE created_at >= $1 AND created_at < $2`
	q += " GROUP BY inbox_id, agent_id ORDER BY inbox_id, agent_id"
	rows, err := db.read.QueryContext(ctx, q, ts(from), ts(to))
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (DraftStat, error) {
		var s DraftStat
		var agent sql.NullInt64
		err := r.Scan(&s.InboxID, &agent, &s.Sets, &s.Shown, &s.Used, &s.MeanRatio, &s.MeanEdit)
		s.AgentID = fromNullID(agent)
		return s, err
	})
}
