package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// SearchFilter narrows a full-text search.
type SearchFilter struct {
	Query      string
	Status     parley.Status
	InboxID    int64
	AssigneeID int64
	ContactID  int64
	From, To   time.Time // message created_at in [From, To); zero means open-ended
	BeforeID   int64     // continue after the last message of a previous page
	Limit      int
}

// SearchResult is a message that matched, with its conversation's status.
type SearchResult struct {
	parley.Message
	InboxID   int64         `json:"inbox_id"`
	ContactID int64         `json:"contact_id"`
	Status    parley.Status `json:"conversation_status"`
}

// SearchPage is one page of results. Incomplete says the newest Pending
// messages were not searched: they were waiting for the full-text index
// (SQLite, after a bulk load), which a search never waits for.
type SearchPage struct {
	Results    []SearchResult
	Incomplete bool
	Pending    int64
}

// The search plans' thresholds (docs/ARCHITECTURE.md, "Search with no slow
// corners", has the measurements behind them). Variables only so that
// tests can exercise every plan on a small database.
var (
	// narrowMessages: when a contact or assignee filter leaves at most
	// this many messages, the search starts from them and tests each
	// against the text query, instead of walking the text matches newest
	// first and testing each against the filter.
	narrowMessages = 5000
	// narrowMessagesPG is narrowMessages on PostgreSQL, where the walk
	// tests each row's stored tsvector and costs more per row than FTS5's
	// doclists, and listing a filter's messages costs ~2.5 µs each: at
	// 2,000,000 messages an agent with 11,600 conversations took 57 ms by
	// the walk and 30 ms from the list.
	narrowMessagesPG = 15000
	// rareMatches (PostgreSQL): a query with at most this many matches is
	// answered from the index's match list, sorted; a commoner one by
	// walking messages newest first, which finds a page of matches
	// within a few hundred rows.
	rareMatches = 5000
	// commonEstimate (PostgreSQL): when the planner's statistics expect
	// at least this many matches, the query is common beyond doubt and
	// the bounded count is skipped. Counting even to rareMatches builds
	// the GIN index's whole bitmap of matches, which for a word in 8% of
	// 2,000,000 messages is 20–26 ms, and grows with the table; the
	// estimate costs one planning round trip (about 1 ms). A word the
	// statistics do not know is estimated low, so it is still counted.
	commonEstimate = 50_000.0
	// windowScan: a time-limited search reads the ids of the window's
	// messages from the created_at index to bound its walk, when the
	// window holds at most this many; a longer window is left unbounded,
	// since its matches are spread through it and a page is found soon.
	windowScan = 100_000
	// inlineIndexMax (SQLite): a search indexes a backlog this small
	// itself, so a message from a moment ago is found; a larger one is
	// left to the background indexer and the page says it is incomplete.
	inlineIndexMax = 2000
)

// Search finds messages whose text has every word of the query, newest
// first. Newest-first keeps the cost flat however common the words are;
// relevance ranking over millions of matches would not. The plan is
// chosen per search, from the filters and bounded counts, so that no
// combination walks the whole table: see searchPlan.
func (db *DB) Search(ctx context.Context, f SearchFilter) (page SearchPage, err error) {
	defer wrap(&err, "store: Search")
	words, prefix := searchWords(f.Query)
	if len(words) == 0 {
		return page, parley.Errorf(parley.EINVALID, "search needs at least one word")
	}
	if f.Limit <= 0 || f.Limit > 101 {
		f.Limit = 25
	}
	if db.dialect.deferredSearchIndex {
		if page.Pending, err = db.searchBacklog(ctx); err != nil {
			return page, err
		}
		switch {
		case page.Pending > int64(inlineIndexMax):
			page.Incomplete = true
			db.indexer.wake()
		case page.Pending > 0:
			if _, err := db.indexSearchChunk(ctx, inlineIndexMax); err != nil {
				return page, err
			}
			page.Pending = 0
		}
	}
	fts := db.dialect.ftsQuery(words, prefix)
	// A window far back would otherwise be reached by passing every newer
	// match (0.4–0.9 s for a week a year ago at 2,000,000 messages): bound
	// the walk by the window's first and last message ids.
	var lo, hi int64
	if !f.From.IsZero() || !f.To.IsZero() {
		var n int
		if n, lo, hi, err = db.windowIDs(ctx, f.From, f.To); err != nil {
			return page, err
		}
		if n == 0 {
			page.Results = []SearchResult{}
			return page, nil
		}
	}
	// A contact or an assignee may leave few messages: then start from
	// them and test each, instead of walking the text's matches newest
	// first and testing each against the filter (which passes every match
	// when the filter is narrow).
	// On PostgreSQL an assignee alone is not narrowed this way: the text
	// index holds each message's assignee, so the agent and the words
	// are read together from it (or, for a busy agent, the walk below
	// finds a page soon).
	pg := db.dialect.name == "postgres"
	narrow := 0
	if f.ContactID != 0 || (f.AssigneeID != 0 && !pg) {
		// Conversations first: counting them reads one index, where
		// counting their messages costs a lookup each, so a broad filter
		// is recognised for little.
		limit := narrowMessages
		if db.dialect.name == "postgres" {
			limit = narrowMessagesPG
		}
		var cq query
		cf := SearchFilter{Status: f.Status, AssigneeID: f.AssigneeID, ContactID: f.ContactID}
		n, err := db.boundedCount(ctx, "SELECT c.id FROM conversations c"+searchConditions(&cq, cf, false).clause(), cq.args, limit)
		if err != nil {
			return page, err
		}
		if n <= limit {
			narrow = limit
		}
	}
	var q query
	var sqlText string
	if pg {
		// PostgreSQL walks the primary key backwards testing each row when
		// it expects many matches, which passes the whole table for a word
		// that matches nothing. Unless the planner's statistics already
		// call the query common, one pass over the index reads its matches
		// if there are at most rareMatches; then the page is the newest of
		// those that pass the filters, read along the primary key from
		// that list (one index pass, where counting and then selecting
		// took two: 30–50 ms for two or three words at 2,000,000 messages).
		// A rare query goes this way even with a narrow filter: its few
		// matches cost less than the filter's messages.
		//
		// An assignee is read from the same index (its first column), so
		// an agent's matches are listed together when the planner expects
		// few of them: the walk would pass every other agent's matches,
		// and the planner, assuming an agent's messages are spread evenly
		// through time, often picks it anyway (3–4 s cold for an agent
		// with 0.6% of the conversations). A busy agent's are many and
		// the walk finds a page soon.
		matches, args, gate := "SELECT 1 FROM messages m WHERE "+db.dialect.searchOne("$1"), []any{fts}, commonEstimate
		if f.AssigneeID != 0 {
			matches, args, gate = matches+" AND m.assignee_id = $2", append(args, f.AssigneeID), float64(rareMatches)
		}
		est, err := db.estimateRows(ctx, matches, args...)
		if err != nil {
			return page, err
		}
		// Between rare and common, the match list would overflow more
		// often than not: first look among the newest messages.
		if est >= float64(rareMatches) && est < gate && !prefix {
			results, ok, err := db.searchNewest(ctx, f, words, fts, est)
			if err != nil {
				return page, err
			}
			if ok {
				page.Results = results
				return page, nil
			}
		}
		if est < gate {
			ids, err := db.queryIDs(ctx, strings.Replace(matches, "SELECT 1", "SELECT m.id", 1)+
				" LIMIT "+strconv.Itoa(rareMatches+1), args...)
			if err != nil {
				return page, err
			}
			if len(ids) == 0 {
				page.Results = []SearchResult{}
				return page, nil
			}
			if len(ids) <= rareMatches {
				q = query{args: []any{ids}, where: []string{"m.id = ANY($1)"}}
				searchConditions(&q, f, pg)
				sqlText = "SELECT " + messageColumns + ", c.inbox_id, c.contact_id, c.status FROM messages m" +
					" JOIN conversations c ON c.id = m.conversation_id" + q.clause() + " ORDER BY m.id DESC LIMIT " + q.next(f.Limit)
			}
		}
	}
	if sqlText == "" && narrow > 0 {
		var q query
		ids, err := db.queryIDs(ctx, "SELECT m.id FROM conversations c JOIN messages m ON m.conversation_id = c.id"+
			searchConditions(&q, f, false).clause()+" ORDER BY m.id DESC LIMIT "+strconv.Itoa(narrow+1), q.args...)
		if err != nil {
			return page, err
		}
		if len(ids) <= narrow { // not a few long threads
			page.Results, err = db.searchAmong(ctx, ids, f.Limit, newTextMatcher(words, prefix), fts)
			return page, err
		}
	}
	if sqlText == "" {
		q = query{args: []any{fts}, where: []string{db.dialect.searchWhere}}
		// On the walk's own id, so that SQLite starts and stops the walk
		// there rather than passing every newer match.
		if f.BeforeID > 0 {
			q.add(db.dialect.searchID+" < ?", f.BeforeID)
			f.BeforeID = 0
		}
		if hi > 0 {
			q.add(db.dialect.searchID+" <= ?", hi)
		}
		if lo > 0 {
			q.add(db.dialect.searchID+" >= ?", lo)
		}
		searchConditions(&q, f, pg)
		sqlText = "SELECT " + messageColumns + ", c.inbox_id, c.contact_id, c.status FROM " + db.dialect.searchFrom +
			" JOIN conversations c ON c.id = m.conversation_id" + q.clause() + " ORDER BY " + db.dialect.searchOrder + " LIMIT " + q.next(f.Limit)
	}
	page.Results, err = db.searchRows(ctx, sqlText, q.args)
	return page, err
}

// searchAmong returns the newest limit of the candidate messages (ids
// newest first) whose text matches, testing them a batch at a time.
func (db *DB) searchAmong(ctx context.Context, ids []int64, limit int, m textMatcher, fts string) ([]SearchResult, error) {
	const batch = 500
	var hits []int64
	for start := 0; start < len(ids) && len(hits) < limit; start += batch {
		list := inList(ids[start:min(len(ids), start+batch)])
		var found []int64
		if db.dialect.deferredSearchIndex {
			// SQLite: testing a rowid against FTS5 reads every segment of
			// every term's doclist (~0.2 ms a message at 2M messages);
			// reading the texts and tokenizing them here is fifty times
			// cheaper. textMatcher tokenizes as the index does.
			rows, err := db.read.QueryContext(ctx, "SELECT id, text FROM messages WHERE id IN ("+list+")")
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var id int64
				var text string
				if err := rows.Scan(&id, &text); err != nil {
					rows.Close()
					return nil, err
				}
				if m.match(text) {
					found = append(found, id)
				}
			}
			if err := rows.Close(); err != nil {
				return nil, err
			}
		} else {
			var err error
			if found, err = db.queryIDs(ctx, "SELECT m.id FROM messages m WHERE m.id IN ("+list+") AND "+db.dialect.searchOne("$1"), fts); err != nil {
				return nil, err
			}
		}
		// Batches are disjoint and in order, so sorting each keeps the whole newest first.
		slices.SortFunc(found, func(a, b int64) int { return cmp.Compare(b, a) })
		hits = append(hits, found...)
	}
	if len(hits) == 0 {
		return []SearchResult{}, nil
	}
	hits = hits[:min(len(hits), limit)]
	return db.searchRows(ctx, "SELECT "+messageColumns+", c.inbox_id, c.contact_id, c.status FROM messages m JOIN conversations c ON c.id = m.conversation_id"+
		" WHERE m.id IN ("+inList(hits)+") ORDER BY m.id DESC", nil)
}

// inList writes ids (the database's own, never a caller's text) for an
// IN (…) list.
func inList(ids []int64) string {
	b := make([]byte, 0, len(ids)*8)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(b)
}

// queryIDs returns the first column of a query's rows.
func (db *DB) queryIDs(ctx context.Context, sqlText string, args ...any) ([]int64, error) {
	rows, err := db.read.QueryContext(ctx, sqlText, db.planned(args)...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (id int64, err error) { return id, r.Scan(&id) })
}

// windowIDs returns how many messages were created in [from, to) and the
// lowest and highest of their ids, read from the created_at index. Past
// windowScan messages it stops and returns zero bounds (no bound) with
// n > 0. An open end is not bounded: the newest messages keep arriving.
func (db *DB) windowIDs(ctx context.Context, from, to time.Time) (n int, lo, hi int64, err error) {
	var q query
	if !from.IsZero() {
		q.add("created_at >= ?", ts(from))
	}
	if !to.IsZero() {
		q.add("created_at < ?", ts(to))
	}
	var first, last sql.NullInt64
	err = db.read.QueryRowContext(ctx, "SELECT COUNT(*), MIN(id), MAX(id) FROM (SELECT id FROM messages"+q.clause()+
		" LIMIT "+strconv.Itoa(windowScan+1)+") AS w", db.planned(q.args)...).Scan(&n, &first, &last)
	if err != nil || n == 0 || n > windowScan {
		return n, 0, 0, err
	}
	lo, hi = first.Int64, last.Int64
	if from.IsZero() {
		lo = 0
	}
	if to.IsZero() {
		hi = 0
	}
	return n, lo, hi, nil
}

// planned puts the dialect's plan-each-time option before args.
func (db *DB) planned(args []any) []any {
	if len(db.dialect.planEachTime) == 0 {
		return args
	}
	return append(slices.Clip(db.dialect.planEachTime), args...)
}

// boundedCount counts the rows of a query, stopping past limit.
func (db *DB) boundedCount(ctx context.Context, sqlText string, args []any, limit int) (n int, err error) {
	err = db.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM ("+sqlText+" LIMIT "+strconv.Itoa(limit+1)+") AS bounded", db.planned(args)...).Scan(&n)
	return n, err
}

// estimateRows returns how many rows PostgreSQL's planner expects a query
// to return, from its statistics, without running it.
func (db *DB) estimateRows(ctx context.Context, sqlText string, args ...any) (n float64, err error) {
	var plan []byte
	if err := db.read.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+sqlText, args...).Scan(&plan); err != nil {
		return 0, err
	}
	var out []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		}
	}
	if err := json.Unmarshal(plan, &out); err != nil || len(out) == 0 {
		return 0, fmt.Errorf("reading the plan's row estimate: %v", err)
	}
	return out[0].Plan.Rows, nil
}

// searchConditions adds the filter's conditions on m (messages) and c
// (conversations) to q. With onMessage the assignee is tested on the
// message's own copy (PostgreSQL: the text index has it as its first
// column, so one index answers an agent's words).
func searchConditions(q *query, f SearchFilter, onMessage bool) *query {
	if f.Status != "" {
		q.add("c.status = ?", f.Status)
	}
	if f.InboxID != 0 {
		q.add("m.inbox_id = ?", f.InboxID)
	}
	if f.AssigneeID != 0 && onMessage {
		q.add("m.assignee_id = ?", f.AssigneeID)
	} else if f.AssigneeID != 0 {
		q.add("c.assignee_id = ?", f.AssigneeID)
	}
	if f.ContactID != 0 {
		q.add("c.contact_id = ?", f.ContactID)
	}
	// "+ 0" keeps the planner off the created_at index, which only
	// windowIDs reads: scanning a window through it tests every message
	// in it (60 ms for a week at 2M messages, chosen by PostgreSQL's
	// generic plan), where the walk along the ids stops after a page.
	if !f.From.IsZero() {
		q.add("m.created_at + 0 >= ?", ts(f.From))
	}
	if !f.To.IsZero() {
		q.add("m.created_at + 0 < ?", ts(f.To))
	}
	if f.BeforeID > 0 {
		q.add("m.id < ?", f.BeforeID)
	}
	return q
}

func (db *DB) searchRows(ctx context.Context, sqlText string, args []any) ([]SearchResult, error) {
	rows, err := db.read.QueryContext(ctx, sqlText, db.planned(args)...)
	if err != nil {
		return nil, err
	}
	results, err := collect(rows, func(r *sql.Rows) (SearchResult, error) {
		var s SearchResult
		var agent, contact sql.NullInt64
		var ext sql.NullString
		var created int64
		var omitted string
		err := r.Scan(&s.ID, &s.ConversationID, &s.Message.InboxID, &s.Direction, &agent, &contact, &s.Text, &ext, &s.DeliveryState, &s.DeliveryError, &s.Automated, &created,
			&omitted, &s.InboxID, &s.ContactID, &s.Status)
		s.AuthorAgentID, s.AuthorContactID, s.ExternalID, s.CreatedAt = fromNullID(agent), fromNullID(contact), ext.String, fromTS(created)
		s.Attachments = []parley.Attachment{}
		if err == nil {
			s.Omitted, err = decodeOmitted(omitted)
		}
		return s, err
	})
	if err != nil || len(results) == 0 {
		return results, err
	}
	msgs := make([]parley.Message, len(results))
	for i := range results {
		msgs[i] = results[i].Message
	}
	if err := db.loadAttachments(ctx, msgs); err != nil {
		return nil, err
	}
	for i := range results {
		results[i].Attachments = msgs[i].Attachments
	}
	return results, nil
}
