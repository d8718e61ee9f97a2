package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// A2ATask is a conversation opened over A2A by an API token: the task's
// id, whose it is, and the caller's context. Its state is read from the
// conversation; a cancellation is the one thing only the task keeps.
type A2ATask struct {
	ID             string     `json:"id"`
	ConversationID int64      `json:"conversation_id"`
	TokenID        int64      `json:"token_id"`
	ContextID      string     `json:"context_id"`
	CanceledAt     *time.Time `json:"canceled_at,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
}

const a2aTaskColumns = "id, conversation_id, token_id, context_id, canceled_at, created_at"

func scanA2ATask(row interface{ Scan(...any) error }) (t A2ATask, err error) {
	var canceled sql.NullInt64
	var created int64
	err = row.Scan(&t.ID, &t.ConversationID, &t.TokenID, &t.ContextID, &canceled, &created)
	t.CanceledAt, t.CreatedAt = fromNullTS(canceled), fromTS(created)
	return t, err
}

// CreateA2ATask stores a task for a conversation. A conversation has at
// most one task: a second create for it returns ECONFLICT.
func (tx *Tx) CreateA2ATask(t *A2ATask) error {
	t.CreatedAt = tx.now
	_, err := tx.exec(`INSERT INTO a2a_tasks (id, conversation_id, token_id, context_id, created_at) VALUES ($1, $2, $3, $4, $5)`,
		t.ID, t.ConversationID, t.TokenID, t.ContextID, ts(tx.now))
	if isUniqueViolation(err) {
		return parley.Errorf(parley.ECONFLICT, "conversation %d already has a task", t.ConversationID)
	}
	return wrapErr("store: CreateA2ATask", err)
}

// A2ATaskOfConversation returns the task of a conversation (ENOTFOUND
// when it has none).
func (tx *Tx) A2ATaskOfConversation(conversationID int64) (A2ATask, error) {
	t, err := scanA2ATask(tx.queryRow("SELECT "+a2aTaskColumns+" FROM a2a_tasks WHERE conversation_id = $1", conversationID))
	return t, notFound(err, "task of conversation", conversationID)
}

// A2ATask returns a task by id.
func (db *DB) A2ATask(ctx context.Context, id string) (A2ATask, error) {
	t, err := scanA2ATask(db.read.QueryRowContext(ctx, "SELECT "+a2aTaskColumns+" FROM a2a_tasks WHERE id = $1", id))
	return t, notFound(err, "task", id)
}

// CancelA2ATask marks a task cancelled, once: false when it already was.
func (tx *Tx) CancelA2ATask(id string) (bool, error) {
	res, err := tx.exec("UPDATE a2a_tasks SET canceled_at = $2 WHERE id = $1 AND canceled_at IS NULL", id, ts(tx.now))
	if err != nil {
		return false, wrapErr("store: CancelA2ATask", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// A2ATaskFilter selects a token's tasks, newest first; Before (a task id)
// pages on. Task ids are time-ordered (UUID v7), so id order is age.
type A2ATaskFilter struct {
	TokenID   int64
	ContextID string
	Before    string
	Limit     int
}

// A2ATasks returns the tasks f selects, newest first.
func (db *DB) A2ATasks(ctx context.Context, f A2ATaskFilter) (_ []A2ATask, err error) {
	defer wrap(&err, "store: A2ATasks")
	var q query
	q.add("token_id = ?", f.TokenID)
	if f.ContextID != "" {
		q.add("context_id = ?", f.ContextID)
	}
	if f.Before != "" {
		q.add("id < ?", f.Before)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	rows, err := db.read.QueryContext(ctx, "SELECT "+a2aTaskColumns+" FROM a2a_tasks"+q.clause()+" ORDER BY id DESC LIMIT "+q.next(f.Limit), q.args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (A2ATask, error) { return scanA2ATask(r) })
}

// RemoteAgent is an outside A2A agent an admin registered: its card as
// last fetched and checked, and a sealed bearer token for it.
type RemoteAgent struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	CardURL   string    `json:"card_url"`
	Card      string    `json:"card"` // JSON
	Secret    string    `json:"-"`    // in clear here; sealed in the table
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

const remoteAgentColumns = "id, name, card_url, card, secret, created_at, updated_at"

func scanRemoteAgent(row interface{ Scan(...any) error }) (a RemoteAgent, err error) {
	var created, updated int64
	err = row.Scan(&a.ID, &a.Name, &a.CardURL, &a.Card, &a.Secret, &created, &updated)
	a.CreatedAt, a.UpdatedAt = fromTS(created), fromTS(updated)
	return a, err
}

// SaveRemoteAgent creates a remote agent (ID 0) or updates it, sealing
// its secret. A name another agent has is ECONFLICT.
func (tx *Tx) SaveRemoteAgent(a *RemoteAgent) error {
	a.UpdatedAt = tx.now
	sealed, err := tx.db.seal(a.Secret)
	if err != nil {
		return err
	}
	if a.ID == 0 {
		a.CreatedAt = tx.now
		err = tx.queryRow(`INSERT INTO remote_agents (name, card_url, card, secret, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`,
			a.Name, a.CardURL, a.Card, sealed, ts(tx.now)).Scan(&a.ID)
	} else {
		var res sql.Result
		res, err = tx.exec(`UPDATE remote_agents SET name = $2, card_url = $3, card = $4, secret = $5, updated_at = $6 WHERE id = $1`,
			a.ID, a.Name, a.CardURL, a.Card, sealed, ts(tx.now))
		if err == nil {
			if n, _ := res.RowsAffected(); n == 0 {
				return parley.Errorf(parley.ENOTFOUND, "no remote agent %d", a.ID)
			}
		}
	}
	if isUniqueViolation(err) {
		return parley.Errorf(parley.ECONFLICT, "a remote agent is already named %q", a.Name)
	}
	return wrapErr("store: SaveRemoteAgent", err)
}

// DeleteRemoteAgent removes a remote agent.
func (tx *Tx) DeleteRemoteAgent(id int64) error {
	res, err := tx.exec("DELETE FROM remote_agents WHERE id = $1", id)
	if err != nil {
		return wrapErr("store: DeleteRemoteAgent", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return parley.Errorf(parley.ENOTFOUND, "no remote agent %d", id)
	}
	return nil
}

// RemoteAgent returns a remote agent by id, its secret opened.
func (db *DB) RemoteAgent(ctx context.Context, id int64) (RemoteAgent, error) {
	a, err := scanRemoteAgent(db.read.QueryRowContext(ctx, "SELECT "+remoteAgentColumns+" FROM remote_agents WHERE id = $1", id))
	if err != nil {
		return a, notFound(err, "remote agent", id)
	}
	a.Secret, err = db.open(a.Secret)
	return a, err
}

// RemoteAgentByName returns a remote agent by its name, its secret opened.
func (db *DB) RemoteAgentByName(ctx context.Context, name string) (RemoteAgent, error) {
	a, err := scanRemoteAgent(db.read.QueryRowContext(ctx, "SELECT "+remoteAgentColumns+" FROM remote_agents WHERE name = $1", name))
	if err != nil {
		return a, notFound(err, "remote agent", name)
	}
	a.Secret, err = db.open(a.Secret)
	return a, err
}

// RemoteAgents returns every remote agent by name, secrets left sealed
// (a list shows whether one is set, never what).
func (db *DB) RemoteAgents(ctx context.Context) (_ []RemoteAgent, err error) {
	defer wrap(&err, "store: RemoteAgents")
	rows, err := db.read.QueryContext(ctx, "SELECT "+remoteAgentColumns+" FROM remote_agents ORDER BY name")
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (RemoteAgent, error) { return scanRemoteAgent(r) })
}

// AgentCall is one call in the agent protocols' audit: in (an outside
// agent or MCP client, by its token) or out (Parley asking a remote
// agent or MCP server).
type AgentCall struct {
	ID         int64     `json:"id"`
	At         time.Time `json:"at"`
	Direction  string    `json:"direction"` // in, out
	Protocol   string    `json:"protocol"`  // a2a, mcp
	Method     string    `json:"method"`    // SendMessage, tools/call search_knowledge…
	TokenID    *int64    `json:"token_id,omitempty"`
	AgentID    *int64    `json:"agent_id,omitempty"`
	Remote     string    `json:"remote,omitempty"`  // the remote agent or server, for out
	Subject    string    `json:"subject,omitempty"` // a task id, a tool's name
	Outcome    string    `json:"outcome"`           // ok, error
	Error      string    `json:"error,omitempty"`
	DurationUS int64     `json:"duration_us"`
}

// RecordAgentCall appends c to the audit.
func (db *DB) RecordAgentCall(ctx context.Context, c AgentCall) error {
	if len(c.Error) > 1000 {
		c.Error = c.Error[:1000]
	}
	return db.Write(ctx, func(tx *Tx) error {
		_, err := tx.exec(`INSERT INTO agent_calls (at, direction, protocol, method, token_id, agent_id, remote, subject, outcome, error, duration_us)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			ts(tx.now), c.Direction, c.Protocol, c.Method, idPtr(c.TokenID), idPtr(c.AgentID), c.Remote, c.Subject, c.Outcome, c.Error, c.DurationUS)
		return wrapErr("store: RecordAgentCall", err)
	})
}

// AgentCallFilter selects audit rows, newest first.
type AgentCallFilter struct {
	Protocol string
	TokenID  *int64
	Limit    int
}

// AgentCalls returns the audit rows f selects, newest first.
func (db *DB) AgentCalls(ctx context.Context, f AgentCallFilter) (_ []AgentCall, err error) {
	defer wrap(&err, "store: AgentCalls")
	var q query
	if f.Protocol != "" {
		q.add("protocol = ?", f.Protocol)
	}
	if f.TokenID != nil {
		q.add("token_id = ?", *f.TokenID)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, at, direction, protocol, method, token_id, agent_id, remote, subject, outcome, error, duration_us
		FROM agent_calls`+q.clause()+" ORDER BY id DESC LIMIT "+q.next(f.Limit), q.args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (c AgentCall, err error) {
		var at int64
		var token, agent sql.NullInt64
		err = r.Scan(&c.ID, &at, &c.Direction, &c.Protocol, &c.Method, &token, &agent, &c.Remote, &c.Subject, &c.Outcome, &c.Error, &c.DurationUS)
		c.At, c.TokenID, c.AgentID = fromTS(at), fromNullID(token), fromNullID(agent)
		return c, err
	})
}
