// Package store holds all of Parley's SQL, for SQLite and PostgreSQL alike.
//
// Queries are written once, in the subset of PostgreSQL that SQLite also
// runs, with $N placeholders. The few differences live in dialect.go and in
// the paired migration files. Times are stored as BIGINT Unix microseconds
// (UTC), so both databases compare and sort them the same way.
//
// Every write goes through one writer (writer.go) that commits many
// callers' work in one transaction and answers each only after the commit.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/secret"
	"github.com/parleyhq/parley/internal/sqlitepcache"
	"github.com/parleyhq/parley/internal/sqlitewal"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"
)

// DB is Parley's database: a read pool, a writer, and the dialect.
type DB struct {
	read    *sql.DB // queries; on SQLite a pool of read-only connections
	write   *sql.DB // the writer's connections; on SQLite exactly one
	dialect dialect
	writer  *writer
	ckpt    *checkpointer  // SQLite only
	indexer *searchIndexer // nil unless the dialect defers search indexing
	poolMax int            // PostgreSQL: the main pool's pool_max_conns
	// readStmts keeps hot reads prepared (SQLite; nil on PostgreSQL,
	// whose driver caches statements per connection itself).
	readStmts *readStmts
	// cache is the writer's cache of identities and latest conversations
	// (SQLite; nil on PostgreSQL, where other processes write too).
	cache *writerCache

	// Now returns the current time. Tests replace it; all times written
	// come from it, never from the database's clock.
	Now func() time.Time

	closeOnce sync.Once
	closeErr  error

	// onCommit is called after each commit that appended events, with the
	// highest sequence number committed (for live fan-out).
	onCommit []func(lastSeq int64)

	full fullState // whether writes are being refused for lack of space (full.go)

	// pgDSN and channel, on PostgreSQL, are where Listen connects and the
	// NOTIFY channel of this database's event log (listen.go).
	pgDSN, channel string
	// eventsKey is the advisory lock appenders of this log hold, shared
	// (flush.go, events.go): one per schema, like channel.
	eventsKey int64
	// recent is the stretch of the log last read, for the process's other
	// readers (recent.go).
	recent recentEvents
	// slots caps the write transactions of every process on this
	// database together (parley_cluster_writers; slots.go); nil for none.
	slots *writeSlots

	// limitsPool is where shared limits are decided (limits.go).
	limitsOnce sync.Once
	limitsPool *sql.DB

	// Secrets seals the secrets kept in Parley's own tables (secrets.go).
	// Without a key, storing one fails with secret.ErrNoKey.
	Secrets *secret.Box
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens (creating if needed) the database named by dsn, a postgres://
// URL or a SQLite file path, applies pending migrations, and starts the
// writer. Close releases it.
func Open(ctx context.Context, dsn string) (*DB, error) {
	db := &DB{Now: func() time.Time { return time.Now().UTC() }}
	var err error
	var clusterWriters int
	if IsPostgres(dsn) {
		db.dialect = postgresDialect
		var opts pgOptions
		if dsn, opts, err = parsePGOptions(dsn); err != nil {
			return nil, err
		}
		db.dialect.writers = opts.writers
		clusterWriters = opts.clusterWriters
		if db.read, err = openGuarded("pgx", dsn); err != nil {
			return nil, fmt.Errorf("store: open postgres: %w", err)
		}
		db.poolMax = opts.poolMaxConns
		db.read.SetMaxOpenConns(opts.poolMaxConns)
		db.read.SetMaxIdleConns(opts.poolMaxConns)
		db.read.SetConnMaxIdleTime(5 * time.Minute)
		db.write = db.read
	} else {
		db.dialect = sqliteDialect
		if err := os.MkdirAll(filepath.Dir(dsn), 0o750); err != nil {
			return nil, fmt.Errorf("store: create data dir: %w", err)
		}
		sqlitepcache.Install() // before the process's first connection
		sqlitewal.Install()    // after the page cache's setting, before the first connection
		if db.write, err = openGuarded("sqlite", sqliteDSN(dsn, false)); err != nil {
			return nil, fmt.Errorf("store: open sqlite: %w", err)
		}
		db.write.SetMaxOpenConns(1) // SQLite has one writer; queueing here beats SQLITE_BUSY
		db.write.SetMaxIdleConns(1)
		db.write.SetConnMaxLifetime(0)
		if db.read, err = openGuarded("sqlite", sqliteDSN(dsn, true)); err != nil {
			db.write.Close()
			return nil, fmt.Errorf("store: open sqlite: %w", err)
		}
		db.read.SetMaxOpenConns(8)
		db.read.SetMaxIdleConns(8)
		db.read.SetConnMaxLifetime(0)
		db.readStmts = &readStmts{db: db.read, m: map[string]*sql.Stmt{}}
		db.cache = newWriterCache()
	}
	if err := db.ping(ctx); err != nil {
		db.closePools()
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.closePools()
		return nil, err
	}
	if db.dialect.name == "postgres" {
		var schema string
		if err := db.read.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
			db.closePools()
			return nil, fmt.Errorf("store: read the schema: %w", err)
		}
		db.pgDSN, db.channel = dsn, eventsChannel(schema)
		db.eventsKey = eventsLockKey(db.channel)
		if clusterWriters > 0 {
			db.slots = &writeSlots{n: clusterWriters, key: slotKeyFor(db.channel)}
		}
		// Several processes on one server must fit its max_connections
		// together; one that may not is said at start, not when a
		// connection is refused under load.
		if b, err := db.ConnectionBudget(ctx); err == nil && b.Short() {
			slog.Warn("store: "+b.String()+": under load, connections will be refused. Lower pool_max_conns in the database URL, or raise max_connections (README: PostgreSQL, pool_max_conns)",
				"max_connections", b.Max, "open", b.Open, "this_process_max", b.Mine)
		}
	}
	db.writer = startWriter(db)
	if db.dialect.name == "sqlite" {
		if db.ckpt, err = startCheckpointer(dsn); err != nil {
			db.writer.stop()
			db.closePools()
			return nil, err
		}
	}
	if db.dialect.deferredSearchIndex {
		db.indexer = startSearchIndexer(db)
	}
	return db, nil
}

// sqliteDSN builds the modernc DSN: WAL so readers never block the writer,
// synchronous=NORMAL (durable across process crashes; the last commits can
// be lost only to a power cut), foreign keys on, and BEGIN IMMEDIATE on the
// write pool so a write transaction never has to upgrade its lock.
func sqliteDSN(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Temporary files, above all the statement journals that savepoints
	// write, stay in memory: on disk each costs a write call per page. Set
	// once per connection here; changing it later would expire every
	// prepared statement.
	q.Add("_pragma", "temp_store(MEMORY)")
	// A page cache well above SQLite's 2 MB default: the writer touches
	// the upper levels of every index on every message, and each miss is a
	// read system call.
	if readOnly {
		q.Add("_pragma", "cache_size(-16384)") // 16 MiB per reader
		q.Add("_pragma", "query_only(ON)")
	} else {
		q.Add("_pragma", "cache_size(-131072)") // 128 MiB for the writer
		// The writer never checkpoints the WAL itself: a background
		// connection does (checkpoint.go), off the writer's critical path.
		q.Add("_pragma", "wal_autocheckpoint(0)")
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

func (db *DB) ping(ctx context.Context) error {
	if err := db.read.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	if db.dialect.name == "sqlite" {
		// WAL is what lets readers run while the writer commits; a file
		// system that cannot do it (some network mounts) silently falls
		// back to a rollback journal, so check rather than assume.
		var mode string
		if err := db.write.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
			return fmt.Errorf("store: read journal mode: %w", err)
		}
		if !strings.EqualFold(mode, "wal") {
			return fmt.Errorf("store: SQLite journal mode is %q, not WAL; put the data dir on a local disk", mode)
		}
	}
	return nil
}

// Ping checks that the database answers (for /healthz).
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Dialect returns "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.dialect.name }

// OnCommit registers f to be called after every commit that appended
// events, with the highest committed sequence number. Register before
// serving; f must not block.
func (db *DB) OnCommit(f func(lastSeq int64)) { db.onCommit = append(db.onCommit, f) }

// Close stops the background work and the writer (after it finishes
// queued work) and closes the pools. Calling it again does nothing.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		if db.indexer != nil {
			db.indexer.stop()
		}
		if db.writer != nil {
			db.writer.stop()
		}
		if db.ckpt != nil {
			db.ckpt.stop()
		}
		db.closeErr = db.closePools()
	})
	return db.closeErr
}

func (db *DB) closePools() error {
	db.readStmts.close()
	err := db.read.Close()
	if db.limitsPool != nil && db.limitsPool != db.write {
		db.limitsPool.Close()
	}
	if db.write != db.read {
		if werr := db.write.Close(); err == nil {
			err = werr
		}
	}
	return err
}

// now returns the injected clock's time in UTC, truncated to what the
// database keeps (microseconds), so a value read back equals the one written.
func (db *DB) now() time.Time { return db.Now().UTC().Truncate(time.Microsecond) }
