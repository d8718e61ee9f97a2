package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Queries behind the website widget: visitors' identities and presence,
// what they have read, and whether any agent is around to answer.

// ContactIDByIdentity returns the id of the contact holding the identity
// (kind, scope, externalID). Returns ENOTFOUND when nobody holds it.
func (db *DB) ContactIDByIdentity(ctx context.Context, kind string, scope int64, externalID string) (int64, error) {
	var id int64
	err := db.read.QueryRowContext(ctx, "SELECT contact_id FROM identities WHERE kind = $1 AND scope = $2 AND external_id = $3",
		kind, scope, externalID).Scan(&id)
	return id, notFound(err, "identity", kind)
}

// AddIdentity gives a contact one more identity, e.g. a new visitor token
// for a widget visitor who came back through an emailed link. Returns
// ECONFLICT when another contact holds it already.
func (tx *Tx) AddIdentity(contactID int64, kind string, scope int64, externalID string) (err error) {
	defer wrap(&err, "store: AddIdentity")
	var holder int64
	err = tx.queryRow("SELECT contact_id FROM identities WHERE kind = $1 AND scope = $2 AND external_id = $3", kind, scope, externalID).Scan(&holder)
	switch {
	case err == nil && holder == contactID:
		return nil
	case err == nil:
		return parley.Errorf(parley.ECONFLICT, "that identity belongs to another contact")
	case err != sql.ErrNoRows:
		return err
	}
	_, err = tx.exec(`INSERT INTO identities (contact_id, kind, scope, external_id, created_at) VALUES ($1, $2, $3, $4, $5)`,
		contactID, kind, scope, externalID, ts(tx.now))
	return err
}

// LatestConversationOf returns the newest conversation between a contact
// and an inbox. Returns ENOTFOUND when they have none.
func (db *DB) LatestConversationOf(ctx context.Context, inboxID, contactID int64) (parley.Conversation, error) {
	c, err := scanConversation(db.read.QueryRowContext(ctx, "SELECT "+conversationColumns+
		" FROM conversations WHERE contact_id = $1 AND inbox_id = $2 ORDER BY id DESC LIMIT 1", contactID, inboxID))
	return c, notFound(err, "conversation for contact", contactID)
}

// ContactSeenMessageID returns the highest message id the contact has seen
// in any of the conversations (0 when none).
func (db *DB) ContactSeenMessageID(ctx context.Context, conversationIDs []int64) (int64, error) {
	if len(conversationIDs) == 0 {
		return 0, nil
	}
	args := make([]any, len(conversationIDs))
	for i, id := range conversationIDs {
		args[i] = id
	}
	var seen int64
	err := db.read.QueryRowContext(ctx, "SELECT COALESCE(MAX(contact_seen_message_id), 0) FROM conversations WHERE id IN ("+
		placeholders(1, len(args))+")", args...).Scan(&seen)
	return seen, wrapf(err, "store: ContactSeenMessageID")
}

// MarkContactSeen records that the contact has seen the conversation up to
// messageID. It never moves backwards.
func (tx *Tx) MarkContactSeen(conversationID, messageID int64) error {
	_, err := tx.exec(`UPDATE conversations SET contact_seen_message_id = $2
		WHERE id = $1 AND contact_seen_message_id < $2`, conversationID, messageID)
	return wrapf(err, "store: MarkContactSeen(%d)", conversationID)
}

// TouchContact records that the contact is here now (a widget visitor
// with the widget open). It writes no event: presence is not history.
func (tx *Tx) TouchContact(contactID int64) error {
	_, err := tx.exec("UPDATE contacts SET last_seen_at = $2 WHERE id = $1", contactID, ts(tx.now))
	return wrapf(err, "store: TouchContact(%d)", contactID)
}

// presenceChunk is how many contacts one TouchContacts statement names: far
// inside both databases' limits on parameters (32,766 on SQLite, 65,535 on
// PostgreSQL), so ten thousand open widgets are one statement.
const presenceChunk = 10_000

// TouchContacts records that the contacts are here now, one statement per
// presenceChunk of them: a node's widget presence is written in one batch for
// all its visitors, not a statement per visitor. Unknown ids are ignored.
func (tx *Tx) TouchContacts(ids []int64) error {
	for len(ids) > 0 {
		n := min(len(ids), presenceChunk)
		args := make([]any, 0, n+1)
		args = append(args, ts(tx.now))
		for _, id := range ids[:n] {
			args = append(args, id)
		}
		q := "UPDATE contacts SET last_seen_at = " + tx.db.bulkPlaceholders(1, 1) + " WHERE id IN (" + tx.db.bulkPlaceholders(2, n) + ")"
		if _, err := tx.exec(q, args...); err != nil {
			return wrapf(err, "store: TouchContacts(%d contacts)", n)
		}
		ids = ids[n:]
	}
	return nil
}

// ContactLastSeen returns when the contact last had the widget open (nil
// if never). Returns ENOTFOUND for an unknown contact.
func (db *DB) ContactLastSeen(ctx context.Context, contactID int64) (*time.Time, error) {
	var at sql.NullInt64
	err := db.read.QueryRowContext(ctx, "SELECT last_seen_at FROM contacts WHERE id = $1", contactID).Scan(&at)
	if err != nil {
		return nil, notFound(err, "contact", contactID)
	}
	return fromNullTS(at), nil
}

// SetContactEmail stores the address a contact gave for replies, with a
// contact.updated event. It deliberately adds no email identity: an
// address typed into a widget is unverified, and must never join this
// visitor to the history of whoever really owns it.
func (tx *Tx) SetContactEmail(contactID int64, email string) (err error) {
	defer wrap(&err, "store: SetContactEmail(%d)", contactID)
	res, err := tx.exec("UPDATE contacts SET email = $2, updated_at = $3 WHERE id = $1 AND email <> $2", contactID, email, ts(tx.now))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	return tx.AppendEvent(&parley.Event{Type: parley.EventContactUpdated, ContactID: &contactID}, map[string]any{"fields": []string{"email"}})
}

func wrapf(err error, format string, args ...any) error {
	wrap(&err, format, args...)
	return err
}
