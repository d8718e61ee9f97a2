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
