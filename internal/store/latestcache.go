package store

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/parleyhq/parley/internal/parley"
)

// The writer's cache of latest conversations (SQLite). Every received
// message begins by reading its contact's latest conversation in the
// inbox; the cache answers for a contact it has seen, with the row as it
// is now. It holds it as it is now because SQLite hands the cache every
// change to a conversations row on the writer's connection, with the new
// row (writerCache.changed): a conversation created becomes its
// contact's latest (the newest id is the latest); a cached one that is
// updated (a touch of its activity, a new status, routing) is read again
// from the change itself; one that moves to another contact or inbox (a
// merge) or is deleted is dropped, and so is the cached latest of the
// pair it moves to, when it is newer. The rest of writerCache's rules
// (rollbacks, other processes) hold for it too.

// placeConversationColumns learns where conversationColumns sit among the
// table's columns, which is the order SQLite hands a changed row in.
func (c *writerCache) placeConversationColumns(ctx context.Context, btx *batchTx) error {
	rows, err := btx.QueryContext(ctx, "SELECT name FROM pragma_table_info('conversations') ORDER BY cid")
	if err != nil {
		return err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return err
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var cols []int
	for _, want := range strings.Split(conversationColumns, ",") {
		i := slices.Index(names, strings.TrimSpace(want))
		if i < 0 {
			return fmt.Errorf("store: conversations has no column %q", strings.TrimSpace(want))
		}
		cols = append(cols, i)
	}
	if cols[0] != 0 || cols[1] != 1 || cols[2] != 2 {
		return fmt.Errorf("store: conversations does not begin with id, inbox_id, contact_id")
	}
	c.mu.Lock()
	c.convCols, c.convN = cols, len(names)
	c.mu.Unlock()
	return nil
}

// readMaxConversation learns the newest conversation's id, below which a
// new conversation may not be its contact's latest (see
// conversationChanged).
func (c *writerCache) readMaxConversation(ctx context.Context, btx *batchTx) error {
	var id int64
	if err := btx.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM conversations").Scan(&id); err != nil {
		return err
	}
	c.mu.Lock()
	c.maxConvID = id
	c.mu.Unlock()
	return nil
}

// latestGet returns a copy of the contact's latest conversation in the
// inbox, when the cache holds it.
func (c *writerCache) latestGet(inboxID, contactID int64) (parley.Conversation, bool) {
	if c == nil {
		return parley.Conversation{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	conv, ok := c.latest[latestKey{inboxID, contactID}]
	if !ok {
		return conv, false
	}
	c.hits++
	return cloneConversation(conv), true
}

// latestPut remembers conv, as just read, as its contact's latest.
func (c *writerCache) latestPut(conv parley.Conversation) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setLatestLocked(conv)
}

func (c *writerCache) setLatestLocked(conv parley.Conversation) {
	if len(c.latest) >= maxCachedRows {
		c.dropAllLatestLocked()
	}
	k := latestKey{conv.InboxID, conv.ContactID}
	if old, ok := c.latest[k]; ok {
		delete(c.latestByID, old.ID)
	}
	c.latest[k] = cloneConversation(conv)
	c.latestByID[conv.ID] = k
}

func (c *writerCache) dropLatestLocked(k latestKey) {
	if old, ok := c.latest[k]; ok {
		delete(c.latestByID, old.ID)
		delete(c.latest, k)
	}
}

// conversationChanged hears a change to a conversations row.
func (c *writerCache) conversationChanged(d *sqlite.SQLitePreUpdateData) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if k, ok := c.latestByID[d.OldRowID]; ok && (d.Op == sqlite3.SQLITE_DELETE || d.OldRowID != d.NewRowID) {
		c.dropLatestLocked(k)
	}
	if d.Op == sqlite3.SQLITE_DELETE {
		return
	}
	head := make([]any, 3) // id, inbox_id, contact_id (placeConversationColumns)
	if c.convCols == nil || d.New(head...) != nil {
		c.dropAllLatestLocked() // a change it cannot follow
		return
	}
	id, ok1 := head[0].(int64)
	inbox, ok2 := head[1].(int64)
	contact, ok3 := head[2].(int64)
	if !ok1 || !ok2 || !ok3 {
		c.dropAllLatestLocked()
		return
	}
	k := latestKey{inbox, contact}
	if was, ok := c.latestByID[id]; ok && was != k {
		c.dropLatestLocked(was) // moved away: its pair's latest is now an older one
	}
	newest := false
	if cur, ok := c.latest[k]; ok {
		newest = cur.ID <= id // the cached latest itself, or newer than it
	} else if d.Op == sqlite3.SQLITE_INSERT {
		newest = id > c.maxConvID // newer than every conversation there is
	}
	if d.Op == sqlite3.SQLITE_INSERT {
		c.maxConvID = max(c.maxConvID, id)
	}
	if !newest {
		return
	}
	conv, err := scanConversation(changedRow{d, c.convCols, c.convN})
	if err != nil {
		c.dropAllLatestLocked()
		return
	}
	c.setLatestLocked(conv)
}

func (c *writerCache) dropAllLatestLocked() {
	clear(c.latest)
	clear(c.latestByID)
}

// changedRow scans a changed row's new values as a read of
// conversationColumns would.
type changedRow struct {
	d    *sqlite.SQLitePreUpdateData
	cols []int
	n    int
}

func (r changedRow) Scan(dest ...any) error {
	if len(dest) != len(r.cols) {
		return fmt.Errorf("store: %d columns scanned, %d placed", len(dest), len(r.cols))
	}
	all := make([]any, r.n) // the driver puts each value in its slot
	if err := r.d.New(all...); err != nil {
		return err
	}
	for i, col := range r.cols {
		if err := assignValue(dest[i], all[col]); err != nil {
			return fmt.Errorf("store: conversations column %d: %w", col, err)
		}
	}
	return nil
}

// assignValue stores v, as SQLite hands a column's value (int64, string
// or nil here), in dst, one of the pointers scanConversation scans into:
// an integer or string kind, or a sql.NullInt64.
func assignValue(dst, v any) error {
	if n, ok := dst.(*sql.NullInt64); ok {
		x, isInt := v.(int64)
		if v != nil && !isInt {
			return fmt.Errorf("cannot store %T in %T", v, dst)
		}
		*n = sql.NullInt64{Int64: x, Valid: isInt}
		return nil
	}
	d, src := reflect.ValueOf(dst), reflect.ValueOf(v)
	if d.Kind() != reflect.Pointer || !src.IsValid() {
		return fmt.Errorf("cannot store %T in %T", v, dst)
	}
	switch e := d.Elem(); {
	case src.Kind() == reflect.Int64 && e.CanInt():
		e.SetInt(src.Int())
	case src.Kind() == reflect.String && e.Kind() == reflect.String:
		e.SetString(src.String())
	default:
		return fmt.Errorf("cannot store %T in %T", v, dst)
	}
	return nil
}

// cloneConversation copies conv with nothing shared: callers change the
// copy they are given.
func cloneConversation(conv parley.Conversation) parley.Conversation {
	conv.Labels = slices.Clone(conv.Labels)
	for _, p := range []**int64{&conv.AssigneeID, &conv.TeamID, &conv.PreviousID, &conv.QueuedFor} {
		if *p != nil {
			v := **p
			*p = &v
		}
	}
	for _, p := range []**time.Time{&conv.SnoozedUntil, &conv.FirstResponseAt, &conv.ResolvedAt, &conv.QueuedAt, &conv.SLADueAt, &conv.PromisedReplyBy} {
		if *p != nil {
			v := **p
			*p = &v
		}
	}
	return conv
}
