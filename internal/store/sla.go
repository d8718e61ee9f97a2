package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

const slaColumns = `id, name, priority, inbox_id, team_id, label, first_response_secs, next_response_secs, resolution_secs, warn_percent`

func scanSLAPolicy(row interface{ Scan(...any) error }) (parley.SLAPolicy, error) {
	var p parley.SLAPolicy
	var inbox, team sql.NullInt64
	var first, next, res int64
	err := row.Scan(&p.ID, &p.Name, &p.Priority, &inbox, &team, &p.Label, &first, &next, &res, &p.WarnPercent)
	p.InboxID, p.TeamID = fromNullID(inbox), fromNullID(team)
	p.FirstResponse, p.NextResponse, p.Resolution = time.Duration(first)*time.Second, time.Duration(next)*time.Second, time.Duration(res)*time.Second
	return p, err
}

// SaveSLAPolicy creates (ID 0) or updates a policy.
func (tx *Tx) SaveSLAPolicy(p *parley.SLAPolicy) (err error) {
	defer wrap(&err, "store: SaveSLAPolicy")
	if err := p.Validate(); err != nil {
		return err
	}
	args := []any{p.Name, string(p.Priority), idPtr(p.InboxID), idPtr(p.TeamID), p.Label, int64(p.FirstResponse / time.Second),
		int64(p.NextResponse / time.Second), int64(p.Resolution / time.Second), p.WarnPercent, ts(tx.now)}
	if p.ID == 0 {
		err = tx.queryRow(`INSERT INTO sla_policies (name, priority, inbox_id, team_id, label, first_response_secs, next_response_secs,
				resolution_secs, warn_percent, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id`, args...).Scan(&p.ID)
		if isForeignKeyViolation(err) {
			return parley.Errorf(parley.EINVALID, "the policy's inbox or team does not exist")
		}
		if err != nil {
			return err
		}
		return tx.changed(parley.Change{What: parley.ChangeSLAPolicy, ID: p.ID})
	}
	res, err := tx.exec(`UPDATE sla_policies SET name = $1, priority = $2, inbox_id = $3, team_id = $4, label = $5, first_response_secs = $6,
			next_response_secs = $7, resolution_secs = $8, warn_percent = $9, updated_at = $10 WHERE id = $11`, append(args, p.ID)...)
	if isForeignKeyViolation(err) {
		return parley.Errorf(parley.EINVALID, "the policy's inbox or team does not exist")
	}
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return parley.Errorf(parley.ENOTFOUND, "SLA policy %d not found", p.ID)
	}
	return tx.changed(parley.Change{What: parley.ChangeSLAPolicy, ID: p.ID})
}

// DeleteSLAPolicy removes a policy. Conversations keep the timers they
// have; new ones are timed by what is left.
func (tx *Tx) DeleteSLAPolicy(id int64) error {
	res, err := tx.exec("DELETE FROM sla_policies WHERE id = $1", id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return parley.Errorf(parley.ENOTFOUND, "SLA policy %d not found", id)
	}
	return tx.changed(parley.Change{What: parley.ChangeSLAPolicy, ID: id})
}

// SLAPolicies returns every policy, read inside the transaction.
func (tx *Tx) SLAPolicies() (_ []parley.SLAPolicy, err error) {
	defer wrap(&err, "store: SLAPolicies")
	rows, err := tx.query("SELECT " + slaColumns + " FROM sla_policies ORDER BY id")
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (parley.SLAPolicy, error) { return scanSLAPolicy(r) })
}

// SLAPolicies returns every policy.
func (db *DB) SLAPolicies(ctx context.Context) (_ []parley.SLAPolicy, err error) {
	defer wrap(&err, "store: SLAPolicies")
	rows, err := db.read.QueryContext(ctx, "SELECT "+slaColumns+" FROM sla_policies ORDER BY id")
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (parley.SLAPolicy, error) { return scanSLAPolicy(r) })
}

// BreachingSoon returns open conversations whose nearest SLA target is
// due before t, soonest first (overdue ones included).
func (db *DB) BreachingSoon(ctx context.Context, before time.Time, limit int) (_ []parley.Conversation, err error) {
	defer wrap(&err, "store: BreachingSoon")
	rows, err := db.read.QueryContext(ctx, "SELECT "+conversationColumns+" FROM conversations WHERE sla_due_at IS NOT NULL AND sla_due_at < $1 ORDER BY sla_due_at, id LIMIT $2",
		ts(before), limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (parley.Conversation, error) { return scanConversation(r) })
}

// TeamHours returns a team's own business hours (JSON; "" for none).
func (tx *Tx) TeamHours(teamID int64) (string, error) {
	var h string
	err := tx.queryRow("SELECT hours FROM teams WHERE id = $1", teamID).Scan(&h)
	return h, notFound(err, "team", teamID)
}

// SetTeamHours stores a team's own business hours (JSON; "" for none).
func (tx *Tx) SetTeamHours(teamID int64, hours string) error {
	res, err := tx.exec("UPDATE teams SET hours = $2 WHERE id = $1 AND hours <> $2", teamID, hours)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		// Reports timed the team's conversations in the old hours.
		return tx.ReprojectReports()
	}
	var one int // unchanged hours, or no such team
	return notFound(tx.queryRow("SELECT 1 FROM teams WHERE id = $1", teamID).Scan(&one), "team", teamID)
}

// TeamHours returns a team's own business hours (JSON; "" for none).
func (db *DB) TeamHours(ctx context.Context, teamID int64) (string, error) {
	var h string
	err := db.read.QueryRowContext(ctx, "SELECT hours FROM teams WHERE id = $1", teamID).Scan(&h)
	return h, notFound(err, "team", teamID)
}

// CountBreachingSoon counts what BreachingSoon lists, up to limit.
func (db *DB) CountBreachingSoon(ctx context.Context, before time.Time, limit int) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM conversations WHERE sla_due_at IS NOT NULL AND sla_due_at < $1 LIMIT $2) b",
		ts(before), limit).Scan(&n)
	return n, err
}
