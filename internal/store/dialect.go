package store

import (
	"strings"
	"unicode"
)

// dialect holds the SQL that differs between SQLite and PostgreSQL. Every
// other query is shared.
type dialect struct {
	name string
	// beginWrite runs first in every write transaction. On PostgreSQL it takes
	// a transaction-scoped advisory lock so that writers commit one at a
	// time across all processes: event sequence numbers are then assigned
	// in commit order, and a reader tailing the log can never skip one that
	// commits late. SQLite already has a single writer.
	beginWrite string
	// beforeWrite runs on the write pool before each write transaction
	// begins. On SQLite it keeps temporary files in memory, above all the
	// statement journals that every caller's savepoint writes to: on disk
	// they cost a pwrite system call per page changed. (It is a connection
	// setting, so it is applied each time in case the connection is new.)
	beforeWrite string
	// migrationLock and migrationUnlock keep two processes starting at once
	// from applying the same migration twice.
	migrationLock, migrationUnlock string
	// skipLocked ends a job-claiming subquery.
	skipLocked string
	// searchFrom and searchWhere select messages matching the text query,
	// bound as $1 after ftsQuery has rewritten it.
	searchFrom, searchWhere string
	// ftsQuery turns search words into the engine's query syntax.
	ftsQuery func(words []string, prefixLast bool) string
	// syncIdentity, a format taking a table name, moves the table's id
	// generator past rows inserted with explicit ids (Seed). SQLite's
	// INTEGER PRIMARY KEY needs nothing.
	syncIdentity string
	// cacheStatements keeps the writer's statements prepared across
	// transactions (writer.go). pgx caches prepared statements per
	// connection by itself.
	cacheStatements bool
}

var sqliteDialect = dialect{
	name:            "sqlite",
	cacheStatements: true,
	beforeWrite:     "PRAGMA temp_store = MEMORY",
	skipLocked:      "",
	searchFrom:      "messages_fts f JOIN messages m ON m.id = f.rowid",
	searchWhere:     "messages_fts MATCH $1",
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
}

var postgresDialect = dialect{
	name:            "postgres",
	beginWrite:      "SELECT pg_advisory_xact_lock(7215001)",
	migrationLock:   "SELECT pg_advisory_lock(7215002)",
	migrationUnlock: "SELECT pg_advisory_unlock(7215002)",
	skipLocked:      "FOR UPDATE SKIP LOCKED",
	syncIdentity:    "SELECT setval(pg_get_serial_sequence('%[1]s', 'id'), GREATEST((SELECT MAX(id) FROM %[1]s), 1))",
	searchFrom:      "messages m",
	searchWhere:     "m.search @@ to_tsquery('simple', $1)",
	ftsQuery: func(words []string, prefixLast bool) string {
		q := strings.Join(words, " & ")
		if prefixLast {
			q += ":*"
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
