package store_test

import (
	"database/sql"
	"encoding/binary"
	"os"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestBackgroundWork covers SQLite's background connections: the search
// indexer catches up on its own (without a search asking it to), and the
// checkpointer leaves an empty write-ahead log behind at Close.
func TestBackgroundWork(t *testing.T) {
	dsn := storetest.DSN(t, "sqlite")
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.Secrets = storetest.Box(t)
	in := mustInbox(t, db)
	c, _ := findOrCreate(t, db, in.ID, store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "x"})
	var last int64
	for range 50 {
		mustWrite(t, db, func(tx *store.Tx) error {
			conv := parley.Conversation{InboxID: in.ID, ContactID: c.ID}
			if err := tx.CreateConversation(&conv, nil); err != nil {
				return err
			}
			m := parley.Message{Direction: parley.Incoming, Text: "background words", AuthorContactID: &c.ID}
			err := tx.CreateMessage(&conv, &m)
			last = m.ID
			return err
		})
	}
	raw, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var cursor int64
	for deadline := time.Now().Add(5 * time.Second); cursor < last && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if err := raw.QueryRow("SELECT last_id FROM search_index_cursor").Scan(&cursor); err != nil {
			t.Fatal(err)
		}
	}
	if cursor != last {
		t.Fatalf("the indexer reached message %d of %d by itself", cursor, last)
	}
	var indexed int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH '"background"'`).Scan(&indexed); err != nil || indexed != 50 {
		t.Fatalf("%d messages in the index, %v; want 50", indexed, err)
	}
	raw.Close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dsn + "-wal"); err == nil && fi.Size() != 0 {
		t.Fatalf("write-ahead log is %d bytes after Close, want 0", fi.Size())
	}
}

// TestWriterRestartsTheLog: a reader holding an old snapshot keeps
// SQLite's log from starting over while the writer writes, as readers
// always do under load. Once the log passes the size, the checkpointer
// asks, and the writer, between batches, resets it when the reader is
// gone: the next commit writes the log from its start, under a new
// checkpoint number in its header.
func TestWriterRestartsTheLog(t *testing.T) {
	defer store.SetRestartPages(20)() // set before Open: the checkpointer reads it
	dsn := storetest.DSN(t, "sqlite")
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.Secrets = storetest.Box(t)
	in := mustInbox(t, db)
	c, _ := findOrCreate(t, db, in.ID, store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "x"})
	write := func() {
		mustWrite(t, db, func(tx *store.Tx) error {
			conv := parley.Conversation{InboxID: in.ID, ContactID: c.ID}
			if err := tx.CreateConversation(&conv, nil); err != nil {
				return err
			}
			m := parley.Message{Direction: parley.Incoming, Text: "a line of the log", AuthorContactID: &c.ID}
			return tx.CreateMessage(&conv, &m)
		})
	}
	raw, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	write()
	reader, err := raw.Begin()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := reader.QueryRow("SELECT COUNT(*) FROM messages").Scan(&n); err != nil {
		t.Fatal(err)
	}
	for range 40 {
		write()
	}
	header := func() uint32 { // the WAL header's checkpoint sequence number
		b := make([]byte, 16)
		f, err := os.Open(dsn + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.ReadAt(b, 0); err != nil {
			t.Fatal(err)
		}
		return binary.BigEndian.Uint32(b[12:16])
	}
	before := header()
	// The reader keeps the log from starting over by itself; the
	// checkpointer sees it past the size and asks.
	for deadline := time.Now().Add(5 * time.Second); !db.LogRestartAsked() && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
	}
	if !db.LogRestartAsked() {
		t.Fatal("the checkpointer never asked for a reset of a log past the size")
	}
	if err := reader.Rollback(); err != nil {
		t.Fatal(err)
	}
	write() // the writer resets the log after this batch
	for deadline := time.Now().Add(5 * time.Second); db.LogRestarts() == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
	}
	if db.LogRestarts() == 0 {
		t.Fatal("the writer never reset the log after the checkpointer asked")
	}
	write()
	if after := header(); after == before {
		t.Fatalf("the log's header still has checkpoint number %d: the commit after the reset did not start the log again", after)
	}
}
