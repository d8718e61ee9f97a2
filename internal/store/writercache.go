package store

import (
	"context"
	"fmt"
	"sync"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/parleyhq/parley/internal/parley"
)

// writerCache remembers, for SQLite's single writer, the contact each
// identity belongs to, as the writer last read or created it, so that a
// message from someone who wrote before needs no read of identities and
// contacts (a sixth of the writer's time under load; docs/ARCHITECTURE.md,
// "The single writer's caches"). It also remembers each contact's latest
// conversation in an inbox (latestcache.go).
//
// It can never answer with a row that has changed, because SQLite tells
// it of every change the writer's connection makes (a pre-update hook):
// a contact updated or deleted is dropped, and an identity updated or
// deleted (a merge moves them) empties the identities. A new identity changes
// no answer it holds: the cache holds identities that exist, and an
// identity's key is unique. What a rolled-back transaction or savepoint
// showed may not exist: the writer empties the cache after any batch in
// which a caller failed (writer.run). Another process writing the same
// database file (a command run beside the server) moves SQLite's
// data_version, which the writer reads at each batch's start, and that
// empties it too. It answers only when it holds every identity a message
// names, as the read would.
type writerCache struct {
	mu        sync.Mutex
	byKey     map[identityKey]parley.Contact
	byContact map[int64][]identityKey
	hooked    any   // the driver connection whose changes it hears
	version   int64 // PRAGMA data_version at the last batch's start
	hits      int64
	// latest holds contacts' latest conversations (latestcache.go);
	// convCols places conversationColumns in the table's own column
	// order, of which there are convN.
	latest     map[latestKey]parley.Conversation
	latestByID map[int64]latestKey
	convCols   []int
	convN      int
	maxConvID  int64 // the highest conversation id there is, or more
	maxKnown   bool  // maxConvID has been read
}

// maxCachedRows bounds each part of the cache (identities, latest
// conversations): past it, that part starts again empty. A row costs a
// few hundred bytes.
const maxCachedRows = 50_000

func newWriterCache() *writerCache {
	return &writerCache{byKey: map[identityKey]parley.Contact{}, byContact: map[int64][]identityKey{},
		latest: map[latestKey]parley.Conversation{}, latestByID: map[int64]latestKey{}}
}

// get answers for all of ids or for none, as takeIdentities does.
func (c *writerCache) get(ids []identityKey) (map[identityKey]parley.Contact, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	found := make(map[identityKey]parley.Contact, len(ids))
	for _, id := range ids {
		ct, ok := c.byKey[id]
		if !ok {
			return nil, false
		}
		found[id] = ct
	}
	c.hits++
	return found, true
}

// put remembers that id belongs to ct, as ct's row is now.
func (c *writerCache) put(id identityKey, ct parley.Contact) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.byKey) >= maxCachedRows {
		c.clearLocked()
	}
	if old, ok := c.byKey[id]; ok && old.ID == ct.ID {
		c.byKey[id] = ct
		return
	}
	c.byKey[id] = ct
	c.byContact[ct.ID] = append(c.byContact[ct.ID], id)
}

func (c *writerCache) clear() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clearLocked()
}

func (c *writerCache) clearLocked() {
	clear(c.byKey)
	clear(c.byContact)
	c.dropAllLatestLocked()
}

// changed hears a row change on the writer's connection, before it is
// made.
func (c *writerCache) changed(d sqlite.SQLitePreUpdateData) {
	if d.DatabaseName != "main" {
		return // a temporary table, or VACUUM's copy: not the rows cached
	}
	if d.TableName == "conversations" {
		c.conversationChanged(&d)
		return
	}
	if d.Op == sqlite3.SQLITE_INSERT {
		return // a new row changes no answer held (see writerCache)
	}
	switch d.TableName {
	case "contacts":
		c.mu.Lock()
		for _, id := range c.byContact[d.OldRowID] {
			delete(c.byKey, id)
		}
		delete(c.byContact, d.OldRowID)
		c.mu.Unlock()
	case "identities":
		c.mu.Lock()
		clear(c.byKey) // which answers it changes is not known here
		clear(c.byContact)
		c.mu.Unlock()
	}
}

// follow runs at the start of each batch, in its transaction: it hears
// the connection the batch runs on (database/sql could have replaced the
// one it heard), and empties the cache when another connection has
// written the database since the last batch.
func (c *writerCache) follow(ctx context.Context, btx *batchTx) error {
	if c == nil {
		return nil
	}
	if c.convCols == nil {
		if err := c.placeConversationColumns(ctx, btx); err != nil {
			return err
		}
	}
	err := btx.conn.Raw(func(dc any) error {
		if c.hooked == dc {
			return nil
		}
		g, ok := dc.(*guardConn)
		if !ok {
			return fmt.Errorf("store: the writer's connection is a %T", dc)
		}
		h, ok := g.innerConn.(interface {
			RegisterPreUpdateHook(sqlite.PreUpdateHookFn)
		})
		if !ok {
			return fmt.Errorf("store: the SQLite driver's connection (%T) has no pre-update hook", g.innerConn)
		}
		h.RegisterPreUpdateHook(c.changed)
		c.clear() // changes made before the hook went unheard
		c.hooked = dc
		return nil
	})
	if err != nil {
		return err
	}
	var v int64
	if err := btx.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v); err != nil {
		return err
	}
	if v != c.version || !c.maxKnown {
		c.clear()
		c.version = v
		if err := c.readMaxConversation(ctx, btx); err != nil {
			return err
		}
		c.maxKnown = true
	}
	return nil
}

// cachedContact is ct as a read of its row would return it: times kept to
// the microsecond, as they are stored.
func cachedContact(ct parley.Contact) parley.Contact {
	ct.CreatedAt, ct.UpdatedAt = fromTS(ts(ct.CreatedAt)), fromTS(ts(ct.UpdatedAt))
	return ct
}
