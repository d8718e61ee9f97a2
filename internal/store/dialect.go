package store

import (
	"strings"
	"unicode"

	"github.com/jackc/pgx/v5"
)

// dialect holds the SQL that differs between SQLite and PostgreSQL. Every
// other query is shared.
type dialect struct {
	name string
	// holesInLog: event sequence numbers are drawn by transactions running
	// side by side, so a number can commit after a higher one; readers of
	// the log wait for such a hole to settle (events.go). SQLite's single
	// writer commits them in order.
	holesInLog bool
	// deferredSearchIndex: messages reach the full-text index through the
	// background indexer (search_index.go), not as they are inserted.
	deferredSearchIndex bool
	// writers is how many batches may be in flight at once.
	writers int
	// gatherBatches: the writer lets waiting goroutines run before it
	// gathers a small batch (writer.loop).
	gatherBatches bool
	// prefetchReceives reads ahead for a batch's received messages
	// (prefetch.go): worth it where each statement is a round trip.
	prefetchReceives bool
	// pipeline sends a batch's closing statements in one round trip
	// (pipeline.go).
	pipeline bool
	// forUpdate ends a read that a write transaction will modify, so that
	// parallel batches on PostgreSQL take turns on the row instead of
	// losing one another's updates. SQLite's single writer needs nothing.
	forUpdate string
	// lockContact ($3: a key from contactLockKey) ends the WHERE clause
	// of the read of a contact's latest conversation, so that parallel
	// batches take turns on one contact while they pick or start its
	// conversation. It is a pseudo-constant condition, which PostgreSQL
	// evaluates once, before the scan: the lock costs no round trip of
	// its own, and is taken even when the contact has no conversation.
	lockContact string
	// lockRouting makes parallel batches take turns assigning
	// conversations, so agents' capacity holds (see Tx.LockRouting).
	lockRouting string
	// migrationLock and migrationUnlock keep two processes starting at once
	// from applying the same migration twice.
	migrationLock, migrationUnlock string
	// skipLocked ends a job-claiming subquery.
	skipLocked string
	// searchFrom and searchWhere select messages matching the text query,
	// bound as $1 after ftsQuery has rewritten it.
	searchFrom, searchWhere string
	// searchOrder sorts matches newest first. On SQLite it must name the
	// FTS rowid: ordering by messages.id makes SQLite sort every match
	// before taking a page (0.6 s for a common word at 1M messages), while
	// the rowid order is the index's own (0.2 ms).
	searchOrder string
	// searchID is the message id as the text-first plan walks it: its
	// next-page and time-window bounds are put on it, so that SQLite
	// seeks in the full-text index's doclists instead of passing every
	// newer match.
	searchID string
	// searchOne tests one message m against a text query (placeholder
	// ph), for plans that start from a few candidate messages.
	searchOne func(ph string) string
	// ftsQuery turns search words into the engine's query syntax.
	ftsQuery func(words []string, prefixLast bool) string
	// syncIdentity, a format taking a table name, moves the table's id
	// generator past rows inserted with explicit ids (Seed). SQLite's
	// INTEGER PRIMARY KEY needs nothing.
	syncIdentity string
	// kbTop ranks documents matching kbQuery's text ($1) and returns the
	// best $2 as (id, score), higher better: bm25 on SQLite, ts_rank on
	// PostgreSQL, over the same precomputed terms. Only $3 matches are
	// ranked, so a broad question costs no more than a narrow one (each
	// ranking costs a few microseconds a document): SQLite ranks the
	// newest $3, walking its index backwards; PostgreSQL the first $3 its
	// bitmap scan meets. The caller keeps the matches under $3 whenever
	// the question allows (knowledge.Service.candidates), so the two
	// differ only on questions made of common words.
	kbTop   string
	kbQuery func(groups [][]string, all bool, must, mustNot []string) string
	// cacheStatements keeps the writer's statements prepared across
	// transactions (writer.go). pgx caches prepared statements per
	// connection by itself.
	cacheStatements bool
	// planEachTime, put before a query's arguments, makes the database
	// plan it for those arguments every time. PostgreSQL otherwise
	// switches a prepared statement to one generic plan after five runs,
	// and for a search the generic plan cannot tell a common word from a
	// rare one, nor a narrow id range from a wide one: it picked a bitmap
	// over every match of the word where walking the ids stops after a
	// page (65 ms against 1 ms). Planning costs a search well under a
	// millisecond.
	planEachTime []any
	// planTouch, when set, runs before and after the batch's touch of its
	// conversations (flush.go), so that the touch is planned for its ids
	// and the table as it is now, every time (see touchSQL).
	planTouch [2]string
	// lastInsertID: single-row inserts read the new id from the
	// connection instead of RETURNING (Tx.insertID).
	lastInsertID bool
	// keyCatchesRepeat: see Tx.KeyCatchesRepeat.
	keyCatchesRepeat bool
	// batchOr goes after UPDATE and INSERT in the batch's closing
	// multi-row statements (its touch, its events; flush.go). On SQLite,
	// OR FAIL keeps them from copying each page they change into a
	// statement journal: a failed one fails the whole batch, which is
	// rolled back, so the journal would never be used.
	batchOr string
}

var sqliteDialect = dialect{
	name:                "sqlite",
	writers:             1,
	gatherBatches:       true,
	deferredSearchIndex: true,
	cacheStatements:     true,
	lastInsertID:        true,
	keyCatchesRepeat:    true,
	batchOr:             " OR FAIL",
	skipLocked:          "",
	searchFrom:          "messages_fts f JOIN messages m ON m.id = f.rowid",
	searchWhere:         "messages_fts MATCH $1",
	searchOrder:         "f.rowid DESC",
	searchID:            "f.rowid",
	// FTS5 answers MATCH with a rowid constraint by seeking in each
	// term's doclist, not by reading it.
	searchOne: func(ph string) string {
		return "EXISTS (SELECT 1 FROM messages_fts WHERE messages_fts MATCH " + ph + " AND messages_fts.rowid = m.id)"
	},
	ftsQuery: func(words []string, prefixLast bool) string {
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = `"` + w + `"`
		}
		if prefixLast {
			quoted[len(quoted)-1] += "*"
		}
		return strings.Join(quoted, " ")
	},
	// bm25() is lower for better matches.
	kbTop: "SELECT id, score FROM (SELECT rowid AS id, -bm25(kb_fts) AS score FROM kb_fts WHERE kb_fts MATCH $1 ORDER BY rowid DESC LIMIT $3) ORDER BY score DESC LIMIT $2",
	kbQuery: func(groups [][]string, all bool, must, mustNot []string) string {
		q := joinGroups(groups, all, func(g []string) string { return `"` + strings.Join(g, `" OR "`) + `"` }, " OR ", " AND ")
		for _, f := range must {
			q += ` AND "` + f + `"`
		}
		for _, f := range mustNot {
			q += ` NOT "` + f + `"`
		}
		return q
	},
}

var postgresDialect = dialect{
	name:             "postgres",
	holesInLog:       true,
	writers:          4,
	prefetchReceives: true,
	pipeline:         true,
	forUpdate:        " FOR UPDATE",
	lockContact:      " AND (SELECT pg_advisory_xact_lock($3)) IS NOT NULL",
	lockRouting:      "SELECT pg_advisory_xact_lock(7215003)",
	migrationLock:    "SELECT pg_advisory_lock(7215002)",
	migrationUnlock:  "SELECT pg_advisory_unlock(7215002)",
	skipLocked:       "FOR UPDATE SKIP LOCKED",
	syncIdentity:     "SELECT setval(pg_get_serial_sequence('%[1]s', 'id'), GREATEST((SELECT MAX(id) FROM %[1]s), 1))",
	searchFrom:       "messages m",
	searchWhere:      "m.search @@ to_tsquery('simple', $1)",
	searchOrder:      "m.id DESC",
	searchID:         "m.id",
	planEachTime:     []any{pgx.QueryExecModeCacheDescribe},
	planTouch:        [2]string{"SET LOCAL plan_cache_mode = force_custom_plan", "SET LOCAL plan_cache_mode TO DEFAULT"},
	searchOne:        func(ph string) string { return "m.search @@ to_tsquery('simple', " + ph + ")" },
	ftsQuery: func(words []string, prefixLast bool) string {
		q := strings.Join(words, " & ")
		if prefixLast {
			q += ":*"
		}
		return q
	},
	// ts_rank normalised by document length (1: divided by 1 + log of
	// the length), as bm25 is on SQLite. ts_rank_cd (cover density)
	// measured a third slower per document here, for no better order
	// once the caller's coverage score is applied.
	kbTop: "SELECT m.id, ts_rank(m.search, q, 1) AS score FROM (SELECT d.id, d.search FROM kb_docs d WHERE d.search @@ to_tsquery('simple', $1) LIMIT $3) m, " +
		"to_tsquery('simple', $1) q ORDER BY score DESC LIMIT $2",
	kbQuery: func(groups [][]string, all bool, must, mustNot []string) string {
		q := joinGroups(groups, all, func(g []string) string { return strings.Join(g, " | ") }, " | ", " & ")
		for _, f := range must {
			q += " & " + f
		}
		for _, f := range mustNot {
			q += " & !" + f
		}
		return q
	},
}

// searchWords splits a user's query into lower-case words of letters and
// digits. Everything else is a separator, so no query syntax of either
// engine can be injected. A trailing * asks for a prefix match on the last word.
func searchWords(q string) (words []string, prefixLast bool) {
	q = strings.TrimSpace(q)
	prefixLast = strings.HasSuffix(q, "*")
	words = strings.FieldsFunc(strings.ToLower(q), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	if len(words) > 16 {
		words = words[:16]
	}
	return words, prefixLast && len(words) > 0
}

// joinGroups writes a knowledge query: each group's terms as alternatives,
// the groups joined by or (any) or and (all), in parentheses.
func joinGroups(groups [][]string, all bool, group func([]string) string, or, and string) string {
	parts := make([]string, len(groups))
	for i, g := range groups {
		parts[i] = "(" + group(g) + ")"
	}
	sep := or
	if all {
		sep = and
	}
	return "(" + strings.Join(parts, sep) + ")"
}

func isLetterOrDigit(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// contactLockKey places contact ids in their own range of advisory-lock
// keys, clear of the fixed keys above.
func contactLockKey(contactID int64) int64 { return 1<<40 + contactID }
