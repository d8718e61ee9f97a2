package store

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/parleyhq/parley/internal/parley"
)

// Merging two contacts into one, and undoing it: the store's side of
// contact merges (contacts.go has the contacts themselves).

// MergeContacts merges source into target: the source's identities and
// conversations move to the target, and the source is marked merged. The
// merge is recorded so UnmergeContacts can undo it.
func (tx *Tx) MergeContacts(targetID, sourceID int64, agentID *int64) (m parley.ContactMerge, err error) {
	defer wrap(&err, "store: MergeContacts(%d, %d)", targetID, sourceID)
	if targetID == sourceID {
		return m, parley.Errorf(parley.EINVALID, "cannot merge a contact into itself")
	}
	target, err := tx.Contact(targetID)
	if err != nil {
		return m, err
	}
	source, err := tx.Contact(sourceID)
	if err != nil {
		return m, err
	}
	for _, c := range []parley.Contact{target, source} {
		if c.MergedInto != nil {
			return m, parley.Errorf(parley.ECONFLICT, "contact %d was already merged into contact %d", c.ID, *c.MergedInto)
		}
	}
	m = parley.ContactMerge{TargetID: targetID, SourceID: sourceID, AgentID: agentID, CreatedAt: tx.now}
	if m.IdentityIDs, err = tx.moveIDs("identities", "contact_id", sourceID, targetID, nil); err != nil {
		return m, err
	}
	if m.ConversationIDs, err = tx.moveIDs("conversations", "contact_id", sourceID, targetID, nil); err != nil {
		return m, err
	}
	if _, err := tx.exec(`UPDATE contacts SET merged_into_id = $2, updated_at = $3 WHERE id = $1`, sourceID, targetID, ts(tx.now)); err != nil {
		return m, err
	}
	// The target keeps its own details; empty ones are filled from the
	// source, and what was filled is recorded so unmerge can take it back.
	filled := map[string]string{}
	if target.Name == "" && source.Name != "" {
		filled["name"] = source.Name
	}
	if target.Email == "" && source.Email != "" {
		filled["email"] = source.Email
	}
	if target.Phone == "" && source.Phone != "" {
		filled["phone"] = source.Phone
	}
	if err := tx.setContactFields(targetID, filled); err != nil {
		return m, err
	}
	idsJSON, _ := json.Marshal(m.IdentityIDs)
	convJSON, _ := json.Marshal(m.ConversationIDs)
	filledJSON, _ := json.Marshal(filled)
	if err := tx.queryRow(`INSERT INTO contact_merges (target_id, source_id, agent_id, identity_ids, conversation_ids, filled, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, targetID, sourceID, idPtr(agentID), string(idsJSON), string(convJSON),
		string(filledJSON), ts(tx.now)).Scan(&m.ID); err != nil {
		return m, err
	}
	return m, tx.AppendEvent(&parley.Event{Type: parley.EventContactMerged, ContactID: &targetID, AgentID: agentID},
		map[string]int64{"merge_id": m.ID, "source_id": sourceID, "target_id": targetID})
}

// moveIDs sets column from one owner to another on the rows of table that
// have it (restricted to ids when not nil) and returns the ids moved.
func (tx *Tx) moveIDs(table, column string, from, to int64, ids []int64) ([]int64, error) {
	q := "UPDATE " + table + " SET " + column + " = $2 WHERE " + column + " = $1"
	args := []any{from, to}
	if ids != nil {
		if len(ids) == 0 {
			return []int64{}, nil
		}
		q += " AND id IN (" + placeholders(3, len(ids)) + ")"
		for _, id := range ids {
			args = append(args, id)
		}
	}
	rows, err := tx.query(q+" RETURNING id", args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (int64, error) {
		var id int64
		err := r.Scan(&id)
		return id, err
	})
}

// UnmergeContacts undoes a merge: the identities and conversations that
// moved (and are still on the target) go back to the source, which becomes
// a contact of its own again. Returns ECONFLICT if it was already undone.
func (tx *Tx) UnmergeContacts(mergeID int64, agentID *int64) (m parley.ContactMerge, err error) {
	defer wrap(&err, "store: UnmergeContacts(%d)", mergeID)
	m, err = tx.contactMerge(mergeID)
	if err != nil {
		return m, err
	}
	if m.UnmergedAt != nil {
		return m, parley.Errorf(parley.ECONFLICT, "merge %d was already undone", mergeID)
	}
	if _, err := tx.moveIDs("identities", "contact_id", m.TargetID, m.SourceID, m.IdentityIDs); err != nil {
		return m, err
	}
	if _, err := tx.moveIDs("conversations", "contact_id", m.TargetID, m.SourceID, m.ConversationIDs); err != nil {
		return m, err
	}
	if _, err := tx.exec("UPDATE contacts SET merged_into_id = NULL, updated_at = $2 WHERE id = $1", m.SourceID, ts(tx.now)); err != nil {
		return m, err
	}
	// Take back what the merge filled in on the target, unless it was edited since.
	var filledJSON string
	if err := tx.queryRow("SELECT filled FROM contact_merges WHERE id = $1", mergeID).Scan(&filledJSON); err != nil {
		return m, err
	}
	var filled map[string]string
	if err := json.Unmarshal([]byte(filledJSON), &filled); err != nil {
		return m, err
	}
	target, err := tx.Contact(m.TargetID)
	if err != nil {
		return m, err
	}
	current := map[string]string{"name": target.Name, "email": target.Email, "phone": target.Phone}
	clear := map[string]string{}
	for field, value := range filled {
		if current[field] == value {
			clear[field] = ""
		}
	}
	if err := tx.setContactFields(m.TargetID, clear); err != nil {
		return m, err
	}
	if _, err := tx.exec("UPDATE contact_merges SET unmerged_at = $2 WHERE id = $1", mergeID, ts(tx.now)); err != nil {
		return m, err
	}
	now := tx.now
	m.UnmergedAt = &now
	return m, tx.AppendEvent(&parley.Event{Type: parley.EventContactUnmerged, ContactID: &m.SourceID, AgentID: agentID},
		map[string]int64{"merge_id": m.ID, "source_id": m.SourceID, "target_id": m.TargetID})
}

func scanMerge(row interface{ Scan(...any) error }) (m parley.ContactMerge, err error) {
	var agent, unmerged sql.NullInt64
	var idsJSON, convJSON string
	var created int64
	if err := row.Scan(&m.ID, &m.TargetID, &m.SourceID, &agent, &idsJSON, &convJSON, &created, &unmerged); err != nil {
		return m, err
	}
	m.AgentID, m.CreatedAt, m.UnmergedAt = fromNullID(agent), fromTS(created), fromNullTS(unmerged)
	if err := json.Unmarshal([]byte(idsJSON), &m.IdentityIDs); err != nil {
		return m, err
	}
	return m, json.Unmarshal([]byte(convJSON), &m.ConversationIDs)
}

func (tx *Tx) contactMerge(id int64) (parley.ContactMerge, error) {
	m, err := scanMerge(tx.queryRow("SELECT "+mergeColumns+" FROM contact_merges WHERE id = $1"+tx.db.dialect.forUpdate, id))
	return m, notFound(err, "merge", id)
}

// ContactMerges returns the merges a contact took part in, newest first.
func (db *DB) ContactMerges(ctx context.Context, contactID int64) (_ []parley.ContactMerge, err error) {
	defer wrap(&err, "store: ContactMerges(%d)", contactID)
	rows, err := db.read.QueryContext(ctx, "SELECT "+mergeColumns+" FROM contact_merges WHERE target_id = $1 OR source_id = $1 ORDER BY id DESC", contactID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (parley.ContactMerge, error) { return scanMerge(r) })
}
