package store

import (
	"context"
	"database/sql"

	"github.com/parleyhq/parley/internal/parley"
)

const agentColumns = "id, email, name, role, active, must_change_password, availability, capacity, last_assigned_at, created_at"

func scanAgent(row interface{ Scan(...any) error }, extra ...any) (parley.Agent, error) {
	var a parley.Agent
	var created int64
	var assigned sql.NullInt64
	err := row.Scan(append([]any{&a.ID, &a.Email, &a.Name, &a.Role, &a.Active, &a.MustChangePassword, &a.Availability, &a.Capacity,
		&assigned, &created}, extra...)...)
	a.CreatedAt, a.LastAssignedAt = fromTS(created), fromNullTS(assigned)
	return a, err
}

// CreateAgent stores a new agent with a password hash. Returns ECONFLICT
// when the email is taken.
func (tx *Tx) CreateAgent(a *parley.Agent, passwordHash string) (err error) {
	defer wrap(&err, "store: CreateAgent")
	if err := a.Validate(); err != nil {
		return err
	}
	a.Active, a.CreatedAt = true, tx.now
	err = tx.queryRow(`INSERT INTO agents (email, name, role, password_hash, active, must_change_password, availability, capacity, created_at, updated_at)
		VALUES ($1, $2, $3, $4, TRUE, $5, $6, $7, $8, $8) RETURNING id`,
		a.Email, a.Name, a.Role, passwordHash, a.MustChangePassword, a.Availability, a.Capacity, ts(tx.now)).Scan(&a.ID)
	if isUniqueViolation(err) {
		return parley.Errorf(parley.ECONFLICT, "an agent with email %s already exists", a.Email)
	}
	return err
}

// Agent returns one agent. Returns ENOTFOUND if there is none with that id.
func (tx *Tx) Agent(id int64) (parley.Agent, error) {
	a, err := scanAgent(tx.queryRow("SELECT "+agentColumns+" FROM agents WHERE id = $1", id))
	return a, notFound(err, "agent", id)
}

// Agent returns one agent. Returns ENOTFOUND if there is none with that id.
func (db *DB) Agent(ctx context.Context, id int64) (parley.Agent, error) {
	a, err := scanAgent(db.read.QueryRowContext(ctx, "SELECT "+agentColumns+" FROM agents WHERE id = $1", id))
	return a, notFound(err, "agent", id)
}

// AgentByEmail returns an agent and its password hash, for sign-in.
// Returns ENOTFOUND if no agent has that email.
func (db *DB) AgentByEmail(ctx context.Context, email string) (parley.Agent, string, error) {
	var hash string
	a, err := scanAgent(db.read.QueryRowContext(ctx, "SELECT "+agentColumns+", password_hash FROM agents WHERE email = lower($1)", email), &hash)
	return a, hash, notFound(err, "agent", email)
}

// Agents returns every agent, oldest first.
func (db *DB) Agents(ctx context.Context) (_ []parley.Agent, err error) {
	defer wrap(&err, "store: Agents")
	rows, err := db.read.QueryContext(ctx, "SELECT "+agentColumns+" FROM agents ORDER BY id")
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (parley.Agent, error) { return scanAgent(r) })
}

// Agents returns every agent, oldest first, inside a transaction.
func (tx *Tx) Agents() (_ []parley.Agent, err error) {
	defer wrap(&err, "store: Agents")
	rows, err := tx.query("SELECT " + agentColumns + " FROM agents ORDER BY id")
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (parley.Agent, error) { return scanAgent(r) })
}

// CountAgents returns how many agents exist (zero on a fresh install).
func (db *DB) CountAgents(ctx context.Context) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM agents").Scan(&n)
	return n, err
}

// CreateTeam stores a new team. Returns ECONFLICT when the name is taken.
func (tx *Tx) CreateTeam(t *parley.Team) (err error) {
	defer wrap(&err, "store: CreateTeam")
	if err := t.Validate(); err != nil {
		return err
	}
	t.CreatedAt = tx.now
	err = tx.queryRow("INSERT INTO teams (name, created_at) VALUES ($1, $2) RETURNING id", t.Name, ts(tx.now)).Scan(&t.ID)
	if isUniqueViolation(err) {
		return parley.Errorf(parley.ECONFLICT, "a team named %q already exists", t.Name)
	}
	return err
}

// Team returns one team. Returns ENOTFOUND if there is none with that id.
func (tx *Tx) Team(id int64) (parley.Team, error) {
	return scanTeam(tx.queryRow("SELECT id, name, created_at FROM teams WHERE id = $1", id), id)
}

// Team returns one team. Returns ENOTFOUND if there is none with that id.
func (db *DB) Team(ctx context.Context, id int64) (parley.Team, error) {
	return scanTeam(db.read.QueryRowContext(ctx, "SELECT id, name, created_at FROM teams WHERE id = $1", id), id)
}

func scanTeam(row interface{ Scan(...any) error }, id int64) (parley.Team, error) {
	var t parley.Team
	var created int64
	err := row.Scan(&t.ID, &t.Name, &created)
	t.CreatedAt = fromTS(created)
	return t, notFound(err, "team", id)
}

// Teams returns every team, by name.
func (db *DB) Teams(ctx context.Context) (_ []parley.Team, err error) {
	defer wrap(&err, "store: Teams")
	rows, err := db.read.QueryContext(ctx, "SELECT id, name, created_at FROM teams ORDER BY name")
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (parley.Team, error) {
		var t parley.Team
		var created int64
		err := r.Scan(&t.ID, &t.Name, &created)
		t.CreatedAt = fromTS(created)
		return t, err
	})
}

// AddTeamMember puts an agent in a team (a no-op if already there).
func (tx *Tx) AddTeamMember(teamID, agentID int64) error {
	if _, err := tx.Team(teamID); err != nil {
		return err
	}
	if _, err := tx.Agent(agentID); err != nil {
		return err
	}
	_, err := tx.exec(`INSERT INTO team_members (team_id, agent_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, teamID, agentID)
	return err
}
