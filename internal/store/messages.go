package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// messageColumns reads a message's id from its sender (incoming) or from
// the provider that took it (outgoing, provider_id: see sends.go) as one
// ExternalID.
const messageColumns = `m.id, m.conversation_id, m.inbox_id, m.direction, m.author_agent_id, m.author_contact_id, m.text,
	COALESCE(m.external_id, m.provider_id), m.delivery_state, m.delivery_error, m.automated, m.created_at, m.omitted`

func scanMessage(row interface{ Scan(...any) error }) (parley.Message, error) {
	var m parley.Message
	var agent, contact sql.NullInt64
	var ext sql.NullString
	var created int64
	var omitted string
	err := row.Scan(&m.ID, &m.ConversationID, &m.InboxID, &m.Direction, &agent, &contact, &m.Text, &ext, &m.DeliveryState, &m.DeliveryError, &m.Automated, &created, &omitted)
	m.AuthorAgentID, m.AuthorContactID, m.ExternalID, m.CreatedAt = fromNullID(agent), fromNullID(contact), ext.String, fromTS(created)
	m.Attachments = []parley.Attachment{}
	if err == nil {
		m.Omitted, err = decodeOmitted(omitted)
	}
	return m, err
}

// decodeOmitted reads the omitted column: JSON, or empty for none.
func decodeOmitted(s string) ([]parley.OmittedPart, error) {
	if s == "" {
		return nil, nil
	}
	var list []parley.OmittedPart
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		return nil, fmt.Errorf("store: message omitted parts: %w", err)
	}
	return list, nil
}

// CreateMessage stores a message and its attachments (whose blobs must be
// registered) in conversation c, and appends the message.created event.
func (tx *Tx) CreateMessage(c *parley.Conversation, m *parley.Message) (err error) {
	defer wrap(&err, "store: CreateMessage")
	m.ConversationID, m.CreatedAt = c.ID, tx.now
	var ext any
	if m.ExternalID != "" {
		ext = m.ExternalID
	}
	inboxID := c.InboxID
	if m.InboxID != 0 {
		inboxID = m.InboxID // sent through another of the contact's channels
	}
	m.InboxID = inboxID
	omitted := ""
	if len(m.Omitted) > 0 {
		b, err := json.Marshal(m.Omitted)
		if err != nil {
			return err
		}
		omitted = string(b)
	}
	// assignee_id copies the conversation's (search reads it; a trigger
	// keeps it right when the conversation is reassigned).
	row := []any{c.ID, inboxID, m.Direction, idPtr(m.AuthorAgentID), idPtr(m.AuthorContactID), m.Text, ext,
		m.DeliveryState, m.DeliveryError, m.ChannelPayload, m.Automated, ts(tx.now), ts(tx.now), omitted, idPtr(c.AssigneeID)}
	if tx.pre.deferMessage(tx, m, row) {
		// m has its id; its row goes in with the batch's other messages (see prefetch.go)
	} else {
		if m.ID, err = tx.insertID(insertMessageSQL, row...); err != nil {
			return err
		}
		if m.ExternalID != "" {
			tx.pre.forgetDup(inboxID, m.ExternalID)
		}
	}
	for i := range m.Attachments {
		a := &m.Attachments[i]
		a.MessageID = m.ID
		err := tx.queryRow(`INSERT INTO attachments (message_id, sha256, filename, content_type, size, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, m.ID, a.SHA256, a.Filename, a.ContentType, a.Size, ts(tx.now)).Scan(&a.ID)
		if isForeignKeyViolation(err) {
			return parley.Errorf(parley.EINVALID, "attachment %s was never uploaded", a.SHA256)
		}
		if err != nil {
			return err
		}
	}
	return tx.AppendEvent(&parley.Event{Type: parley.EventMessageCreated, ConversationID: &c.ID, ContactID: &c.ContactID,
		MessageID: &m.ID, AgentID: m.AuthorAgentID}, messageEventData(*m, *c))
}

// messageInsertColumns are the columns CreateMessage writes, in the order
// of its row.
const messageInsertColumns = `conversation_id, inbox_id, direction, author_agent_id, author_contact_id, text,
	external_id, delivery_state, delivery_error, channel_payload, automated, created_at, updated_at, omitted, assignee_id`

// insertMessageSQL is CreateMessage's insert, built once: it runs for
// every message, inside the single writer.
var insertMessageSQL = "INSERT INTO messages (" + messageInsertColumns + ") VALUES (" +
	placeholders(1, strings.Count(messageInsertColumns, ",")+1) + ") RETURNING id"

// messageEventData is a message.created event's data: its direction,
// whether Parley wrote it itself (automated), and for an outgoing message
// whether it is a response (parley.IsResponse): reports cannot tell a
// token's reply from Parley's own message otherwise, since neither has an
// agent. For a customer's message it also says whose the conversation is
// and how urgent, so an agent's browser can tell whether to notify them
// without asking.
func messageEventData(m parley.Message, c parley.Conversation) map[string]any {
	d := map[string]any{"direction": m.Direction}
	if m.Direction == parley.Incoming {
		d["priority"] = c.Priority
		if c.AssigneeID != nil {
			d["assignee_id"] = *c.AssigneeID
		}
	}
	if m.Automated {
		d["automated"] = true
	}
	if m.Direction == parley.Outgoing {
		d["response"] = m.Response
	}
	return d
}

// MessageRef names a stored message by what a duplicate check or a
// thread lookup needs of it.
type MessageRef struct {
	ID, ConversationID int64
	AuthorContactID    *int64
}

// MessageByExternalID finds a message by the id its sender gave it in an
// inbox: a customer's or an API caller's, never the id a provider gave our
// sends (OutgoingByProviderID). Returns ENOTFOUND when there is none. Every
// received message is checked this way inside the single writer, so it
// reads three columns, not the message: each column a query returns costs
// the driver a name and a type to fetch, whether or not a row is found.
func (tx *Tx) MessageByExternalID(inboxID int64, externalID string) (MessageRef, error) {
	if m, ok := tx.pre.takeDup(inboxID, externalID); ok {
		if m.ID == 0 {
			return MessageRef{}, notFound(sql.ErrNoRows, "message", externalID)
		}
		return MessageRef{ID: m.ID, ConversationID: m.ConversationID, AuthorContactID: m.AuthorContactID}, nil
	}
	var r MessageRef
	var author sql.NullInt64
	err := tx.queryRow("SELECT id, conversation_id, author_contact_id FROM messages WHERE inbox_id = $1 AND external_id = $2",
		inboxID, externalID).Scan(&r.ID, &r.ConversationID, &author)
	if author.Valid {
		r.AuthorContactID = &author.Int64
	}
	return r, notFound(err, "message", externalID)
}

// Message returns one message, read inside the transaction. Returns ENOTFOUND if there is none.
func (tx *Tx) Message(id int64) (parley.Message, error) {
	m, err := scanMessage(tx.queryRow("SELECT "+messageColumns+" FROM messages m WHERE m.id = $1"+tx.db.dialect.forUpdate, id))
	return m, notFound(err, "message", id)
}

// SetDelivery records an outgoing message's delivery state and appends a
// message.delivery event.
func (tx *Tx) SetDelivery(m *parley.Message, conversation parley.Conversation, state parley.DeliveryState, reason string) error {
	m.DeliveryState, m.DeliveryError = state, reason
	if _, err := tx.exec("UPDATE messages SET delivery_state = $2, delivery_error = $3, updated_at = $4 WHERE id = $1",
		m.ID, state, reason, ts(tx.now)); err != nil {
		return err
	}
	return tx.AppendEvent(&parley.Event{Type: parley.EventMessageDelivery, ConversationID: &conversation.ID, ContactID: &conversation.ContactID,
		MessageID: &m.ID}, map[string]string{"state": string(state), "error": reason})
}

// ChannelPayload returns what a provider needs to send an outgoing message
// beyond its text (see parley.Message.ChannelPayload).
func (tx *Tx) ChannelPayload(messageID int64) (string, error) {
	var p string
	err := tx.queryRow("SELECT channel_payload FROM messages WHERE id = $1", messageID).Scan(&p)
	return p, notFound(err, "message", messageID)
}

// ChannelPayload returns what a provider needs to send an outgoing message
// beyond its text (see parley.Message.ChannelPayload).
func (db *DB) ChannelPayload(ctx context.Context, messageID int64) (string, error) {
	var p string
	err := db.read.QueryRowContext(ctx, "SELECT channel_payload FROM messages WHERE id = $1", messageID).Scan(&p)
	return p, notFound(err, "message", messageID)
}

// LastIncomingAt returns when a contact last wrote in an inbox (zero if
// never): the start of the provider's window for writing back.
func (tx *Tx) LastIncomingAt(inboxID, contactID int64) (time.Time, error) {
	return scanTime(tx.queryRow(lastIncomingSQL, contactID, inboxID))
}

// LastIncomingAt returns when a contact last wrote in an inbox (zero if never).
func (db *DB) LastIncomingAt(ctx context.Context, inboxID, contactID int64) (time.Time, error) {
	return scanTime(db.read.QueryRowContext(ctx, lastIncomingSQL, contactID, inboxID))
}

const lastIncomingSQL = `SELECT MAX(m.created_at) FROM conversations c JOIN messages m ON m.conversation_id = c.id
	WHERE c.contact_id = $1 AND m.inbox_id = $2 AND m.direction = 'incoming'`

// scanTime reads one nullable time; NULL is the zero time.
func scanTime(row interface{ Scan(...any) error }) (time.Time, error) {
	var at sql.NullInt64
	if err := row.Scan(&at); err != nil || !at.Valid {
		return time.Time{}, err
	}
	return fromTS(at.Int64), nil
}

// OutgoingBefore returns the ids of a contact's outgoing messages in an
// inbox sent at or before t whose state is one of states: what a
// provider's "delivered/read up to" watermark covers.
func (tx *Tx) OutgoingBefore(inboxID, contactID int64, t time.Time, states ...parley.DeliveryState) (_ []int64, err error) {
	defer wrap(&err, "store: OutgoingBefore")
	var q query
	text := `SELECT m.id FROM conversations c JOIN messages m ON m.conversation_id = c.id
		WHERE c.contact_id = ` + q.next(contactID) + ` AND m.inbox_id = ` + q.next(inboxID) + ` AND m.direction = 'outgoing'
		AND m.created_at <= ` + q.next(ts(t)) + ` AND m.delivery_state IN (`
	for i, s := range states {
		if i > 0 {
			text += ", "
		}
		text += q.next(string(s))
	}
	rows, err := tx.query(text+") ORDER BY m.id", q.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// AddAttachment attaches a registered blob to a stored message (media a
// provider let us fetch after the message was received).
func (tx *Tx) AddAttachment(m *parley.Message, conversation parley.Conversation, a parley.Attachment) error {
	a.MessageID = m.ID
	if err := tx.queryRow(`INSERT INTO attachments (message_id, sha256, filename, content_type, size, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, m.ID, a.SHA256, a.Filename, a.ContentType, a.Size, ts(tx.now)).Scan(&a.ID); err != nil {
		return err
	}
	m.Attachments = append(m.Attachments, a)
	return tx.AppendEvent(&parley.Event{Type: parley.EventMessageUpdated, ConversationID: &conversation.ID, ContactID: &conversation.ContactID,
		MessageID: &m.ID}, map[string]any{"attachment_id": a.ID})
}

// Messages returns the messages of the given conversations with their
// attachments, oldest first: a conversation's whole history when given its chain.
func (db *DB) Messages(ctx context.Context, conversationIDs []int64) (_ []parley.Message, err error) {
	defer wrap(&err, "store: Messages")
	if len(conversationIDs) == 0 {
		return []parley.Message{}, nil
	}
	args := make([]any, len(conversationIDs))
	for i, id := range conversationIDs {
		args[i] = id
	}
	rows, err := db.read.QueryContext(ctx, "SELECT "+messageColumns+" FROM messages m WHERE m.conversation_id IN ("+
		placeholders(1, len(args))+") ORDER BY m.id", args...)
	if err != nil {
		return nil, err
	}
	list, err := collect(rows, func(r *sql.Rows) (parley.Message, error) { return scanMessage(r) })
	if err != nil {
		return nil, err
	}
	return list, db.loadAttachments(ctx, list)
}

// MessageTexts returns the text and the number of attachments of each of
// the messages ids names that exist, in one query: what a workflow's
// trigger reads of a batch of new messages.
func (db *DB) MessageTexts(ctx context.Context, ids []int64) (_ map[int64]MessageText, err error) {
	defer wrap(&err, "store: MessageTexts")
	out := map[int64]MessageText{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := db.read.QueryContext(ctx, "SELECT m.id, m.text, (SELECT COUNT(*) FROM attachments a WHERE a.message_id = m.id) FROM messages m WHERE m.id IN ("+
		inList(ids)+")")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var t MessageText
		if err := rows.Scan(&id, &t.Text, &t.Attachments); err != nil {
			return nil, err
		}
		out[id] = t
	}
	return out, rows.Err()
}

// MessageText is what MessageTexts reads of a message.
type MessageText struct {
	Text        string
	Attachments int
}

// Message returns one message with its attachments. Returns ENOTFOUND if there is none.
func (db *DB) Message(ctx context.Context, id int64) (parley.Message, error) {
	m, err := scanMessage(db.read.QueryRowContext(ctx, "SELECT "+messageColumns+" FROM messages m WHERE m.id = $1", id))
	if err != nil {
		return m, notFound(err, "message", id)
	}
	list := []parley.Message{m}
	err = db.loadAttachments(ctx, list)
	return list[0], err
}

func (db *DB) loadAttachments(ctx context.Context, list []parley.Message) error {
	if len(list) == 0 {
		return nil
	}
	byID := make(map[int64]*parley.Message, len(list))
	for i := range list {
		byID[list[i].ID] = &list[i]
	}
	ids := make([]any, 0, len(list))
	for _, m := range list {
		ids = append(ids, m.ID)
	}
	// In chunks, to stay under SQLite's and PostgreSQL's bound-parameter limits.
	for len(ids) > 0 {
		n := min(len(ids), 500)
		if err := db.loadAttachmentChunk(ctx, byID, ids[:n]); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

func (db *DB) loadAttachmentChunk(ctx context.Context, byID map[int64]*parley.Message, ids []any) error {
	rows, err := db.read.QueryContext(ctx, `SELECT a.id, a.message_id, a.sha256, a.filename, a.content_type, a.size, b.duration_ms
		FROM attachments a JOIN blobs b ON b.sha256 = a.sha256
		WHERE a.message_id IN (`+placeholders(1, len(ids))+`) ORDER BY a.id`, ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a parley.Attachment
		if err := rows.Scan(&a.ID, &a.MessageID, &a.SHA256, &a.Filename, &a.ContentType, &a.Size, &a.DurationMS); err != nil {
			return err
		}
		if m := byID[a.MessageID]; m != nil {
			m.Attachments = append(m.Attachments, a)
		}
	}
	return rows.Err()
}

// Attachment returns one attachment's metadata. Returns ENOTFOUND if there is none.
func (db *DB) Attachment(ctx context.Context, id int64) (parley.Attachment, error) {
	var a parley.Attachment
	err := db.read.QueryRowContext(ctx, `SELECT a.id, a.message_id, a.sha256, a.filename, a.content_type, a.size, b.duration_ms
		FROM attachments a JOIN blobs b ON b.sha256 = a.sha256 WHERE a.id = $1`, id).
		Scan(&a.ID, &a.MessageID, &a.SHA256, &a.Filename, &a.ContentType, &a.Size, &a.DurationMS)
	return a, notFound(err, "attachment", id)
}

// RegisterBlob records a stored blob (a no-op if it is known already).
func (tx *Tx) RegisterBlob(sha string, size int64, contentType string) error {
	_, err := tx.exec(`INSERT INTO blobs (sha256, size, content_type, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING`,
		sha, size, contentType, ts(tx.now))
	return err
}

// Blob returns a registered blob's size and content type. Returns ENOTFOUND if it was never uploaded.
func (tx *Tx) Blob(sha string) (size int64, contentType string, err error) {
	err = tx.queryRow("SELECT size, content_type FROM blobs WHERE sha256 = $1", sha).Scan(&size, &contentType)
	return size, contentType, notFound(err, "upload", sha)
}

// MoveMessage moves an outgoing message to another inbox with a new
// channel payload, clearing the provider id it had and any open send.
func (tx *Tx) MoveMessage(messageID, inboxID int64, payload string) error {
	_, err := tx.exec(`UPDATE messages SET inbox_id = $2, channel_payload = $3, provider_id = NULL, send_attempt = NULL, send_started_at = NULL,
		updated_at = $4 WHERE id = $1`,
		messageID, inboxID, payload, ts(tx.now))
	return err
}

// HasAttachment reports whether a message already has a file.
func (tx *Tx) HasAttachment(messageID int64, sha string) (bool, error) {
	var n int
	err := tx.queryRow("SELECT COUNT(*) FROM attachments WHERE message_id = $1 AND sha256 = $2", messageID, sha).Scan(&n)
	return n > 0, err
}

// LastIncomingPayload returns the channel payload of the newest message a
// contact sent in a conversation through an inbox ("" if none): what an
// email reply threads onto.
func (tx *Tx) LastIncomingPayload(conversationID, inboxID int64) (string, error) {
	var p string
	err := tx.queryRow(`SELECT channel_payload FROM messages WHERE conversation_id = $1 AND inbox_id = $2 AND direction = 'incoming'
		ORDER BY id DESC LIMIT 1`, conversationID, inboxID).Scan(&p)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return p, err
}

// LatestIncomingPayload returns the channel payload of a conversation's newest
// incoming message ("" if none): on a widget inbox, the visit it came
// with.
func (db *DB) LatestIncomingPayload(ctx context.Context, conversationID, inboxID int64) (p string, err error) {
	err = db.Read(ctx, func(tx *Tx) error {
		p, err = tx.LastIncomingPayload(conversationID, inboxID)
		return err
	})
	return p, wrapErr("store: LatestIncomingPayload", err)
}

// LastIncomingExternalID returns the provider id of the newest message a
// contact sent in a conversation through an inbox ("" if none).
func (db *DB) LastIncomingExternalID(ctx context.Context, conversationID, inboxID int64) (string, error) {
	var id sql.NullString
	err := db.read.QueryRowContext(ctx, `SELECT external_id FROM messages WHERE conversation_id = $1 AND inbox_id = $2 AND direction = 'incoming'
		ORDER BY id DESC LIMIT 1`, conversationID, inboxID).Scan(&id)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return id.String, err
}

// ExternalIDCounts returns, for each provider id among an inbox's
// incoming messages, how many messages carry it: 1 each when deduplication
// held. It reads the whole inbox, so it is for checks and tests (a node
// killed mid-ingest must lose no acknowledged message and store none twice),
// not for request paths.
func (db *DB) ExternalIDCounts(ctx context.Context, inboxID int64) (_ map[string]int, err error) {
	defer wrap(&err, "store: ExternalIDCounts(%d)", inboxID)
	rows, err := db.read.QueryContext(ctx, `SELECT external_id, COUNT(*) FROM messages
		WHERE inbox_id = $1 AND direction = 'incoming' AND external_id IS NOT NULL GROUP BY external_id`, inboxID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}
