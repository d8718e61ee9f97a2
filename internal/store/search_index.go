package store

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// indexDelay is how long the search indexer waits after a commit, so that
// it indexes many messages per transaction.
const indexDelay = 200 * time.Millisecond

// indexChunk bounds the messages indexed in one transaction, so that a
// large backlog (after a bulk load) holds the single writer for tens of
// milliseconds at a time, never for the whole backlog.
const indexChunk = 2000

// searchIndexer adds new messages to SQLite's full-text index in batches,
// shortly after they commit (see migration 0003_search_index).
type searchIndexer struct {
	db       *DB
	poke     chan struct{}
	quit     chan struct{}
	ended    chan struct{}
	stopOnce sync.Once
}

func startSearchIndexer(db *DB) *searchIndexer {
	ix := &searchIndexer{db: db, poke: make(chan struct{}, 1), quit: make(chan struct{}), ended: make(chan struct{})}
	db.OnCommit(func(int64) { ix.wake() })
	ix.wake() // a backlog left by an earlier process is indexed at once
	go ix.loop()
	return ix
}

// wake asks the indexer to look for new messages (it never blocks).
func (ix *searchIndexer) wake() {
	select {
	case ix.poke <- struct{}{}:
	default:
	}
}

func (ix *searchIndexer) loop() {
	defer close(ix.ended)
	for {
		select {
		case <-ix.quit:
			return
		case <-ix.poke:
		}
		select {
		case <-ix.quit:
			return
		case <-time.After(indexDelay):
		}
		if err := ix.db.IndexSearch(context.Background()); err != nil {
			slog.Error("store: search indexer", "err", err)
		}
	}
}

func (ix *searchIndexer) stop() {
	ix.stopOnce.Do(func() { close(ix.quit) })
	<-ix.ended
}

// IndexSearch adds every message not yet in the full-text index to it. On
// PostgreSQL, where the index is kept as rows are written, it does nothing.
func (db *DB) IndexSearch(ctx context.Context) error {
	if !db.dialect.deferredSearchIndex {
		return nil
	}
	for {
		n, err := db.indexSearchChunk(ctx, indexChunk)
		if err != nil || n == 0 {
			return err
		}
	}
}

// searchBacklog is how many messages wait for the full-text index: the
// ids past the indexer's cursor (an upper bound if ids were skipped).
func (db *DB) searchBacklog(ctx context.Context) (n int64, err error) {
	err = db.queryRowRead(ctx, `SELECT COALESCE((SELECT MAX(id) FROM messages), 0) - last_id FROM search_index_cursor`).Scan(&n)
	return max(n, 0), err
}

// indexSearchChunk indexes up to limit messages past the cursor in one
// transaction and returns how many it indexed.
func (db *DB) indexSearchChunk(ctx context.Context, limit int) (indexed int64, err error) {
	if n, err := db.searchBacklog(ctx); err != nil || n == 0 {
		return 0, err
	}
	err = db.Write(ctx, func(tx *Tx) error {
		var last, upto int64
		if err := tx.queryRow("SELECT last_id FROM search_index_cursor").Scan(&last); err != nil {
			return err
		}
		if err := tx.queryRow(`SELECT COALESCE(MAX(id), $1) FROM (SELECT id FROM messages WHERE id > $1 ORDER BY id LIMIT $2) AS chunk`,
			last, limit).Scan(&upto); err != nil {
			return err
		}
		if upto <= last {
			indexed = 0
			return nil
		}
		res, err := tx.exec(`INSERT INTO messages_fts (rowid, text) SELECT id, text FROM messages WHERE id > $1 AND id <= $2`, last, upto)
		if err != nil {
			return err
		}
		if indexed, err = res.RowsAffected(); err != nil {
			return err
		}
		_, err = tx.exec("UPDATE search_index_cursor SET last_id = $1", upto)
		return err
	})
	return indexed, err
}
