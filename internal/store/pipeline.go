package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// A batch ends with a run of writes whose answers nothing in the batch
// waits on: the rows it queued, its messages, the conversations it
// touched, the event log's lock and notice, and its events (whose
// numbers come back). On PostgreSQL they go to the server together, as
// one pipeline (pgx's batch: every statement's messages, then one Sync),
// and come back in one read: one round trip where there were a dozen or
// more, each costing a write and a read on both sides (docs/PERFORMANCE.md,
// "new people's rows and the batch's end"). They still run in the batch's
// transaction, in order, and the first that fails aborts it. SQLite,
// in the same process, runs them one by one.

// stmtSink takes a batch's closing statements.
type stmtSink interface {
	exec(q string, args ...any) error
	// query runs q and calls row for each row it returns.
	query(q string, args []any, row func(scan func(...any) error) error) error
}

// insertValues runs insert ("INSERT INTO t (columns)") for rows through
// sink, chunk rows a statement, each statement ending with suffix (an ON
// CONFLICT or RETURNING clause, or ""). With returned, the statements are
// queries, and returned gets the rows they return, in order across the
// chunks. On SQLite, returned gets each row's new rowid instead (see
// direct.insertNumbered), so suffix must then be RETURNING of the table's
// INTEGER PRIMARY KEY, and nothing else.
func (db *DB) insertValues(sink stmtSink, insert string, rows [][]any, chunk int, suffix string, returned func(scan func(...any) error) error) error {
	for len(rows) > 0 {
		n := min(len(rows), chunk)
		var q strings.Builder
		q.WriteString(insert + " VALUES ")
		var args []any
		for i, row := range rows[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(" + db.bulkPlaceholders(len(args)+1, len(row)) + ")")
			args = append(args, row...)
		}
		rows = rows[n:]
		var err error
		if d, ok := sink.(direct); ok && returned != nil && db.dialect.lastInsertID {
			err = d.insertNumbered(q.String(), args, n, returned)
		} else if returned != nil {
			err = sink.query(q.String()+suffix, args, returned)
		} else {
			err = sink.exec(q.String()+suffix, args...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// direct runs each statement at once in tx.
type direct struct{ tx *Tx }

func (d direct) exec(q string, args ...any) error {
	_, err := d.tx.exec(q, args...)
	return err
}

func (d direct) query(q string, args []any, row func(scan func(...any) error) error) error {
	rows, err := d.tx.query(q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

// insertNumbered runs q, an INSERT of n rows into a table whose INTEGER
// PRIMARY KEY none of them names, on SQLite, and hands returned each
// row's new key, in the order of VALUES. SQLite gives the rows of one
// statement consecutive keys in that order (each the largest so far plus
// one), and the single writer's connection inserts nothing between them,
// so the last key gives them all. RETURNING would have buffered the rows
// in a temporary table.
func (d direct) insertNumbered(q string, args []any, n int, returned func(scan func(...any) error) error) error {
	res, err := d.tx.exec(q, args...)
	if err != nil {
		return err
	}
	last, err := res.LastInsertId()
	if err != nil {
		return err
	}
	for i := range n {
		key := last - int64(n-1-i)
		if err := returned(func(dst ...any) error {
			p, ok := dst[0].(*int64)
			if len(dst) != 1 || !ok {
				return fmt.Errorf("store: insertNumbered returns one int64 a row, not %d values", len(dst))
			}
			*p = key
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// pipeline queues statements for send.
type pipeline struct{ stmts []piped }

type piped struct {
	q    string
	args []any
	row  func(scan func(...any) error) error // nil for exec
}

func (p *pipeline) exec(q string, args ...any) error {
	p.stmts = append(p.stmts, piped{q: q, args: args})
	return nil
}

func (p *pipeline) query(q string, args []any, row func(scan func(...any) error) error) error {
	p.stmts = append(p.stmts, piped{q: q, args: args, row: row})
	return nil
}

// send runs the queued statements on conn, the connection of the batch's
// open transaction, in one round trip. Their arguments pass the text
// guard first, as every statement through database/sql does.
func (p *pipeline) send(ctx context.Context, conn *sql.Conn) error {
	if len(p.stmts) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, s := range p.stmts {
		for _, a := range s.args {
			if err := checkArg(a); err != nil {
				return err
			}
		}
		b.Queue(s.q, s.args...)
	}
	return conn.Raw(func(dc any) error {
		g, ok := dc.(*guardConn)
		if !ok {
			return fmt.Errorf("store: pipeline on a %T connection", dc)
		}
		pc, ok := g.innerConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: pipeline on a %T connection", g.innerConn)
		}
		br := pc.Conn().SendBatch(ctx, b)
		for _, s := range p.stmts {
			if err := readPiped(br, s); err != nil {
				br.Close()
				return err
			}
		}
		return br.Close()
	})
}

func readPiped(br pgx.BatchResults, s piped) error {
	if s.row == nil {
		_, err := br.Exec()
		return err
	}
	rows, err := br.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := s.row(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

// batchTx is a batch's transaction with the connection it runs on, which
// the closing pipeline needs.
type batchTx struct {
	*sql.Tx
	conn *sql.Conn
}

// beginOn begins a transaction on a connection of its own from pool.
func beginOn(ctx context.Context, pool *sql.DB) (*batchTx, error) {
	conn, err := pool.Conn(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &batchTx{tx, conn}, nil
}

// end rolls back what was not committed and hands the connection back.
func (t *batchTx) end() {
	t.Rollback()
	t.conn.Close()
}
