package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed migrations
var migrationFS embed.FS

// migrations returns the dialect's migration files, sorted by name. They
// are forward-only: a released file is never edited, only followed.
func migrations(dialectName string) ([]string, error) {
	names, err := fs.Glob(migrationFS, "migrations/"+dialectName+"/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	return names, nil
}

// migrate applies, each in its own transaction, the migrations that the
// schema_migrations table does not list yet.
func (db *DB) migrate(ctx context.Context) (err error) {
	defer wrap(&err, "store: migrate")
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if db.dialect.migrationLock != "" {
		if _, err := conn.ExecContext(ctx, db.dialect.migrationLock); err != nil {
			return err
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), db.dialect.migrationUnlock)
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    TEXT PRIMARY KEY,
		applied_at BIGINT NOT NULL)`); err != nil {
		return err
	}
	names, err := migrations(db.dialect.name)
	if err != nil {
		return err
	}
	for _, name := range names {
		version := strings.TrimSuffix(name[strings.LastIndex(name, "/")+1:], ".sql")
		var n int
		if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE version = $1", version).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		body, err := migrationFS.ReadFile(name)
		if err != nil {
			return err
		}
		if err := applyMigration(ctx, conn, version, string(body), db.now().UnixMicro()); err != nil {
			return fmt.Errorf("%s: %w", version, err)
		}
	}
	return nil
}

func applyMigration(ctx context.Context, conn *sql.Conn, version, body string, now int64) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", version, now); err != nil {
		return err
	}
	return tx.Commit()
}

// SchemaVersion returns the newest applied migration.
func (db *DB) SchemaVersion(ctx context.Context) (string, error) {
	var v string
	err := db.read.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), '') FROM schema_migrations").Scan(&v)
	return v, err
}
