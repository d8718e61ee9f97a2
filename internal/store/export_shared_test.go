package store

import "context"

// CountRows counts a table's rows, for the external tests of blobs and
// limits (the table name is a test's constant, never input).
func CountRows(db *DB, table string) (n int, err error) {
	err = db.read.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n)
	return n, err
}
