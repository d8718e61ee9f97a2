package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Attachment bytes kept in the database (blob.DB uses these on
// PostgreSQL, so every node reads what any node received). A blob is a
// row of blob_contents naming its chunks by content_id, and its bytes are rows of
// blob_chunks, so neither a write nor a read ever holds a whole file.
//
// A blob is written in a transaction of its own, not through the writer:
// a 25 MB upload must not hold up the batch every other caller waits in.

// BlobWriter stores one blob's chunks. Call WriteChunk for each chunk in
// order, then Commit once its hash is known, or Abort.
type BlobWriter struct {
	db        *DB
	tx        *sql.Tx
	ctx       context.Context
	contentID int64
	chunkSize int
	n         int
}

// CreateBlob starts storing a blob whose chunks are chunkSize bytes (the
// last may be shorter).
func (db *DB) CreateBlob(ctx context.Context, chunkSize int) (*BlobWriter, error) {
	if chunkSize <= 0 {
		return nil, fmt.Errorf("store: CreateBlob: chunk size %d", chunkSize)
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("store: CreateBlob: %w", err)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, db.noteWrite(fmt.Errorf("store: CreateBlob: %w", err))
	}
	// A random id, not a sequence: nothing is shared between two Puts
	// until the one row that names the winner.
	id := int64(binary.BigEndian.Uint64(b[:]) >> 1)
	return &BlobWriter{db: db, tx: tx, ctx: ctx, contentID: id, chunkSize: chunkSize}, nil
}

// WriteChunk stores the next chunk. p may be reused once it returns.
func (w *BlobWriter) WriteChunk(p []byte) error {
	if len(p) == 0 || len(p) > w.chunkSize {
		return fmt.Errorf("store: WriteChunk: %d bytes, chunks are 1 to %d", len(p), w.chunkSize)
	}
	if _, err := w.tx.ExecContext(w.ctx, "INSERT INTO blob_chunks (content_id, n, data) VALUES ($1, $2, $3)", w.contentID, w.n, p); err != nil {
		return w.db.noteWrite(fmt.Errorf("store: WriteChunk %d: %w", w.n, err))
	}
	w.n++
	return nil
}

// Commit names the chunks written by their hash and size and commits.
// If the same bytes are stored already, they are kept, marked written
// now (so a cleanup that decided they were unused leaves them), and this
// writer's chunks are dropped. Either way the blob exists once it returns.
func (w *BlobWriter) Commit(sha string, size int64, now time.Time) (err error) {
	defer func() {
		if err != nil {
			w.tx.Rollback()
			err = w.db.noteWrite(fmt.Errorf("store: commit blob %s: %w", sha, err))
		}
	}()
	for range 3 {
		res, err := w.tx.ExecContext(w.ctx, `INSERT INTO blob_contents (sha256, content_id, size, chunk_size, written_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING`, sha, w.contentID, size, w.chunkSize, ts(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return w.tx.Commit()
		}
		// Stored already. Touching the row locks it, so a removal that
		// has not committed yet either finishes first (and the insert
		// is tried again) or sees the new time and keeps it.
		res, err = w.tx.ExecContext(w.ctx, "UPDATE blob_contents SET written_at = $2 WHERE sha256 = $1", sha, ts(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			if _, err := w.tx.ExecContext(w.ctx, "DELETE FROM blob_chunks WHERE content_id = $1", w.contentID); err != nil {
				return err
			}
			return w.tx.Commit()
		}
	}
	return errors.New("the blob was removed and stored again three times in a row")
}

// Abort drops everything written.
func (w *BlobWriter) Abort() { w.tx.Rollback() }

// TouchBlob marks a stored blob written at now, so a cleanup that decided
// it was unused keeps it, and reports whether it is stored.
func (db *DB) TouchBlob(ctx context.Context, sha string, now time.Time) (bool, error) {
	res, err := db.write.ExecContext(ctx, "UPDATE blob_contents SET written_at = $2 WHERE sha256 = $1", sha, ts(now))
	if err != nil {
		return false, db.noteWrite(fmt.Errorf("store: TouchBlob: %w", err))
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// BlobHead is where a stored blob's bytes are.
type BlobHead struct {
	ContentID int64
	Size      int64
	ChunkSize int
}

// Chunks is how many chunks hold the blob.
func (h BlobHead) Chunks() int { return int((h.Size + int64(h.ChunkSize) - 1) / int64(h.ChunkSize)) }

// BlobHead returns where a blob's bytes are. Returns ENOTFOUND for a hash
// not stored.
func (db *DB) BlobHead(ctx context.Context, sha string) (h BlobHead, err error) {
	defer wrap(&err, "store: BlobHead")
	err = db.read.QueryRowContext(ctx, "SELECT content_id, size, chunk_size FROM blob_contents WHERE sha256 = $1", sha).
		Scan(&h.ContentID, &h.Size, &h.ChunkSize)
	return h, notFound(err, "file", sha)
}

// BlobChunk returns chunk n of a blob's bytes, appended to buf[:0].
// Returns ENOTFOUND when it is gone (the blob was removed meanwhile).
func (db *DB) BlobChunk(ctx context.Context, contentID int64, n int, buf []byte) (_ []byte, err error) {
	defer wrap(&err, "store: BlobChunk(%d, %d)", contentID, n)
	var raw sql.RawBytes
	rows, err := db.read.QueryContext(ctx, "SELECT data FROM blob_chunks WHERE content_id = $1 AND n = $2", contentID, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, parley.Errorf(parley.ENOTFOUND, "a part of the file is gone")
	}
	// RawBytes points into the driver's buffer: one copy, into buf.
	if err := rows.Scan(&raw); err != nil {
		return nil, err
	}
	return append(buf[:0], raw...), rows.Close()
}

// RemoveBlob deletes a blob unless it was written at or after
// writtenBefore. A missing blob is not an error.
func (db *DB) RemoveBlob(ctx context.Context, sha string, writtenBefore time.Time) (err error) {
	defer wrap(&err, "store: RemoveBlob")
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var id int64
	err = tx.QueryRowContext(ctx, "DELETE FROM blob_contents WHERE sha256 = $1 AND written_at < $2 RETURNING content_id", sha, ts(writtenBefore)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM blob_chunks WHERE content_id = $1", id); err != nil {
		return err
	}
	return tx.Commit()
}

// BlobStats counts the blobs kept in the database, their chunks and
// their bytes (for `parley blobs import` and tests).
func (db *DB) BlobStats(ctx context.Context) (blobs, chunks, bytes int64, err error) {
	err = db.read.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM blob_contents), (SELECT COUNT(*) FROM blob_chunks),
		(SELECT COALESCE(SUM(size), 0) FROM blob_contents)`).Scan(&blobs, &chunks, &bytes)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("store: BlobStats: %w", err)
	}
	return blobs, chunks, bytes, nil
}
