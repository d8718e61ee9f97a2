package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

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

// Reading the log without skipping a late commit.
//
// On SQLite one writer commits the log in sequence order. On PostgreSQL
// many transactions (four writers per process, any number of processes)
// insert events side by side, and a sequence number is drawn when the row
// is inserted, not when it commits: seq 11 can commit after seq 12. A
// reader that saw 12 and moved its cursor past it would never see 11. So a
// reader stops at a hole, and passes it only once the hole is settled:
// filled by its commit, or certainly never to be (its transaction rolled
// back).
//
// Why waiting for the appenders in flight settles every hole below the
// highest seq read (the proof docs/ARCHITECTURE.md refers to). A batch
// takes the log's lock, shared, before it inserts events (flush.go), so
// the transaction holding hole g held the lock before it drew g. g was
// drawn before any higher number h (the sequence only grows), and h's
// transaction committed before the read that saw h. So g's transaction
// held the lock before that read ended. Once every transaction holding it
// then has ended (settle), g has either committed, and a new read sees
// it, or never will.

// settleWait bounds how long a read waits for the transactions holding a
// hole to end before returning the events before the hole; the reader
// comes back for the rest (its next wake-up or poll). Parley's write
// transactions last milliseconds; only a foreign long transaction on the
// same database waits this long.
var settleWait = 2 * time.Second

// Events returns up to limit events with seq greater than after, oldest
// first, stopping before any hole that may still be filled (see above):
// an event never appears after a later one has been returned. What the
// process read last is answered from memory (recent.go).
func (db *DB) Events(ctx context.Context, after int64, limit int) (_ []parley.Event, err error) {
	defer wrap(&err, "store: Events(%d)", after)
	if limit <= 0 {
		return nil, nil
	}
	held, after, limit := db.recent.takeAll(after, limit)
	if limit == 0 {
		return held, nil
	}
	var n int64
	if atEnd, seen := db.recent.arrive(after); atEnd {
		// Readers at the end of what was read take turns, so that the
		// readers one commit wakes make one query between them (recent.go).
		if err := db.recent.waitTurn(ctx); err != nil {
			return nil, err
		}
		defer db.recent.endTurn()
		if more, ok := db.recent.answered(after, limit, seen); ok {
			return append(held, more...), nil
		}
		n = db.recent.begin()
	}
	db.recent.reads.Add(1)
	more, err := db.settledEvents(ctx, after, limit)
	if err != nil {
		return nil, err
	}
	db.recent.add(after, more, n, len(more) < limit)
	return append(held, more...), nil
}

// settledEvents reads the log for Events.
func (db *DB) settledEvents(ctx context.Context, after int64, limit int) ([]parley.Event, error) {
	first, err := db.readEvents(ctx, after, limit)
	if err != nil || !db.dialect.holesInLog {
		return first, err
	}
	if hole := firstHole(first, after); hole == len(first) {
		return first, nil
	}
	settled, err := db.settle(ctx)
	if err != nil || !settled {
		return first[:firstHole(first, after)], err
	}
	// Every hole below the first read's highest seq is now settled; above
	// it, newer transactions may be in flight again.
	highest := first[len(first)-1].Seq
	again, err := db.readEvents(ctx, after, limit)
	if err != nil {
		return nil, err
	}
	n := 0
	for n < len(again) && again[n].Seq <= highest {
		n++
	}
	prev := after
	if n > 0 {
		prev = again[n-1].Seq
	}
	return again[:n+firstHole(again[n:], prev)], nil
}

// firstHole returns how many of evs follow after with no number missing.
func firstHole(evs []parley.Event, after int64) int {
	for i, e := range evs {
		if e.Seq != after+int64(i)+1 {
			return i
		}
	}
	return len(evs)
}

// settle waits until every transaction that was appending events to this
// log when settle was called has ended (true), or settleWait passes
// (false). On SQLite there is nothing to wait for.
//
// Such a transaction holds the log's advisory lock in shared mode from
// before it draws its numbers until after its commit is visible to new
// snapshots (PostgreSQL releases locks after it ends the transaction), so
// the holders listed in pg_locks now are all the transactions that may
// still fill a hole below what was read. Shared holders never wait for
// one another, and nothing else in the database (a long report, another
// schema's writers) counts.
func (db *DB) settle(ctx context.Context) (bool, error) {
	if !db.dialect.holesInLog {
		return true, nil
	}
	// An advisory lock on a bigint key shows as classid (high half), objid
	// (low half) and objsubid 1.
	hi, lo := uint32(uint64(db.eventsKey)>>32), uint32(uint64(db.eventsKey))
	const holders = `SELECT virtualtransaction FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid = $2
		AND objsubid = 1 AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`
	rows, err := db.read.QueryContext(ctx, holders, int64(hi), int64(lo))
	if err != nil {
		return false, err
	}
	inFlight, err := collect(rows, func(r *sql.Rows) (string, error) {
		var s string
		return s, r.Scan(&s)
	})
	if err != nil {
		return false, err
	}
	deadline := time.Now().Add(settleWait)
	for pause := 100 * time.Microsecond; len(inFlight) > 0; pause = min(2*pause, 20*time.Millisecond) {
		if time.Now().After(deadline) {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(pause):
		}
		var still bool
		if err := db.read.QueryRowContext(ctx, `SELECT EXISTS (`+holders+` AND virtualtransaction = ANY($3))`,
			int64(hi), int64(lo), inFlight).Scan(&still); err != nil {
			return false, err
		}
		if !still {
			return true, nil
		}
	}
	return true, nil
}

func (db *DB) readEvents(ctx context.Context, after int64, limit int) ([]parley.Event, error) {
	rows, err := db.queryRead(ctx, `SELECT seq, type, conversation_id, contact_id, message_id, agent_id, data, created_at
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

// LastEventSeq returns the highest event sequence number (0 if none) below
// which the log is settled: every event numbered up to it that will ever
// commit has committed, so a reader starting after it misses nothing that
// a read made now does not already show.
func (db *DB) LastEventSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := db.read.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM events").Scan(&seq); err != nil {
		return 0, err
	}
	for {
		settled, err := db.settle(ctx)
		if err != nil || settled {
			return seq, err
		}
		// A foreign transaction has been open for settleWait: keep
		// waiting while the caller does (the caller's deadline decides).
	}
}
