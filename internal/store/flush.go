package store

// Rows per multi-row statement. Small enough that the statement text stays
// under the writer's cache limit (maxCachedStmtLen), so each chunk size is
// parsed once and then reused: parsing a long VALUES list every batch cost
// more than running it.
const (
	eventChunk = 16
	touchChunk = 32
	rowChunk   = 16 // a batch's queued messages and new people's rows
)

// flush writes what the batch's callers deferred: the conversations they
// touched (one update) and their events (one insert), in caller order, to
// sink. It runs last before the commit.
func (w *writer) flush(sink stmtSink, txs []*Tx) error {
	var touched []any
	seen := map[int64]bool{}
	var last *Tx
	for _, tx := range txs {
		if tx == nil {
			continue
		}
		last = tx
		for _, id := range tx.touched {
			if !seen[id] {
				seen[id] = true
				touched = append(touched, id)
			}
		}
	}
	if last == nil {
		return nil
	}
	now := ts(last.now) // the latest caller's time: activity never moves back
	if len(touched) > 0 {
		// The touch is planned for its ids and the table as it is now
		// (planTouch; see touchSQL), and the batch's other statements keep
		// their plans.
		on, off := w.db.dialect.planTouch[0], w.db.dialect.planTouch[1]
		if on != "" {
			if err := sink.exec(on); err != nil {
				return err
			}
		}
		for len(touched) > 0 {
			n := min(len(touched), touchChunk)
			args := append([]any{now}, touched[:n]...)
			if err := sink.exec(touchSQL(w.db.dialect.batchOr, n), args...); err != nil {
				return err
			}
			touched = touched[n:]
		}
		if off != "" {
			if err := sink.exec(off); err != nil {
				return err
			}
		}
	}
	type owned struct {
		tx  *Tx
		idx int
	}
	var pending []owned
	for _, tx := range txs {
		if tx == nil {
			continue
		}
		for i := range tx.events {
			pending = append(pending, owned{tx, i})
		}
	}
	if len(pending) > 0 && w.db.dialect.holesInLog {
		// The notice is delivered at the commit, to other processes' hubs
		// (listen.go). The shared lock, taken before the insert draws
		// sequence numbers and held until the commit is visible, is what
		// lets readers tell a hole that may still fill from one that never
		// will (events.go); appenders never wait for one another on it.
		if err := sink.exec("SELECT pg_advisory_xact_lock_shared($1), pg_notify($2, '')", w.db.eventsKey, w.db.channel); err != nil {
			return err
		}
	}
	rows := make([][]any, len(pending))
	for i, p := range pending {
		ev := p.tx.events[p.idx]
		rows[i] = []any{ev.Type, idPtr(ev.ConversationID), idPtr(ev.ContactID), idPtr(ev.MessageID), idPtr(ev.AgentID), string(ev.Data), ts(ev.CreatedAt)}
	}
	// Rows are numbered in the order of VALUES on both databases, and
	// RETURNING lists them in that order.
	i := 0
	return w.db.insertValues(sink, "INSERT"+w.db.dialect.batchOr+" INTO events (type, conversation_id, contact_id, message_id, agent_id, data, created_at)", rows, eventChunk,
		" RETURNING seq", func(scan func(...any) error) error {
			if i >= len(pending) {
				return nil
			}
			p := pending[i]
			if err := scan(&p.tx.events[p.idx].Seq); err != nil {
				return err
			}
			p.tx.lastSeq = max(p.tx.lastSeq, p.tx.events[p.idx].Seq)
			i++
			return nil
		})
}

// touchSQL moves the activity of n conversations ($2 …) to $1, with the
// dialect's conflict clause (or). "+ 0"
// keeps the indexes on last_activity_at out of its plan: as a condition
// it matches nearly every row, and in one 10-second run on a new database
// (statistics lagging a fast-growing table) the activity index was read
// whole, 135 times, 3.5 million entries, until this was added. The ids
// alone pick the rows. Even so, a generic plan kept from when the table
// held a few rows was a sequential scan that every touch repeated as the
// table grew; hence the dialect's planTouch around it.
func touchSQL(or string, n int) string {
	return "UPDATE" + or + " conversations SET last_activity_at = $1, updated_at = $1 WHERE id IN (" +
		placeholders(2, n) + ") AND last_activity_at + 0 < $1"
}
