package store

import (
	"fmt"
	"slices"

	"github.com/parleyhq/parley/internal/parley"
)

// A batch's received messages from people new to the inbox each create a
// contact, its identities and a conversation. Inserted one by one, that
// was three round trips per new person, each costing more on both sides
// than the row's own work (docs/PERFORMANCE.md, "new people's rows and
// the batch's end").
// When the batch runs without savepoints, those rows are given ids drawn
// from their sequences with the read-ahead and queued, like the batch's
// messages, and go in as one multi-row insert per table: before any
// statement a caller runs (Tx.exec, query and queryRow flush them first,
// so every read, foreign key and update meets them stored), or else with
// the messages at the end. Without savepoints a failing caller rolls the
// whole batch back, so queued rows never outlive the work that made them;
// with savepoints nothing is queued, because a flush inside one caller's
// savepoint would take earlier callers' rows down with it on a rollback.
//
// A row that cannot go in (another process stored the same identity
// first) fails the batch as a whole; the writer then runs each caller
// alone, as for any batch failure, and the caller's own insert meets the
// conflict and looks again (runSavepoint).

// In such a batch a caller's reads and writes are the batch's truth until
// the commit, so what one caller learned about a person (their contact,
// their latest conversation as it now is) is kept for the next caller
// about them, who would otherwise read it from the database, flushing the
// queue first (remember*).

// The insert each kind of queued row goes in with; a row's values are in
// its column order, id first where it has one.
const (
	contactInsert      = "INSERT INTO contacts (id, name, email, phone, language, time_zone, created_at, updated_at)"
	identityInsert     = "INSERT INTO identities (contact_id, kind, scope, external_id, created_at)"
	conversationInsert = "INSERT INTO conversations (" + conversationColumns + ")"
)

// conversationRow is c's row in conversationColumns order.
func conversationRow(c *parley.Conversation) []any {
	return []any{c.ID, c.InboxID, c.ContactID, c.Status, c.Priority, idPtr(c.AssigneeID), idPtr(c.TeamID), tsPtr(c.SnoozedUntil),
		tsPtr(c.FirstResponseAt), tsPtr(c.ResolvedAt), c.ReopenCount, idPtr(c.PreviousID), tsPtr(c.QueuedAt), idPtr(c.QueuedFor),
		c.SLA, tsPtr(c.SLADueAt), c.SLAState, tsPtr(c.PromisedReplyBy), ts(c.LastActivityAt), ts(c.CreatedAt), ts(c.UpdatedAt)}
}

// deferContact gives a new contact an id of the batch's and queues its
// row, when the batch may queue rows and has an id left.
func (p *prefetched) deferContact(tx *Tx, c *parley.Contact) bool {
	if p == nil || !p.deferRows || len(p.contactIDs) == 0 {
		return false
	}
	c.ID, p.contactIDs = p.contactIDs[0], p.contactIDs[1:]
	p.contacts = append(p.contacts, []any{c.ID, c.Name, c.Email, c.Phone, c.Language, c.TimeZone, ts(c.CreatedAt), ts(c.UpdatedAt)})
	return true
}

// deferIdentity queues an identity of a contact deferContact queued.
func (p *prefetched) deferIdentity(tx *Tx, contactID int64, id identityKey) {
	p.identities = append(p.identities, []any{contactID, id.kind, id.scope, id.id, ts(tx.now)})
}

// deferConversation gives a new conversation an id of the batch's and
// queues its row, as deferContact does.
func (p *prefetched) deferConversation(tx *Tx, c *parley.Conversation) bool {
	if p == nil || !p.deferRows || len(p.conversationIDs) == 0 {
		return false
	}
	c.ID, p.conversationIDs = p.conversationIDs[0], p.conversationIDs[1:]
	p.conversations = append(p.conversations, conversationRow(c))
	return true
}

// saveQueued rewrites a queued conversation's row from c, and reports
// whether c was queued: its row goes in as c is now, with no update after
// (the routing queue and SLA clocks set fields of new conversations).
func (p *prefetched) saveQueued(c *parley.Conversation) bool {
	if p == nil {
		return false
	}
	for i := range p.conversations {
		if p.conversations[i][0] == c.ID {
			p.conversations[i] = conversationRow(c)
			return true
		}
	}
	return false
}

// rememberContact keeps the contact a caller found or created for the
// identities its message named, for the batch's later callers. An
// identity another contact holds stays theirs; one this caller added to a
// known contact is left for the database to answer (it was inserted ON
// CONFLICT DO NOTHING, so another writer's may have won).
func (p *prefetched) rememberContact(ids []identityKey, found map[identityKey]parley.Contact, c parley.Contact, created bool) {
	if p == nil || !p.deferRows {
		return
	}
	for _, id := range ids {
		if f, ok := found[id]; ok && f.ID != c.ID {
			p.idents[id] = f
		} else if ok || created {
			p.idents[id] = c
		}
	}
}

// rememberLatest keeps c, as a caller has just written it, as its
// contact's latest conversation in its inbox for the batch's later
// callers: when it is new (the newest by id: the batch's ids are drawn in
// order, after the contact's lock) or was the latest a caller took.
func (p *prefetched) rememberLatest(c *parley.Conversation, created bool) {
	if p == nil || !p.deferRows {
		return
	}
	k := latestKey{c.InboxID, c.ContactID}
	if created || p.took[k] == c.ID {
		kept := *c
		kept.Labels = slices.Clone(c.Labels)
		p.latest[k], p.took[k] = kept, c.ID
	}
}

// flushRows inserts the queued contacts, identities and conversations, in
// that order (each refers to the one before), through sink: at once in
// the batch's own Tx (direct), which has no read-ahead, so its statements
// do not flush again, or in the batch's closing pipeline. A failure is
// kept, so that the batch reports it rather than the aborted transaction
// the next statement meets.
func (p *prefetched) flushRows(sink stmtSink) error {
	if p == nil || p.flushErr != nil {
		return p.flushErrOrNil()
	}
	for _, q := range []struct {
		insert string
		rows   *[][]any
	}{{contactInsert, &p.contacts}, {identityInsert, &p.identities}, {conversationInsert, &p.conversations}} {
		if err := p.tx.db.insertValues(sink, q.insert, *q.rows, rowChunk, "", nil); err != nil {
			p.flushErr = fmt.Errorf("store: insert a batch's new rows: %w", err)
			return p.flushErr
		}
		p.tx.db.writer.queuedRows.Add(int64(len(*q.rows)))
		*q.rows = (*q.rows)[:0]
	}
	return nil
}

func (p *prefetched) flushErrOrNil() error {
	if p == nil {
		return nil
	}
	return p.flushErr
}

// flushQueued inserts the rows the batch queued for new people before a
// statement runs, so the statement meets them (deferred.go).
func (tx *Tx) flushQueued() error {
	if tx.pre.rowsQueued() {
		return tx.pre.flushRows(direct{tx.pre.tx})
	}
	return tx.pre.flushErrOrNil()
}

// rowsQueued reports whether flushRows has anything to insert.
func (p *prefetched) rowsQueued() bool {
	return p != nil && len(p.contacts)+len(p.identities)+len(p.conversations) > 0
}
