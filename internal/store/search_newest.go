package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync/atomic"
)

// probeRows (PostgreSQL) caps how many of the newest messages a common
// query's first try walks. The walk tests each row's tsvector: 5,207
// rows that matched nothing took 8.8 ms at 2,000,000 messages (21 ms far
// back, cold), the cost a try that finds too few adds before the search
// goes on as it would have. Variables, as the thresholds in search.go,
// only so that tests can reach both outcomes on a small database.
var probeRows int64 = 6000

// probeSpread is how many pages' worth of rows, at the estimated
// density of matches, the first try walks.
var probeSpread = 2.0

// probes counts the tries and those that answered (for tests).
var probes struct{ tried, answered atomic.Int64 }

// searchNewest (PostgreSQL) answers a query the planner expects to match
// too often for its match list to be read (more than rareMatches), but
// not so often that it is common beyond doubt (commonEstimate), from the
// newest messages alone. Listing such a query's matches builds the GIN
// bitmap and fetches up to rareMatches rows only to find there are more,
// and the walk then finds the page anyway: 25–35 ms for "refund
// warranty" at 2,000,000 messages, p99 up to 50. The walk over the newest
// messages is bounded instead, to twice the rows that should hold a page
// at the estimated density, and answers when it finds a full page (those
// are the newest matches of all, since every later row was tested) or
// when it reached the first message.
//
// The estimate is trusted only when the statistics know every word of
// the query (each is among the column's most common elements). A word
// they do not know is estimated at a fixed fraction of the table, and a
// word that matches nothing must still go by its (empty) match list. Two
// known words that seldom meet are estimated too high; then the bounded
// walk finds too few and the search goes on as before, the try's cost
// added. ok is false whenever the try did not answer.
func (db *DB) searchNewest(ctx context.Context, f SearchFilter, words []string, fts string, est float64) (results []SearchResult, ok bool, err error) {
	if f.Status != "" || f.InboxID != 0 || f.ContactID != 0 || f.AssigneeID != 0 || !f.From.IsZero() || !f.To.IsZero() {
		return nil, false, nil // a filter thins the matches the estimate counts
	}
	var top sql.NullInt64
	var known bool
	err = db.read.QueryRowContext(ctx, `SELECT (SELECT MAX(id) FROM messages), NOT EXISTS (
		SELECT 1 FROM unnest(tsvector_to_array(to_tsvector('simple', $1))) AS w(lexeme)
		WHERE w.lexeme <> ALL (COALESCE((SELECT most_common_elems::text::text[] FROM pg_stats
			WHERE schemaname = current_schema() AND tablename = 'messages' AND attname = 'search'), '{}')))`,
		strings.Join(words, " ")).Scan(&top, &known)
	if err != nil || !known || !top.Valid {
		return nil, false, err
	}
	rows := int64(probeSpread*float64(f.Limit)*float64(top.Int64)/est) + 1
	if rows > probeRows {
		return nil, false, nil // too sparse for a page among the newest
	}
	if f.BeforeID > 0 {
		top.Int64 = min(top.Int64, f.BeforeID-1)
	}
	probes.tried.Add(1)
	q := query{args: []any{fts}, where: []string{db.dialect.searchWhere}}
	q.add("m.id <= ?", top.Int64)
	q.add("m.id > ?", top.Int64-rows)
	results, err = db.searchRows(ctx, "SELECT "+messageColumns+", c.inbox_id, c.contact_id, c.status FROM messages m"+
		" JOIN conversations c ON c.id = m.conversation_id"+q.clause()+" ORDER BY m.id DESC LIMIT "+strconv.Itoa(f.Limit), q.args)
	if err != nil || (len(results) < f.Limit && top.Int64-rows > 0) {
		return nil, false, err // older matches may be missing
	}
	probes.answered.Add(1)
	return results, true, nil
}
