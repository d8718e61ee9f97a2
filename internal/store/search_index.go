package store

import (
	"context"
	"log/slog"
	"time"
)

// indexDelay is how long the search indexer waits after a commit, so that
// it indexes many messages per transaction.
const indexDelay = 200 * time.Millisecond

// indexChunk bounds the messages indexed in one transaction.
const indexChunk = 5000

// searchIndexer adds new messages to SQLite's full-text index in batches,
// shortly after they commit (see migration 0003_search_index).
type searchIndexer struct {
	db    *DB
	poke  chan struct{}
	quit  chan struct{}
	ended chan struct{}
}

func startSearchIndexer(db *DB) *searchIndexer {
	ix := &searchIndexer{db: db, poke: make(chan struct{}, 1), quit: make(chan struct{}), ended: make(chan struct{})}
	db.OnCommit(func(int64) {
		select {
		case ix.poke <- struct{}{}:
		default:
		}
	})
	go ix.loop()
	return ix
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
	close(ix.quit)
	<-ix.ended
}

// IndexSearch adds every message not yet in the full-text index to it. On
// PostgreSQL, where the index is kept as rows are written, it does nothing.
func (db *DB) IndexSearch(ctx context.Context) error {
	if !db.dialect.deferredSearchIndex {
		return nil
	}
	for {
		var pending bool
		if err := db.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM messages
			WHERE id > (SELECT last_id FROM search_index_cursor))`).Scan(&pending); err != nil {
			return err
		}
		if !pending {
			return nil
		}
		err := db.Write(ctx, func(tx *Tx) error {
			var last, upto int64
			if err := tx.queryRow("SELECT last_id FROM search_index_cursor").Scan(&last); err != nil {
				return err
			}
			if err := tx.queryRow(`SELECT COALESCE(MAX(id), $1) FROM (SELECT id FROM messages WHERE id > $1 ORDER BY id LIMIT $2) AS chunk`,
				last, indexChunk).Scan(&upto); err != nil {
				return err
			}
			if upto <= last {
				return nil
			}
			if _, err := tx.exec(`INSERT INTO messages_fts (rowid, text) SELECT id, text FROM messages WHERE id > $1 AND id <= $2`, last, upto); err != nil {
				return err
			}
			_, err := tx.exec("UPDATE search_index_cursor SET last_id = $1", upto)
			return err
		})
		if err != nil {
			return err
		}
	}
}
