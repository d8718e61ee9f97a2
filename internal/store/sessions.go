package store

import (
	"context"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Session is an agent's sign-in session. The cookie holds a random secret;
// only its SHA-256 (TokenHash) is stored.
type Session struct {
	ID         int64
	AgentID    int64
	CSRFToken  string
	UserAgent  string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// CreateSession stores a new session for an agent.
func (tx *Tx) CreateSession(s *Session, tokenHash string) (err error) {
	defer wrap(&err, "store: CreateSession")
	s.CreatedAt, s.LastSeenAt = tx.now, tx.now
	return tx.queryRow(`INSERT INTO sessions (token_hash, agent_id, csrf_token, user_agent, created_at, last_seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $5, $6) RETURNING id`,
		tokenHash, s.AgentID, s.CSRFToken, s.UserAgent, ts(tx.now), ts(s.ExpiresAt)).Scan(&s.ID)
}

// SessionByHash returns the session whose secret hashes to tokenHash, and
// its agent. Expiry is the caller's to check. Returns ENOTFOUND for an
// unknown hash.
func (db *DB) SessionByHash(ctx context.Context, tokenHash string) (s Session, a parley.Agent, err error) {
	var created, seen, expires, agentCreated int64
	err = db.read.QueryRowContext(ctx, `SELECT s.id, s.agent_id, s.csrf_token, s.user_agent, s.created_at, s.last_seen_at, s.expires_at,
			a.id, a.email, a.name, a.role, a.active, a.must_change_password, a.created_at
		FROM sessions s JOIN agents a ON a.id = s.agent_id WHERE s.token_hash = $1`, tokenHash).
		Scan(&s.ID, &s.AgentID, &s.CSRFToken, &s.UserAgent, &created, &seen, &expires,
			&a.ID, &a.Email, &a.Name, &a.Role, &a.Active, &a.MustChangePassword, &agentCreated)
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt, a.CreatedAt = fromTS(created), fromTS(seen), fromTS(expires), fromTS(agentCreated)
	return s, a, notFound(err, "session", "")
}

// RenewSession moves a session's expiry (sliding renewal) and records use.
func (tx *Tx) RenewSession(id int64, expires time.Time) error {
	_, err := tx.exec("UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE id = $1", id, ts(tx.now), ts(expires))
	return err
}

// DeleteSession removes the session whose secret hashes to tokenHash (a
// no-op if there is none).
func (tx *Tx) DeleteSession(tokenHash string) error {
	_, err := tx.exec("DELETE FROM sessions WHERE token_hash = $1", tokenHash)
	return err
}

// DeleteAgentSessions signs an agent out everywhere except session keepID
// (0 keeps none).
func (tx *Tx) DeleteAgentSessions(agentID, keepID int64) error {
	_, err := tx.exec("DELETE FROM sessions WHERE agent_id = $1 AND id <> $2", agentID, keepID)
	return err
}

// DeleteExpiredSessions removes sessions that expired before now.
func (tx *Tx) DeleteExpiredSessions() error {
	_, err := tx.exec("DELETE FROM sessions WHERE expires_at < $1", ts(tx.now))
	return err
}

// AgentPasswordHash returns an agent's password hash. Returns ENOTFOUND for
// an unknown agent.
func (db *DB) AgentPasswordHash(ctx context.Context, agentID int64) (string, error) {
	var h string
	err := db.read.QueryRowContext(ctx, "SELECT password_hash FROM agents WHERE id = $1", agentID).Scan(&h)
	return h, notFound(err, "agent", agentID)
}

// SetAgentPassword stores a new password hash and clears must_change_password.
func (tx *Tx) SetAgentPassword(agentID int64, hash string) error {
	return tx.updateAgent(agentID, "password_hash = $2, must_change_password = FALSE", hash)
}

// SetAgentRole changes an agent's role (already validated).
func (tx *Tx) SetAgentRole(agentID int64, role parley.Role) error {
	return tx.updateAgent(agentID, "role = $2", string(role))
}

// SetAgentActive activates or deactivates an agent.
func (tx *Tx) SetAgentActive(agentID int64, active bool) error {
	return tx.updateAgent(agentID, "active = $2", active)
}

func (tx *Tx) updateAgent(agentID int64, set string, v any) (err error) {
	defer wrap(&err, "store: update agent %d", agentID)
	res, err := tx.exec("UPDATE agents SET "+set+", updated_at = $3 WHERE id = $1", agentID, v, ts(tx.now))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return parley.Errorf(parley.ENOTFOUND, "agent %d not found", agentID)
	}
	return tx.changed(parley.Change{What: parley.ChangeAgent, ID: agentID})
}

// CountActiveOwners returns how many active owners there are (so the last
// one cannot be demoted or deactivated).
func (tx *Tx) CountActiveOwners() (int, error) {
	var n int
	err := tx.queryRow("SELECT COUNT(*) FROM agents WHERE role = 'owner' AND active = TRUE").Scan(&n)
	return n, err
}

// TouchAgent records that an agent is present now (agents.last_seen_at).
func (tx *Tx) TouchAgent(agentID int64) error {
	_, err := tx.exec("UPDATE agents SET last_seen_at = $2 WHERE id = $1", agentID, ts(tx.now))
	return err
}

// AgentsOnline returns how many active agents were present at or after since.
func (db *DB) AgentsOnline(ctx context.Context, since time.Time) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM agents WHERE active = TRUE AND last_seen_at >= $1", ts(since)).Scan(&n)
	if err != nil {
		return 0, wrapErr("store: AgentsOnline", err)
	}
	return n, nil
}

// AgentsLastSeen returns each agent's last presence, by agent id.
func (db *DB) AgentsLastSeen(ctx context.Context) (_ map[int64]time.Time, err error) {
	defer wrap(&err, "store: AgentsLastSeen")
	rows, err := db.read.QueryContext(ctx, "SELECT id, last_seen_at FROM agents WHERE last_seen_at IS NOT NULL")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]time.Time{}
	for rows.Next() {
		var id, at int64
		if err := rows.Scan(&id, &at); err != nil {
			return nil, err
		}
		out[id] = fromTS(at)
	}
	return out, rows.Err()
}

func wrapErr(where string, err error) error {
	wrap(&err, "%s", where)
	return err
}
