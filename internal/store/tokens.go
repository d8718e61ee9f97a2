package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// tokenColumns are the api_tokens columns scanTokenRow reads, in order.
// The secret's hash is never read back.
const tokenColumns = `id, name, agent_id, scope, created_at, expires_at, revoked_at, last_used_at`

func scanTokenRow(sc interface{ Scan(...any) error }) (parley.APIToken, error) {
	var t parley.APIToken
	var agent, expires, revoked, used sql.NullInt64
	var created int64
	var scope string
	err := sc.Scan(&t.ID, &t.Name, &agent, &scope, &created, &expires, &revoked, &used)
	t.AgentID, t.Scope, t.CreatedAt = fromNullID(agent), parley.TokenScope(scope), fromTS(created)
	t.ExpiresAt, t.RevokedAt, t.LastUsedAt = fromNullTS(expires), fromNullTS(revoked), fromNullTS(used)
	return t, err
}

// CreateAPIToken stores a token by the SHA-256 hex of its secret. An empty
// scope is stored as full.
func (tx *Tx) CreateAPIToken(t *parley.APIToken, hash string) (err error) {
	defer wrap(&err, "store: CreateAPIToken")
	if t.AgentID != nil {
		if _, err := tx.Agent(*t.AgentID); err != nil {
			return err
		}
	}
	if t.Scope == "" {
		t.Scope = parley.ScopeFull
	}
	t.CreatedAt = tx.now
	t.RevokedAt, t.LastUsedAt = nil, nil
	if t.ExpiresAt != nil {
		e := fromTS(ts(*t.ExpiresAt)) // as it will read back: microseconds, UTC
		t.ExpiresAt = &e
	}
	return tx.queryRow(`INSERT INTO api_tokens (name, token_hash, agent_id, scope, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		t.Name, hash, idPtr(t.AgentID), string(t.Scope), ts(tx.now), tsPtr(t.ExpiresAt)).Scan(&t.ID)
}

// APITokenByHash finds the token whose secret hashes to hash, whether or
// not it is still usable (the caller decides with APIToken.Usable): one
// read through the unique index. Returns ENOTFOUND for an unknown hash.
func (db *DB) APITokenByHash(ctx context.Context, hash string) (parley.APIToken, error) {
	t, err := scanTokenRow(db.read.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE token_hash = $1`, hash))
	return t, notFound(err, "token", "")
}

// APIToken returns one token by id. Returns ENOTFOUND when there is none.
func (db *DB) APIToken(ctx context.Context, id int64) (parley.APIToken, error) {
	t, err := scanTokenRow(db.read.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE id = $1`, id))
	return t, notFound(err, "token", id)
}

// APITokens returns every API token (never their secrets), newest first.
func (db *DB) APITokens(ctx context.Context) (_ []parley.APIToken, err error) {
	defer wrap(&err, "store: APITokens")
	rows, err := db.read.QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY id DESC`)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (parley.APIToken, error) { return scanTokenRow(r) })
}

// RevokeAPIToken stops a token from working, now and for good, and
// returns it. Revoking a revoked token changes nothing (the first
// revocation time stays). Returns ENOTFOUND for an unknown id.
func (tx *Tx) RevokeAPIToken(id int64) (_ parley.APIToken, err error) {
	defer wrap(&err, "store: RevokeAPIToken")
	if _, err := tx.exec(`UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`, id, ts(tx.now)); err != nil {
		return parley.APIToken{}, err
	}
	t, err := scanTokenRow(tx.queryRow(`SELECT `+tokenColumns+` FROM api_tokens WHERE id = $1`, id))
	if err != nil {
		return t, notFound(err, "token", id)
	}
	return t, tx.changed(parley.Change{What: parley.ChangeAPIToken, ID: id})
}

// TouchAPIToken records that a token was used, unless a use within the
// last minute is already recorded: callers throttle per process, and this
// keeps several processes from each writing on every minute too.
func (tx *Tx) TouchAPIToken(id int64) error {
	_, err := tx.exec(`UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)`,
		id, ts(tx.now), ts(tx.now.Add(-time.Minute)))
	return err
}
