package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Reads for reports (internal/report): the events a period's metrics are
// replayed from, and the attributes of the conversations they concern.

// EventClockSkew is how far created_at may run behind seq order. seq is
// assigned in commit order while created_at is the writing transaction's
// clock, so two transactions of one batch, or two processes on
// PostgreSQL, can commit slightly out of clock order. Seq ranges found by
// time are widened by this much and rows are then filtered on created_at.
const EventClockSkew = time.Minute

// reportChunk bounds IN lists (SQLite allows 32766 parameters).
const reportChunk = 500

// EventSeqAt returns the smallest seq whose event was created at or after
// t, or one past the last seq if there is none. It assumes created_at does
// not decrease along seq (see EventClockSkew) and binary-searches the seq
// primary key: about log2(events) single-row index lookups, never a scan.
func (db *DB) EventSeqAt(ctx context.Context, t time.Time) (_ int64, err error) {
	defer wrap(&err, "store: EventSeqAt(%s)", t.Format(time.RFC3339))
	var lo, hi int64
	if err := db.read.QueryRowContext(ctx, "SELECT COALESCE(MIN(seq), 1), COALESCE(MAX(seq), 0) FROM events").Scan(&lo, &hi); err != nil {
		return 0, err
	}
	want := ts(t)
	hi++ // answer in [lo, hi]; hi means "none"
	for lo < hi {
		mid := lo + (hi-lo)/2
		var seq, created int64
		err := db.read.QueryRowContext(ctx, "SELECT seq, created_at FROM events WHERE seq >= $1 ORDER BY seq LIMIT 1", mid).Scan(&seq, &created)
		if err == sql.ErrNoRows {
			hi = mid
			continue
		}
		if err != nil {
			return 0, err
		}
		if created >= want {
			hi = mid
		} else {
			lo = seq + 1
		}
	}
	return lo, nil
}

// ReportEvents returns, oldest first (by seq), every event created before
// to of each conversation that a report of [from, to) needs: those with an
// event at or after from (minus EventClockSkew), those not resolved now
// (which may have been open through the whole period without an event),
// and those whose reply-time promise falls due from from on (it may be
// broken in the period without an event). Each conversation's whole history before to is included, since
// metrics such as resolution time start before the period.
//
// Cost: finding the seq bound is a binary search; finding the
// conversations reads the conversation_id of every event since from (a
// range scan of the seq primary key) and the unresolved conversations (the
// status index); their histories are read through the
// (conversation_id, seq) index. Memory is proportional to the events of
// those conversations, not to the whole log.
func (db *DB) ReportEvents(ctx context.Context, from, to time.Time) (_ []parley.Event, err error) {
	defer wrap(&err, "store: ReportEvents")
	start, err := db.EventSeqAt(ctx, from.Add(-EventClockSkew))
	if err != nil {
		return nil, err
	}
	end, err := db.EventSeqAt(ctx, to.Add(EventClockSkew))
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT DISTINCT conversation_id FROM events WHERE seq >= $1 AND conversation_id IS NOT NULL
		UNION SELECT id FROM conversations WHERE status IN ('open', 'pending', 'snoozed')
		UNION SELECT id FROM conversations WHERE promised_reply_by >= $2`, start, ts(from))
	if err != nil {
		return nil, err
	}
	ids, err := collect(rows, func(r *sql.Rows) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
	if err != nil {
		return nil, err
	}
	var out []parley.Event
	limit := ts(to)
	for len(ids) > 0 {
		n := min(len(ids), reportChunk)
		args := make([]any, 0, n+1)
		args = append(args, end)
		for _, id := range ids[:n] {
			args = append(args, id)
		}
		ids = ids[n:]
		rows, err := db.read.QueryContext(ctx, `SELECT seq, type, conversation_id, contact_id, message_id, agent_id, data, created_at
			FROM events WHERE seq < $1 AND conversation_id IN (`+placeholders(2, n)+`) ORDER BY conversation_id, seq`, args...)
		if err != nil {
			return nil, err
		}
		evs, err := collect(rows, scanReportEvent)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			if ts(e.CreatedAt) < limit {
				out = append(out, e)
			}
		}
	}
	sortEventsBySeq(out)
	return out, nil
}

// EventsBetween returns the events created in [from, to), oldest first,
// found by seq range (see EventSeqAt) and filtered on created_at. Its cost
// and memory are proportional to the events in the range.
func (db *DB) EventsBetween(ctx context.Context, from, to time.Time) (_ []parley.Event, err error) {
	defer wrap(&err, "store: EventsBetween")
	start, err := db.EventSeqAt(ctx, from.Add(-EventClockSkew))
	if err != nil {
		return nil, err
	}
	end, err := db.EventSeqAt(ctx, to.Add(EventClockSkew))
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT seq, type, conversation_id, contact_id, message_id, agent_id, data, created_at
		FROM events WHERE seq >= $1 AND seq < $2 AND created_at >= $3 AND created_at < $4 ORDER BY seq`, start, end, ts(from), ts(to))
	if err != nil {
		return nil, err
	}
	return collect(rows, scanReportEvent)
}

func scanReportEvent(r *sql.Rows) (parley.Event, error) {
	var e parley.Event
	var conv, contact, msg, agent sql.NullInt64
	var created int64
	var data string
	if err := r.Scan(&e.Seq, &e.Type, &conv, &contact, &msg, &agent, &data, &created); err != nil {
		return e, err
	}
	if data != "" {
		e.Data = json.RawMessage(data)
	}
	e.ConversationID, e.ContactID, e.MessageID, e.AgentID = fromNullID(conv), fromNullID(contact), fromNullID(msg), fromNullID(agent)
	e.CreatedAt = fromTS(created)
	return e, nil
}

func sortEventsBySeq(evs []parley.Event) {
	// Chunks come back ordered by conversation; merge them into log order.
	slices.SortFunc(evs, func(a, b parley.Event) int {
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return 0
	})
}

// ReportConversation is what a report needs to know of a conversation to
// filter and group it: its attributes now.
type ReportConversation struct {
	ID          int64
	InboxID     int64
	ChannelType parley.ChannelType
	TeamID      *int64
	Labels      []string
	Priority    parley.Priority
	Status      parley.Status
}

// ReportConversations returns the report attributes of the given
// conversations, by id; unknown ids are left out. It reads in chunks of
// reportChunk ids through the primary keys.
func (db *DB) ReportConversations(ctx context.Context, ids []int64) (_ map[int64]ReportConversation, err error) {
	defer wrap(&err, "store: ReportConversations")
	out := make(map[int64]ReportConversation, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), reportChunk)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		ids = ids[n:]
		in := placeholders(1, n)
		rows, err := db.read.QueryContext(ctx, `SELECT c.id, c.inbox_id, i.channel_type, c.team_id, c.priority, c.status
			FROM conversations c JOIN inboxes i ON i.id = c.inbox_id WHERE c.id IN (`+in+`)`, args...)
		if err != nil {
			return nil, err
		}
		list, err := collect(rows, func(r *sql.Rows) (ReportConversation, error) {
			var c ReportConversation
			var team sql.NullInt64
			err := r.Scan(&c.ID, &c.InboxID, &c.ChannelType, &team, &c.Priority, &c.Status)
			c.TeamID = fromNullID(team)
			return c, err
		})
		if err != nil {
			return nil, err
		}
		for _, c := range list {
			out[c.ID] = c
		}
		rows, err = db.read.QueryContext(ctx, `SELECT conversation_id, label FROM conversation_labels
			WHERE conversation_id IN (`+in+`) ORDER BY conversation_id, label`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var l string
			if err := rows.Scan(&id, &l); err != nil {
				rows.Close()
				return nil, err
			}
			if c, ok := out[id]; ok {
				c.Labels = append(c.Labels, l)
				out[id] = c
			}
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
