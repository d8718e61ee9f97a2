package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// ViewCounts are the numbers beside the inbox's views. They are computed
// when a page or the sidebar renders, with indexed counts, never per event.
type ViewCounts struct {
	Mine       int // open, assigned to the agent
	Unassigned int // open, unassigned
	ByStatus   map[parley.Status]int
}

// ViewCounts counts conversations for agentID's sidebar.
func (db *DB) ViewCounts(ctx context.Context, agentID int64) (v ViewCounts, err error) {
	defer wrap(&err, "store: ViewCounts")
	v.ByStatus = map[parley.Status]int{}
	rows, err := db.read.QueryContext(ctx, "SELECT status, COUNT(*) FROM conversations GROUP BY status")
	if err != nil {
		return v, err
	}
	defer rows.Close()
	for rows.Next() {
		var s parley.Status
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return v, err
		}
		v.ByStatus[s] = n
	}
	if err := rows.Err(); err != nil {
		return v, err
	}
	if err := db.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM conversations WHERE assignee_id = $1 AND status = 'open'", agentID).Scan(&v.Mine); err != nil {
		return v, err
	}
	err = db.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM conversations WHERE assignee_id IS NULL AND status = 'open'").Scan(&v.Unassigned)
	return v, err
}

// LabelCount is a label and how many conversations carry it.
type LabelCount struct {
	Label string
	Count int
}

// Labels returns the labels in use, by name (at most 100).
func (db *DB) Labels(ctx context.Context) (_ []LabelCount, err error) {
	defer wrap(&err, "store: Labels")
	rows, err := db.read.QueryContext(ctx, "SELECT label, COUNT(*) FROM conversation_labels GROUP BY label ORDER BY label LIMIT 100")
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (LabelCount, error) {
		var l LabelCount
		return l, r.Scan(&l.Label, &l.Count)
	})
}

// Preview is the latest message of a conversation, for list rows.
type Preview struct {
	Direction parley.Direction
	Text      string
	Files     int // attachments on it
	CreatedAt time.Time
}

// Previews returns the latest non-note message of each conversation.
func (db *DB) Previews(ctx context.Context, conversationIDs []int64) (_ map[int64]Preview, err error) {
	defer wrap(&err, "store: Previews")
	out := map[int64]Preview{}
	if len(conversationIDs) == 0 {
		return out, nil
	}
	args := make([]any, len(conversationIDs))
	for i, id := range conversationIDs {
		args[i] = id
	}
	rows, err := db.read.QueryContext(ctx, `SELECT m.conversation_id, m.direction, m.text, m.created_at,
			(SELECT COUNT(*) FROM attachments a WHERE a.message_id = m.id)
		FROM messages m WHERE m.id IN (SELECT MAX(id) FROM messages WHERE direction <> 'note' AND conversation_id IN (`+
		placeholders(1, len(args))+`) GROUP BY conversation_id)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, created int64
		var p Preview
		if err := rows.Scan(&id, &p.Direction, &p.Text, &created, &p.Files); err != nil {
			return nil, err
		}
		if len(p.Text) > 400 {
			p.Text = p.Text[:400]
		}
		p.CreatedAt = fromTS(created)
		out[id] = p
	}
	return out, rows.Err()
}

// ContactsByID returns the named contacts (without identities), by id.
func (db *DB) ContactsByID(ctx context.Context, ids []int64) (_ map[int64]parley.Contact, err error) {
	defer wrap(&err, "store: ContactsByID")
	out := map[int64]parley.Contact{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := db.read.QueryContext(ctx, "SELECT "+contactColumns+" FROM contacts WHERE id IN ("+placeholders(1, len(args))+")", args...)
	if err != nil {
		return nil, err
	}
	list, err := collect(rows, func(r *sql.Rows) (parley.Contact, error) { return scanContact(r) })
	for _, c := range list {
		out[c.ID] = c
	}
	return out, err
}

// TeamMembers returns the agent ids in each team, by team id.
func (db *DB) TeamMembers(ctx context.Context) (_ map[int64][]int64, err error) {
	defer wrap(&err, "store: TeamMembers")
	rows, err := db.read.QueryContext(ctx, "SELECT team_id, agent_id FROM team_members ORDER BY team_id, agent_id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][]int64{}
	for rows.Next() {
		var t, a int64
		if err := rows.Scan(&t, &a); err != nil {
			return nil, err
		}
		out[t] = append(out[t], a)
	}
	return out, rows.Err()
}

// RemoveTeamMember takes an agent out of a team (a no-op if not in it).
func (tx *Tx) RemoveTeamMember(teamID, agentID int64) error {
	_, err := tx.exec("DELETE FROM team_members WHERE team_id = $1 AND agent_id = $2", teamID, agentID)
	return err
}

// Status returns the count of conversations with the given status.
func (v ViewCounts) Status(s string) int { return v.ByStatus[parley.Status(s)] }
