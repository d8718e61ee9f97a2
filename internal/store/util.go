package store

import (
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/parleyhq/parley/internal/parley"
)

// wrap adds where we were to a non-nil error, keeping the chain for errors.As:
// defer wrap(&err, "store: GetConversation(%d)", id).
func wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf(format+": %w", append(args, *errp)...)
	}
}

// notFound turns sql.ErrNoRows into an ENOTFOUND error naming what was missing.
func notFound(err error, what string, id any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return parley.Errorf(parley.ENOTFOUND, "%s %v not found", what, id)
	}
	return err
}

// isUniqueViolation reports whether err is a unique-constraint failure on
// either database.
func isUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// isForeignKeyViolation reports whether err is a foreign-key failure.
func isForeignKeyViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23503"
	}
	return err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint failed")
}

// Times are stored as Unix microseconds.
func ts(t time.Time) int64 { return t.UTC().UnixMicro() }

func tsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ts(*t)
}

func fromTS(us int64) time.Time { return time.UnixMicro(us).UTC() }

func fromNullTS(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromTS(n.Int64)
	return &t
}

func fromNullID(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	v := n.Int64
	return &v
}

func idPtr(id *int64) any {
	if id == nil {
		return nil
	}
	return *id
}

// placeholders returns "$start, $start+1, …" for n values, for IN lists
// (SQLite has no = ANY($1)).
func placeholders(start, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(start+i))
	}
	return b.String()
}

// bulkPlaceholders is placeholders for statements with many values. On
// SQLite it gives anonymous "?" parameters: SQLite resolves each "$N"
// through a list of names it searches linearly, so a statement of
// thousands of "$N" costs the square of their number, while "?" is
// numbered as it is read. The statement must use no other placeholders.
func (db *DB) bulkPlaceholders(start, n int) string {
	if db.dialect.name != "sqlite" {
		return placeholders(start, n)
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// query is a WHERE clause under construction; values only ever go into args.
type query struct {
	where []string
	args  []any
}

// add appends a condition whose single "?" becomes the next placeholder.
func (q *query) add(cond string, arg any) {
	q.args = append(q.args, arg)
	q.where = append(q.where, strings.Replace(cond, "?", "$"+strconv.Itoa(len(q.args)), 1))
}

func (q *query) next(arg any) string {
	q.args = append(q.args, arg)
	return "$" + strconv.Itoa(len(q.args))
}

func (q *query) clause() string {
	if len(q.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(q.where, " AND ")
}
