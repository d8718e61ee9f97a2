package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Candidate is an online agent who might take a conversation, with how
// many open conversations they carry now.
type Candidate struct {
	Agent parley.Agent
	Open  int
}

// Room is how many more conversations the candidate can take.
func (c Candidate) Room() int { return c.Agent.Capacity - c.Open }

// LockRouting makes assignments take turns: on PostgreSQL several writers
// (and processes) commit in parallel, and two of them counting the same
// agent's open conversations at once could both give them their last
// free place. SQLite's single writer needs nothing.
func (tx *Tx) LockRouting() error {
	if tx.db.dialect.lockRouting == "" {
		return nil
	}
	_, err := tx.exec(tx.db.dialect.lockRouting)
	return err
}

// Candidates returns the active, online agents (members of team when it
// is not nil) with their open conversation counts.
func (tx *Tx) Candidates(teamID *int64) (_ []Candidate, err error) {
	defer wrap(&err, "store: Candidates")
	q := `SELECT ` + agentColumns + `, (SELECT COUNT(*) FROM conversations c WHERE c.assignee_id = a.id AND c.status = 'open')
		FROM agents a WHERE a.active AND a.availability = 'online'`
	var args []any
	if teamID != nil {
		q += " AND a.id IN (SELECT agent_id FROM team_members WHERE team_id = $1)"
		args = append(args, *teamID)
	}
	rows, err := tx.query(q+" ORDER BY a.id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Candidate
	for rows.Next() {
		var c Candidate
		if c.Agent, err = scanAgent(rows, &c.Open); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// AgentsAvailable counts the active agents who chose to be online (members
// of team when it is not nil).
func (db *DB) AgentsAvailable(ctx context.Context, teamID *int64) (int, error) {
	q, args := "SELECT COUNT(*) FROM agents a WHERE a.active AND a.availability = 'online'", []any{}
	if teamID != nil {
		q += " AND a.id IN (SELECT agent_id FROM team_members WHERE team_id = $1)"
		args = append(args, *teamID)
	}
	var n int
	if err := db.read.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return 0, wrapErr("store: AgentsAvailable", err)
	}
	return n, nil
}

// OpenCount returns how many open conversations an agent is assigned.
func (tx *Tx) OpenCount(agentID int64) (int, error) {
	var n int
	err := tx.queryRow("SELECT COUNT(*) FROM conversations WHERE assignee_id = $1 AND status = 'open'", agentID).Scan(&n)
	return n, err
}

// OpenCounts returns how many open conversations each agent is assigned,
// by agent id; agents with none are absent.
func (db *DB) OpenCounts(ctx context.Context) (_ map[int64]int, err error) {
	defer wrap(&err, "store: OpenCounts")
	rows, err := db.read.QueryContext(ctx, "SELECT assignee_id, COUNT(*) FROM conversations WHERE assignee_id IS NOT NULL AND status = 'open' GROUP BY assignee_id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

// MarkAssigned records when an agent was last given a conversation, for
// breaking ties between agents with equal room.
func (tx *Tx) MarkAssigned(agentID int64) error {
	_, err := tx.exec("UPDATE agents SET last_assigned_at = $2 WHERE id = $1", agentID, ts(tx.now))
	return err
}

// queueRank ranks a conversation's priority in the queue: urgent (0) first.
const queueRank = `CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END`

// queueOrder is the queue: urgent first, then by how long they have waited.
const queueOrder = ` ORDER BY ` + queueRank + `, queued_at, id`

// Queued returns up to limit conversations waiting for an agent, in queue
// order.
func (tx *Tx) Queued(limit int) (_ []parley.Conversation, err error) {
	defer wrap(&err, "store: Queued")
	rows, err := tx.query("SELECT "+conversationColumns+" FROM conversations WHERE queued_at IS NOT NULL"+queueOrder+" LIMIT $1", limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (parley.Conversation, error) { return scanConversation(r) })
}

// Queue returns the conversations waiting for an agent, in queue order.
func (db *DB) Queue(ctx context.Context, limit int) (_ []parley.Conversation, err error) {
	defer wrap(&err, "store: Queue")
	rows, err := db.read.QueryContext(ctx, "SELECT "+conversationColumns+" FROM conversations WHERE queued_at IS NOT NULL"+queueOrder+" LIMIT $1", limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (parley.Conversation, error) { return scanConversation(r) })
}

// QueuePosition returns a queued conversation's place in the queue (1 is
// next), or 0 when it is not queued.
func (tx *Tx) QueuePosition(c parley.Conversation) (int, error) {
	return queuePosition(tx.queryRow, c)
}

// QueuePosition returns a queued conversation's place in the queue (1 is
// next), or 0 when it is not queued.
func (db *DB) QueuePosition(ctx context.Context, c parley.Conversation) (int, error) {
	return queuePosition(func(q string, args ...any) *sql.Row { return db.read.QueryRowContext(ctx, q, args...) }, c)
}

func queuePosition(queryRow func(string, ...any) *sql.Row, c parley.Conversation) (int, error) {
	if c.QueuedAt == nil {
		return 0, nil
	}
	var n int
	err := queryRow(`SELECT COUNT(*) FROM conversations WHERE queued_at IS NOT NULL AND (
			`+queueRank+` < $1 OR (`+queueRank+` = $1 AND (queued_at < $2 OR (queued_at = $2 AND id < $3))))`,
		3-c.Priority.Rank(), ts(*c.QueuedAt), c.ID).Scan(&n)
	return n + 1, err
}

// AssignedOpen returns the open conversations assigned to an agent.
func (tx *Tx) AssignedOpen(agentID int64) (_ []parley.Conversation, err error) {
	defer wrap(&err, "store: AssignedOpen")
	rows, err := tx.query("SELECT "+conversationColumns+" FROM conversations WHERE assignee_id = $1 AND status = 'open' ORDER BY id", agentID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (parley.Conversation, error) { return scanConversation(r) })
}

// SetAvailability records an agent's availability. Going online counts as
// being present, so the idle sweep does not set them away at once.
func (tx *Tx) SetAvailability(agentID int64, a parley.Availability) error {
	q := "UPDATE agents SET availability = $2, updated_at = $3 WHERE id = $1"
	if a == parley.Online {
		q = "UPDATE agents SET availability = $2, updated_at = $3, last_seen_at = $3 WHERE id = $1"
	}
	_, err := tx.exec(q, agentID, a, ts(tx.now))
	return err
}

// SetCapacity records how many open conversations an agent may carry.
func (tx *Tx) SetCapacity(agentID int64, capacity int) error {
	_, err := tx.exec("UPDATE agents SET capacity = $2, updated_at = $3 WHERE id = $1", agentID, capacity, ts(tx.now))
	return err
}

// IdleOnline returns the online agents not seen since before: they have
// no inbox open, and go away.
func (tx *Tx) IdleOnline(before time.Time) ([]int64, error) {
	rows, err := tx.query("SELECT id FROM agents WHERE availability = 'online' AND (last_seen_at IS NULL OR last_seen_at < $1) ORDER BY id", ts(before))
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
}

// RecentFirstResponses returns, for the latest conversations of a
// priority to get a first response (newest answer first, at most limit),
// when each started and when it was answered. Scope picks whose they are:
// with a team, the conversations of that team, plus those without a team
// of their own in inboxes (teamInboxes) routed to it; without one, the
// inbox's conversations that have no team of their own.
func (tx *Tx) RecentFirstResponses(p parley.Priority, teamID *int64, inboxID int64, teamInboxes []int64, limit int) (_ [][2]time.Time, err error) {
	defer wrap(&err, "store: RecentFirstResponses")
	args := []any{p, limit}
	where := "team_id IS NULL AND inbox_id = $3"
	if teamID != nil {
		args = append(args, *teamID)
		where = "team_id = $3"
		if len(teamInboxes) > 0 {
			where = "(team_id = $3 OR (team_id IS NULL AND inbox_id IN (" + placeholders(4, len(teamInboxes)) + ")))"
			for _, id := range teamInboxes {
				args = append(args, id)
			}
		}
	} else {
		args = append(args, inboxID)
	}
	rows, err := tx.query(`SELECT created_at, first_response_at FROM conversations
		WHERE priority = $1 AND first_response_at IS NOT NULL AND `+where+`
		ORDER BY first_response_at DESC, id DESC LIMIT $2`, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) ([2]time.Time, error) {
		var a, b int64
		err := r.Scan(&a, &b)
		return [2]time.Time{fromTS(a), fromTS(b)}, err
	})
}

// CountQueued counts the conversations waiting for an agent, up to limit:
// a sidebar count needs no rows.
func (db *DB) CountQueued(ctx context.Context, limit int) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM conversations WHERE queued_at IS NOT NULL LIMIT $1) q", limit).Scan(&n)
	return n, err
}
