package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/parleyhq/parley/internal/parley"
)

// ReceiveHint says what a received message's write will read first: its
// duplicate (by the sender's message id), its contact (by the identities
// the message names, or by id) and that contact's latest conversation in
// the inbox. On PostgreSQL the writer reads these for every received
// message of a batch in three statements before the batch's callers run
// (prefetch), instead of three statements per message: each statement is a
// round trip, which costs CPU on both sides beyond the statement's work.
type ReceiveHint struct {
	InboxID    int64
	ExternalID string     // the message's id from its sender; "" for none
	Contact    ContactKey // who sent it, when ContactID is 0
	ContactID  int64
}

// WriteReceive is WriteKeyed for a received message, with the hint of what
// fn reads first. fn must read through the Tx methods the hint names
// (MessageByExternalID, FindOrCreateContact, LatestConversation); they
// answer from the prefetch when it still holds. A message fn creates may
// be inserted only at the end of the batch (deferMessage): fn may find it
// by MessageByExternalID, and must not read it back any other way.
func (db *DB) WriteReceive(ctx context.Context, key string, hint ReceiveHint, fn func(*Tx) error) error {
	return db.write1(ctx, db.writer.queueFor(key), writeReq{fn: fn, hint: &hint})
}

type dupKey struct {
	inbox int64
	ext   string
}

type latestKey struct{ inbox, contact int64 }

// prefetched holds what one batch read ahead for its received messages.
// Every entry also records absence (a zero value): "no such message" is
// as much an answer as the message. An entry is taken by the caller that
// reads it, so a caller's second look (after a retried savepoint, say)
// goes to the database; and the batch's writes forget what they change
// (forget*), so a later caller never reads a row an earlier one wrote as
// it was before. A caller without a hint may write anything, so from it on
// the batch reads nothing from here (see writer.commit).
type prefetched struct {
	tx     *Tx // the batch's transaction, as the writer runs it
	dups   map[dupKey]parley.Message
	idents map[identityKey]parley.Contact
	latest map[latestKey]parley.Conversation
	// ids are message ids drawn from the sequence for the batch, and
	// pending the rows of messages given them, not inserted yet: they go
	// in as one multi-row insert (flushMessages) before the first caller
	// without a hint runs, or else before the commit.
	ids     []int64
	pending []pendingMessage
	// deferRows allows queuing the rows new people bring (deferred.go),
	// with ids drawn for them here; queued rows wait in contacts,
	// identities and conversations, and a failed insert of them in
	// flushErr. took holds the latest conversations callers took, by id.
	deferRows                           bool
	contactIDs, conversationIDs         []int64
	contacts, identities, conversations [][]any
	flushErr                            error
	took                                map[latestKey]int64
}

// pendingMessage is a received message's row waiting for its insert: its
// id (drawn from the sequence), then messageInsertColumns, assignee_id
// last.
type pendingMessage struct {
	owner        *Tx // the caller that created it, until its work is rolled back
	row          []any
	conversation int64
	dup          dupKey
}

// deferMessage gives m an id of the batch's and queues its row, when the
// batch read ahead and m has no attachments (their rows need the message
// row first). It records m as the answer to a later duplicate of it in
// the batch. It reports whether it did.
func (p *prefetched) deferMessage(tx *Tx, m *parley.Message, row []any) bool {
	if p == nil || len(p.ids) == 0 || len(m.Attachments) > 0 {
		return false
	}
	m.ID, p.ids = p.ids[0], p.ids[1:]
	pm := pendingMessage{owner: tx, row: append([]any{m.ID}, row...), conversation: m.ConversationID}
	if m.ExternalID != "" {
		pm.dup = dupKey{m.InboxID, m.ExternalID}
		p.dups[pm.dup] = *m
	}
	p.pending = append(p.pending, pm)
	return true
}

// dropOwned forgets the messages tx queued: its work was rolled back.
func (p *prefetched) dropOwned(tx *Tx) {
	if p == nil {
		return
	}
	kept := p.pending[:0]
	for _, pm := range p.pending {
		if pm.owner != tx {
			kept = append(kept, pm)
			continue
		}
		if pm.dup.ext != "" {
			delete(p.dups, pm.dup) // a later look must not find a message that was never stored
		}
	}
	p.pending = kept // queued rows of new people need no such care: none are queued under savepoints (deferred.go)
}

// setAssignee follows a conversation's reassignment into its messages not
// inserted yet, as the trigger on conversations does for the stored ones.
func (p *prefetched) setAssignee(conversationID int64, assignee *int64) {
	if p == nil {
		return
	}
	for _, pm := range p.pending {
		if pm.conversation == conversationID {
			pm.row[len(pm.row)-1] = idPtr(assignee)
		}
	}
}

// flushMessages inserts the queued messages, in the order they were made,
// after the rows they refer to (flushRows), through sink (see flushRows).
func (p *prefetched) flushMessages(sink stmtSink) error {
	if p == nil {
		return nil
	}
	if err := p.flushRows(sink); err != nil {
		return err
	}
	rows := make([][]any, len(p.pending))
	for i, pm := range p.pending {
		rows[i] = pm.row
	}
	if err := p.tx.db.insertValues(sink, "INSERT INTO messages (id, "+messageInsertColumns+")", rows, rowChunk, "", nil); err != nil {
		return fmt.Errorf("store: insert a batch's messages: %w", err)
	}
	p.pending = p.pending[:0]
	return nil
}

func (p *prefetched) takeDup(inboxID int64, ext string) (parley.Message, bool) {
	if p == nil {
		return parley.Message{}, false
	}
	k := dupKey{inboxID, ext}
	m, ok := p.dups[k]
	delete(p.dups, k)
	return m, ok
}

// takeIdentities answers for all of ids or for none: a caller must see
// every identity as it is now to pick its contact.
func (p *prefetched) takeIdentities(ids []identityKey) (map[identityKey]parley.Contact, bool) {
	if p == nil {
		return nil, false
	}
	found := map[identityKey]parley.Contact{}
	for _, id := range ids {
		c, ok := p.idents[id]
		if !ok {
			return nil, false
		}
		if c.ID != 0 {
			found[id] = c
		}
	}
	for _, id := range ids {
		delete(p.idents, id)
	}
	return found, true
}

func (p *prefetched) takeLatest(inboxID, contactID int64) (parley.Conversation, bool) {
	if p == nil {
		return parley.Conversation{}, false
	}
	k := latestKey{inboxID, contactID}
	c, ok := p.latest[k]
	delete(p.latest, k)
	if ok && c.ID != 0 {
		p.took[k] = c.ID
	}
	return c, ok
}

func (p *prefetched) forgetDup(inboxID int64, ext string) {
	if p != nil {
		delete(p.dups, dupKey{inboxID, ext})
	}
}

func (p *prefetched) forgetIdentity(id identityKey) {
	if p != nil {
		delete(p.idents, id)
	}
}

// forgetContact drops every identity read with contact id: the contact
// row has changed.
func (p *prefetched) forgetContact(id int64) {
	if p == nil {
		return
	}
	for k, c := range p.idents {
		if c.ID == id {
			delete(p.idents, k)
		}
	}
}

// noConversations records that a contact this batch created has no
// conversation in the inbox: no other transaction can see the contact
// yet, so there is nothing to read.
func (p *prefetched) noConversations(inboxID, contactID int64) {
	if p != nil {
		p.latest[latestKey{inboxID, contactID}] = parley.Conversation{}
	}
}

// forgetConversations drops a contact's latest conversation in an inbox:
// one of its conversations there was written or created.
func (p *prefetched) forgetConversations(inboxID, contactID int64) {
	if p != nil {
		delete(p.latest, latestKey{inboxID, contactID})
	}
}

// prefetch reads ahead for the received messages at the start of the
// batch (see ReceiveHint), when the dialect gains by it and more than one
// caller would share the reads.
func (w *writer) prefetch(ctx context.Context, sqlTx *sql.Tx, batch []writeReq, deferRows bool) (*prefetched, error) {
	if !w.db.dialect.prefetchReceives || len(batch) < 2 {
		return nil, nil
	}
	var hints []*ReceiveHint
	for _, r := range batch {
		if r.hint == nil {
			break // callers after it do not use the prefetch
		}
		hints = append(hints, r.hint)
	}
	if len(hints) < 2 {
		return nil, nil
	}
	w.prefetched.Add(1)
	return (&Tx{tx: sqlTx, ctx: ctx, db: w.db, now: w.db.now()}).prefetch(hints, deferRows)
}

// hintedFirst moves a batch's received messages ahead of its other
// callers, keeping the order within each, so the read-ahead covers them
// all (it stops at the first caller without a hint). Any order of a batch
// is one its callers could have met: each waits for its own write, so no
// two of them are in flight from one goroutine, and only received
// messages are keyed, so callers about the same person stay in the order
// they came.
func hintedFirst(batch []writeReq) {
	slices.SortStableFunc(batch, func(a, b writeReq) int {
		return cmp.Compare(boolRank(a.hint == nil), boolRank(b.hint == nil))
	})
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// PrefetchedBatches is how many write batches have read ahead for their
// received messages since the store opened (always 0 on SQLite): how a
// test outside the store sees that the read-ahead happens.
func (db *DB) PrefetchedBatches() int64 { return db.writer.prefetched.Load() }

// prefetch reads ahead for the batch's received messages (see ReceiveHint):
// the duplicates, the identities with their contacts, and the latest
// conversations of the contacts so found; then ids for the rows the batch
// may insert.
func (tx *Tx) prefetch(hints []*ReceiveHint, deferRows bool) (_ *prefetched, err error) {
	defer wrap(&err, "store: prefetch")
	p := &prefetched{tx: tx, dups: map[dupKey]parley.Message{}, idents: map[identityKey]parley.Contact{}, latest: map[latestKey]parley.Conversation{},
		took: map[latestKey]int64{}, deferRows: deferRows}
	if err := p.readDups(hints); err != nil {
		return nil, err
	}
	if err := p.readIdentities(hints); err != nil {
		return nil, err
	}
	newContacts, newConversations, err := p.readLatest(hints)
	if err != nil {
		return nil, err
	}
	if !deferRows {
		newContacts, newConversations = 0, 0
	}
	return p, p.drawIDs(len(hints), newContacts, newConversations)
}

// drawIDs draws, in one statement, an id for each message the batch may
// store, and for as many contacts and conversations as it may create:
// drawing them one by one was a round trip each, as the insert that
// returned them. The read-ahead's locks are held by now, so a contact's
// conversations are still numbered in the order they are made (its
// latest is the one with the highest id). Ids left unused are gaps.
func (p *prefetched) drawIDs(messages, contacts, conversations int) error {
	rows, err := p.tx.query(`SELECT nextval(pg_get_serial_sequence('messages', 'id')),
			CASE WHEN i <= $2 THEN nextval(pg_get_serial_sequence('contacts', 'id')) END,
			CASE WHEN i <= $3 THEN nextval(pg_get_serial_sequence('conversations', 'id')) END
		FROM generate_series(1, $1) AS i`, messages, contacts, conversations)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var m int64
		var c, v sql.NullInt64
		if err := rows.Scan(&m, &c, &v); err != nil {
			return err
		}
		p.ids = append(p.ids, m)
		if c.Valid {
			p.contactIDs = append(p.contactIDs, c.Int64)
		}
		if v.Valid {
			p.conversationIDs = append(p.conversationIDs, v.Int64)
		}
	}
	return rows.Err()
}

// Each read below is a LATERAL subquery with LIMIT per key, which
// PostgreSQL cannot flatten into a join: the plan stays a probe of an
// index per key. As a join, a plan made while the table was small (a hash
// join over a sequential scan) was kept as it grew.

func (p *prefetched) readDups(hints []*ReceiveHint) error {
	var inboxes []int64
	var exts []string
	for _, h := range hints {
		if k := (dupKey{h.InboxID, h.ExternalID}); h.ExternalID != "" {
			if _, seen := p.dups[k]; !seen {
				p.dups[k] = parley.Message{}
				inboxes, exts = append(inboxes, h.InboxID), append(exts, h.ExternalID)
			}
		}
	}
	if len(exts) == 0 {
		return nil
	}
	rows, err := p.tx.query("SELECT "+messageColumns+` FROM unnest($1::bigint[], $2::text[]) AS k(inbox_id, external_id)
		CROSS JOIN LATERAL (SELECT * FROM messages WHERE inbox_id = k.inbox_id AND external_id = k.external_id LIMIT 1) AS m`, inboxes, exts)
	if err != nil {
		return err
	}
	list, err := collect(rows, func(r *sql.Rows) (parley.Message, error) { return scanMessage(r) })
	for _, m := range list {
		p.dups[dupKey{m.InboxID, m.ExternalID}] = m
	}
	return err
}

func (p *prefetched) readIdentities(hints []*ReceiveHint) error {
	var kinds, ids []string
	var scopes []int64
	for _, h := range hints {
		if h.ContactID != 0 {
			continue
		}
		for _, id := range contactIdentities(h.InboxID, h.Contact) {
			if _, seen := p.idents[id]; !seen {
				p.idents[id] = parley.Contact{}
				kinds, scopes, ids = append(kinds, id.kind), append(scopes, id.scope), append(ids, id.id)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := p.tx.query("SELECT "+identityContactColumns+`
		FROM unnest($1::text[], $2::bigint[], $3::text[]) AS k(kind, scope, external_id)
		CROSS JOIN LATERAL (SELECT * FROM identities WHERE kind = k.kind AND scope = k.scope AND external_id = k.external_id LIMIT 1) AS i
		JOIN contacts c ON c.id = i.contact_id`, kinds, scopes, ids)
	if err != nil {
		return err
	}
	found, err := scanIdentityContacts(rows)
	for id, c := range found {
		p.idents[id] = c
	}
	return err
}

// readLatest reads the latest conversation of each contact known now: by
// id, or by the identities readIdentities found. It counts the messages
// from people not known (each may create a contact) and those with no
// conversation found (each may create one).
func (p *prefetched) readLatest(hints []*ReceiveHint) (newContacts, newConversations int, err error) {
	var inboxes, contacts, locks []int64
	var known []latestKey
	for _, h := range hints {
		id := h.ContactID
		if id == 0 {
			id = pickContact(contactIdentities(h.InboxID, h.Contact), p.idents).ID
		}
		if id == 0 {
			newContacts++
			continue
		}
		k := latestKey{h.InboxID, id}
		known = append(known, k)
		if _, seen := p.latest[k]; !seen {
			p.latest[k] = parley.Conversation{}
			inboxes, contacts, locks = append(inboxes, h.InboxID), append(contacts, id), append(locks, contactLockKey(id))
		}
	}
	if len(contacts) > 0 {
		// As LatestConversation does one by one: the contacts' locks (in
		// one order, so two batches cannot wait on each other), then each
		// contact's latest conversation, locked for the batch.
		slices.Sort(locks)
		rows, err := p.tx.query(`SELECT c.* FROM unnest($1::bigint[], $2::bigint[]) AS k(inbox_id, contact_id)
			CROSS JOIN LATERAL (SELECT `+conversationColumns+` FROM conversations
				WHERE contact_id = k.contact_id AND `+contactInbox+` = k.inbox_id ORDER BY id DESC LIMIT 1 FOR UPDATE) c
			WHERE (SELECT count(*) FROM (SELECT pg_advisory_xact_lock(l) FROM unnest($3::bigint[]) AS l) AS taken) >= 0`,
			inboxes, contacts, locks)
		if err != nil {
			return 0, 0, err
		}
		list, err := collect(rows, func(r *sql.Rows) (parley.Conversation, error) { return scanConversation(r) })
		if err != nil {
			return 0, 0, err
		}
		for _, c := range list {
			p.latest[latestKey{c.InboxID, c.ContactID}] = c
		}
	}
	newConversations = newContacts
	for _, k := range known {
		if p.latest[k].ID == 0 {
			newConversations++
		}
	}
	return newContacts, newConversations, nil
}
