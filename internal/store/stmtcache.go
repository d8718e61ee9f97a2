package store

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps the writer's statements prepared across transactions.
// Parsing and planning a statement costs SQLite more than running it, and
// a received message runs a dozen of them. A query seen inside a
// transaction is noted and prepared after the commit, when the write
// connection is free (SQLite's write pool has one connection); later
// transactions bind it to themselves with Tx.StmtContext, which reuses the
// connection's prepared statement. Only short queries are cached, and at
// most maxCachedStmts, so dynamically built SQL cannot grow it unbounded.
type stmtCache struct {
	db   *sql.DB
	mu   sync.Mutex
	m    map[string]*sql.Stmt
	want map[string]bool
}

const (
	maxCachedStmts   = 512
	maxCachedStmtLen = 2048
)

func (c *stmtCache) get(q string) *sql.Stmt {
	if len(q) > maxCachedStmtLen {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.m[q]
	if s == nil && len(c.m)+len(c.want) < maxCachedStmts {
		c.want[q] = true
	}
	return s
}

// prepareWanted prepares the queries noted since the last call. It must
// run outside any write transaction.
func (c *stmtCache) prepareWanted(ctx context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q := range c.want {
		delete(c.want, q)
		s, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			continue // it fails again, and is reported, where it runs
		}
		c.m[q] = s
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, s := range c.m {
		s.Close()
		delete(c.m, q)
	}
}

// readStmts keeps a few hot reads prepared on the reading pool (SQLite):
// the event log's readers run the same statements after nearly every
// commit, and parsing them was ~3% of the process's CPU under
// load. database/sql prepares a statement on each reading connection the
// first time it runs there, and keeps it.
type readStmts struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// get returns q prepared, or nil when it cannot be (q then runs
// unprepared and reports its own error).
func (c *readStmts) get(ctx context.Context, q string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.m[q]; s != nil {
		return s
	}
	if len(c.m) >= maxCachedStmts {
		return nil
	}
	s, err := c.db.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	c.m[q] = s
	return s
}

func (c *readStmts) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, s := range c.m {
		s.Close()
		delete(c.m, q)
	}
}

// queryRead runs q on the reading pool, prepared when the dialect keeps
// statements (only fixed queries: each text is kept).
func (db *DB) queryRead(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if s := db.readStmts.get(ctx, q); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return db.read.QueryContext(ctx, q, args...)
}

// queryRowRead is queryRead for one row.
func (db *DB) queryRowRead(ctx context.Context, q string, args ...any) *sql.Row {
	if s := db.readStmts.get(ctx, q); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return db.read.QueryRowContext(ctx, q, args...)
}
