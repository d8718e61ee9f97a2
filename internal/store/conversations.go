package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/internal/parley"
)

const conversationColumns = `id, inbox_id, contact_id, status, priority, assignee_id, team_id, snoozed_until,
	first_response_at, resolved_at, reopen_count, previous_id, queued_at, queued_for, sla, sla_due_at, sla_state,
	promised_reply_by, last_activity_at, created_at, updated_at`

func scanConversation(row interface{ Scan(...any) error }) (parley.Conversation, error) {
	var c parley.Conversation
	var assignee, team, snoozed, firstResp, resolved, previous, queued, queuedFor, slaDue, promised sql.NullInt64
	var activity, created, updated int64
	err := row.Scan(&c.ID, &c.InboxID, &c.ContactID, &c.Status, &c.Priority, &assignee, &team, &snoozed,
		&firstResp, &resolved, &c.ReopenCount, &previous, &queued, &queuedFor, &c.SLA, &slaDue, &c.SLAState, &promised, &activity, &created, &updated)
	c.AssigneeID, c.TeamID, c.PreviousID = fromNullID(assignee), fromNullID(team), fromNullID(previous)
	c.QueuedFor = fromNullID(queuedFor)
	c.SnoozedUntil, c.FirstResponseAt, c.ResolvedAt = fromNullTS(snoozed), fromNullTS(firstResp), fromNullTS(resolved)
	c.QueuedAt, c.SLADueAt, c.PromisedReplyBy = fromNullTS(queued), fromNullTS(slaDue), fromNullTS(promised)
	c.LastActivityAt, c.CreatedAt, c.UpdatedAt = fromTS(activity), fromTS(created), fromTS(updated)
	c.Labels = []string{}
	return c, err
}

// CreateConversation stores a new conversation and its created event.
func (tx *Tx) CreateConversation(c *parley.Conversation, agentID *int64) (err error) {
	defer wrap(&err, "store: CreateConversation")
	tx.pre.forgetConversations(c.InboxID, c.ContactID)
	c.CreatedAt, c.UpdatedAt, c.LastActivityAt = tx.now, tx.now, tx.now
	if c.Status == "" {
		c.Status = parley.StatusOpen
	}
	if c.Priority == "" {
		c.Priority = parley.PriorityNormal
	}
	if c.Labels == nil {
		c.Labels = []string{}
	}
	c.ReopenCount = 0
	if !tx.pre.deferConversation(tx, c) { // queued, its row goes in with the batch's (deferred.go)
		c.ID, err = tx.insertID(`INSERT INTO conversations (inbox_id, contact_id, status, priority, assignee_id, team_id, reopen_count,
				previous_id, last_activity_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $8, $8) RETURNING id`,
			c.InboxID, c.ContactID, c.Status, c.Priority, idPtr(c.AssigneeID), idPtr(c.TeamID), idPtr(c.PreviousID), ts(tx.now))
		if err != nil {
			return err
		}
	}
	tx.pre.rememberLatest(c, true)
	return tx.AppendEvent(&parley.Event{Type: parley.EventConversationCreated, ConversationID: &c.ID, ContactID: &c.ContactID, AgentID: agentID},
		map[string]any{"inbox_id": c.InboxID, "previous_id": c.PreviousID})
}

// LatestConversation returns the newest conversation between a contact and
// an inbox. Returns ENOTFOUND when they have none.
// On PostgreSQL it first takes the contact's lock, so two batches receiving
// from one contact at once cannot both start a conversation.
func (tx *Tx) LatestConversation(inboxID, contactID int64) (parley.Conversation, error) {
	if c, ok := tx.pre.takeLatest(inboxID, contactID); ok {
		if c.ID == 0 {
			return c, notFound(sql.ErrNoRows, "conversation for contact", contactID)
		}
		return c, nil
	}
	if !tx.readOnly {
		if c, ok := tx.db.cache.latestGet(inboxID, contactID); ok {
			return c, nil
		}
	}
	args := []any{contactID, inboxID}
	if tx.db.dialect.lockContact != "" {
		args = append(args, contactLockKey(contactID))
	}
	c, err := scanConversation(tx.queryRow("SELECT "+conversationColumns+
		" FROM conversations WHERE contact_id = $1 AND "+contactInbox+" = $2"+tx.db.dialect.lockContact+
		" ORDER BY id DESC LIMIT 1"+tx.db.dialect.forUpdate, args...))
	if err == nil && !tx.readOnly {
		tx.db.cache.latestPut(c)
	}
	return c, notFound(err, "conversation for contact", contactID)
}

// contactInbox is conversations.inbox_id as the read of a contact's
// conversations in one inbox compares it: as an expression, so that no
// index on inbox_id can serve it. A contact has a few conversations, which
// the contact's index finds at once; PostgreSQL, with statistics from when
// the table was small, instead intersected that index with the inbox's,
// reading every conversation of the inbox for each message received.
const contactInbox = "(inbox_id + 0)"

// Conversation returns one conversation with its labels, read inside the
// transaction. Returns ENOTFOUND if there is none.
func (tx *Tx) Conversation(id int64) (parley.Conversation, error) {
	c, err := scanConversation(tx.queryRow("SELECT "+conversationColumns+" FROM conversations WHERE id = $1"+tx.db.dialect.forUpdate, id))
	if err != nil {
		return c, notFound(err, "conversation", id)
	}
	rows, err := tx.query("SELECT label FROM conversation_labels WHERE conversation_id = $1 ORDER BY label", id)
	if err != nil {
		return c, err
	}
	c.Labels, err = collect(rows, func(r *sql.Rows) (string, error) {
		var l string
		return l, r.Scan(&l)
	})
	return c, err
}

// Conversation returns one conversation with its labels. Returns ENOTFOUND if there is none.
func (db *DB) Conversation(ctx context.Context, id int64) (parley.Conversation, error) {
	c, err := scanConversation(db.read.QueryRowContext(ctx, "SELECT "+conversationColumns+" FROM conversations WHERE id = $1", id))
	if err != nil {
		return c, notFound(err, "conversation", id)
	}
	list := []parley.Conversation{c}
	err = db.loadLabels(ctx, list)
	return list[0], err
}

// SaveConversation writes a conversation's changeable fields (not labels:
// see SetLabels). The caller has read it in the same transaction.
func (tx *Tx) SaveConversation(c *parley.Conversation) (err error) {
	defer wrap(&err, "store: SaveConversation(%d)", c.ID)
	tx.pre.forgetConversations(c.InboxID, c.ContactID)
	tx.pre.setAssignee(c.ID, c.AssigneeID)
	c.UpdatedAt = tx.now
	if c.QueuedAt == nil {
		c.QueuedFor = nil // a hold for an agent is a way of waiting in the queue
	}
	defer func() {
		if err == nil {
			tx.pre.rememberLatest(c, false)
		}
	}()
	if tx.pre.saveQueued(c) {
		return nil // created by this batch: its row goes in as it is now (deferred.go)
	}
	_, err = tx.exec(`UPDATE conversations SET status = $2, priority = $3, assignee_id = $4, team_id = $5, snoozed_until = $6,
			first_response_at = $7, resolved_at = $8, reopen_count = $9, last_activity_at = $10, updated_at = $11,
			queued_at = $12, sla = $13, sla_due_at = $14, sla_state = $15, promised_reply_by = $16, queued_for = $17
		WHERE id = $1`,
		c.ID, c.Status, c.Priority, idPtr(c.AssigneeID), idPtr(c.TeamID), tsPtr(c.SnoozedUntil),
		tsPtr(c.FirstResponseAt), tsPtr(c.ResolvedAt), c.ReopenCount, ts(c.LastActivityAt), ts(tx.now),
		tsPtr(c.QueuedAt), c.SLA, tsPtr(c.SLADueAt), c.SLAState, tsPtr(c.PromisedReplyBy), idPtr(c.QueuedFor))
	return err
}

// TouchConversation records activity on a conversation whose other fields
// did not change: the update that every message makes. It is written at
// the end of the batch, one statement for all the batch's conversations.
func (tx *Tx) TouchConversation(c *parley.Conversation) error {
	c.LastActivityAt, c.UpdatedAt = tx.now, tx.now
	tx.pre.forgetConversations(c.InboxID, c.ContactID)
	if !tx.pre.saveQueued(c) { // a conversation this batch queued goes in touched
		tx.touched = append(tx.touched, c.ID)
	}
	tx.pre.rememberLatest(c, false)
	return nil
}

// SetLabels replaces a conversation's labels (already normalised).
func (tx *Tx) SetLabels(conversationID int64, labels []string) error {
	if _, err := tx.exec("DELETE FROM conversation_labels WHERE conversation_id = $1", conversationID); err != nil {
		return err
	}
	for _, l := range labels {
		if _, err := tx.exec("INSERT INTO conversation_labels (conversation_id, label) VALUES ($1, $2)", conversationID, l); err != nil {
			return err
		}
	}
	return nil
}

// ConversationPage is one page of a conversation list.
type ConversationPage struct {
	Conversations []parley.Conversation `json:"conversations"`
	NextCursor    string                `json:"next_cursor,omitempty"` // empty on the last page
}

// Conversations lists conversations matching f, most recent activity
// first. Pages continue with the previous page's NextCursor.
func (db *DB) Conversations(ctx context.Context, f parley.ConversationFilter) (_ ConversationPage, err error) {
	defer wrap(&err, "store: Conversations")
	var q query
	if f.Status != "" {
		q.add("status = ?", f.Status)
	}
	if f.InboxID != 0 {
		q.add("inbox_id = ?", f.InboxID)
	}
	switch {
	case f.AssigneeID == -1:
		q.where = append(q.where, "assignee_id IS NULL")
	case f.AssigneeID != 0:
		q.add("assignee_id = ?", f.AssigneeID)
	}
	if f.TeamID != 0 {
		q.add("team_id = ?", f.TeamID)
	}
	if f.ContactID != 0 {
		q.add("contact_id = ?", f.ContactID)
	}
	if f.Priority != "" {
		q.add("priority = ?", f.Priority)
	}
	if f.Label != "" {
		q.add("id IN (SELECT conversation_id FROM conversation_labels WHERE label = ?)", f.Label)
	}
	if f.Cursor != "" {
		at, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return ConversationPage{}, err
		}
		a, b := q.next(at), q.next(id)
		q.where = append(q.where, "(last_activity_at < "+a+" OR (last_activity_at = "+a+" AND id < "+b+"))")
	}
	limit := f.Limit
	if limit <= 0 || limit > 100 {
		limit = 25
	}
	rows, err := db.read.QueryContext(ctx, "SELECT "+conversationColumns+" FROM conversations"+q.clause()+
		" ORDER BY last_activity_at DESC, id DESC LIMIT "+q.next(limit+1), q.args...)
	if err != nil {
		return ConversationPage{}, err
	}
	list, err := collect(rows, func(r *sql.Rows) (parley.Conversation, error) { return scanConversation(r) })
	if err != nil {
		return ConversationPage{}, err
	}
	page := ConversationPage{Conversations: list}
	if len(list) > limit {
		page.Conversations = list[:limit]
		last := list[limit-1]
		page.NextCursor = encodeCursor(ts(last.LastActivityAt), last.ID)
	}
	return page, db.loadLabels(ctx, page.Conversations)
}

func (db *DB) loadLabels(ctx context.Context, list []parley.Conversation) error {
	if len(list) == 0 {
		return nil
	}
	byID := make(map[int64]*parley.Conversation, len(list))
	args := make([]any, len(list))
	for i := range list {
		byID[list[i].ID] = &list[i]
		args[i] = list[i].ID
	}
	rows, err := db.read.QueryContext(ctx, "SELECT conversation_id, label FROM conversation_labels WHERE conversation_id IN ("+
		placeholders(1, len(args))+") ORDER BY label", args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var l string
		if err := rows.Scan(&id, &l); err != nil {
			return err
		}
		byID[id].Labels = append(byID[id].Labels, l)
	}
	return rows.Err()
}

func encodeCursor(at, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at, 10) + ":" + strconv.FormatInt(id, 10)))
}

func decodeCursor(s string) (at, id int64, err error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		a, i, ok := strings.Cut(string(b), ":")
		if ok {
			at, err = strconv.ParseInt(a, 10, 64)
			if err == nil {
				id, err = strconv.ParseInt(i, 10, 64)
			}
			if err == nil {
				return at, id, nil
			}
		}
	}
	return 0, 0, parley.Errorf(parley.EINVALID, "cursor %q is not one this server issued", s)
}

// ConversationChain returns the ids of the conversation and of every
// conversation it continues, oldest first (bounded, in case of a cycle).
func (db *DB) ConversationChain(ctx context.Context, id int64) (_ []int64, err error) {
	defer wrap(&err, "store: ConversationChain(%d)", id)
	chain := []int64{id}
	seen := map[int64]bool{id: true}
	for cur := id; len(chain) < 1000; {
		var prev sql.NullInt64
		if err := db.read.QueryRowContext(ctx, "SELECT previous_id FROM conversations WHERE id = $1", cur).Scan(&prev); err != nil {
			return nil, notFound(err, "conversation", cur)
		}
		if !prev.Valid || seen[prev.Int64] {
			break
		}
		cur = prev.Int64
		seen[cur] = true
		chain = append(chain, cur)
	}
	for i, j := 0, len(chain)-1; i < j; i, j = i+1, j-1 {
		chain[i], chain[j] = chain[j], chain[i]
	}
	return chain, nil
}

// CountConversations returns how many conversations exist (for the seeder and health).
func (db *DB) CountConversations(ctx context.Context) (int64, error) {
	var n int64
	err := db.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM conversations").Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: CountConversations: %w", err)
	}
	return n, nil
}
