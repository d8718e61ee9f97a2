package store

import (
	"context"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// RegisterUpload records a stored blob that someone has just uploaded: a
// new row, or for a file already known, a fresh uploaded_at, so the
// orphan cleanup counts its grace period from this upload.
func (tx *Tx) RegisterUpload(sha string, size int64, contentType string, length time.Duration) (err error) {
	defer wrap(&err, "store: RegisterUpload")
	_, err = tx.exec(`INSERT INTO blobs (sha256, size, content_type, created_at, uploaded_at, duration_ms) VALUES ($1, $2, $3, $4, $4, $5)
		ON CONFLICT (sha256) DO UPDATE SET uploaded_at = excluded.uploaded_at, duration_ms = excluded.duration_ms`,
		sha, size, contentType, ts(tx.now), length.Milliseconds())
	return err
}

// DeleteOrphanBlobs deletes up to limit blobs that no attachment refers
// to and that were neither created nor uploaded since cutoff, and returns
// their hashes; the caller removes the files after the commit. On
// PostgreSQL, a message that attaches one of them at the same moment
// makes the delete fail on the foreign key rather than lose its file.
func (tx *Tx) DeleteOrphanBlobs(cutoff time.Time, limit int) (_ []string, err error) {
	defer wrap(&err, "store: DeleteOrphanBlobs")
	rows, err := tx.query(`DELETE FROM blobs WHERE sha256 IN (
			SELECT b.sha256 FROM blobs b
			WHERE b.uploaded_at < $1 AND b.created_at < $1
				AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.sha256 = b.sha256)
				AND NOT EXISTS (SELECT 1 FROM canned_responses c WHERE c.clip_sha256 = b.sha256)
				AND NOT EXISTS (SELECT 1 FROM kb_articles k WHERE k.clip_sha256 = b.sha256)
			ORDER BY b.uploaded_at LIMIT $2)
		RETURNING sha256`, ts(cutoff), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var sha string
		if err := rows.Scan(&sha); err != nil {
			return nil, err
		}
		out = append(out, sha)
	}
	return out, rows.Err()
}

// HasBlob reports whether a blob row exists for sha.
func (db *DB) HasBlob(ctx context.Context, sha string) (bool, error) {
	var n int
	err := db.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM blobs WHERE sha256 = $1", sha).Scan(&n)
	return n > 0, err
}

// BlobInfo returns a stored upload's size and sniffed content type;
// ENOTFOUND if there is none.
func (db *DB) BlobInfo(ctx context.Context, sha string) (size int64, contentType string, err error) {
	err = db.read.QueryRowContext(ctx, "SELECT size, content_type FROM blobs WHERE sha256 = $1", sha).Scan(&size, &contentType)
	return size, contentType, notFound(err, "upload", sha)
}

// WidgetUpload is one file a widget visitor uploaded, for quotas.
type WidgetUpload struct {
	InboxID int64
	Visitor string // the visitor's identity (kind and external id)
	Address string // the client address key (clientip.Key)
	Size    int64
}

// RecordWidgetUpload counts an upload against its visitor's and its
// address's quotas.
func (tx *Tx) RecordWidgetUpload(u WidgetUpload) (err error) {
	defer wrap(&err, "store: RecordWidgetUpload")
	_, err = tx.exec(`INSERT INTO widget_uploads (inbox_id, visitor, address, size, created_at) VALUES ($1, $2, $3, $4, $5)`,
		u.InboxID, u.Visitor, u.Address, u.Size, ts(tx.now))
	return err
}

// WidgetUploadBytes returns how many bytes the visitor (in its inbox) and
// the address (in every inbox) uploaded since since.
func (db *DB) WidgetUploadBytes(ctx context.Context, inboxID int64, visitor, address string, since time.Time) (byVisitor, byAddress int64, err error) {
	defer wrap(&err, "store: WidgetUploadBytes")
	err = db.read.QueryRowContext(ctx, `SELECT
			(SELECT COALESCE(SUM(size), 0) FROM widget_uploads WHERE inbox_id = $1 AND visitor = $2 AND created_at >= $4),
			(SELECT COALESCE(SUM(size), 0) FROM widget_uploads WHERE address = $3 AND created_at >= $4)`,
		inboxID, visitor, address, ts(since)).Scan(&byVisitor, &byAddress)
	return byVisitor, byAddress, err
}

// PruneWidgetUploads forgets uploads counted before cutoff.
func (tx *Tx) PruneWidgetUploads(cutoff time.Time) (n int64, err error) {
	defer wrap(&err, "store: PruneWidgetUploads")
	res, err := tx.exec("DELETE FROM widget_uploads WHERE created_at < $1", ts(cutoff))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// EnsureJob enqueues a job of kind to run at runAt unless one is already
// pending, and reports whether it did: the way a periodic job keeps
// exactly one next run, however many processes start or run it.
func (tx *Tx) EnsureJob(kind, payload string, runAt time.Time, maxAttempts int) (added bool, err error) {
	defer wrap(&err, "store: EnsureJob(%s)", kind)
	res, err := tx.exec(`INSERT INTO jobs (kind, payload, status, run_at, attempts, max_attempts, created_at, updated_at)
		SELECT $1, $2, 'pending', $3, 0, $4, $5, $5
		WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE kind = $1 AND status = 'pending')`, kind, payload, ts(runAt), maxAttempts, ts(tx.now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Clips (parley.Clip) are kept as two columns, ” for none.
func clipOf(sha, name string) *parley.Clip {
	if sha == "" {
		return nil
	}
	return &parley.Clip{UploadID: sha, Filename: name}
}

func clipColumns(c *parley.Clip) (sha, name string) {
	if c == nil {
		return "", ""
	}
	return c.UploadID, c.Filename
}

// checkClip refuses a clip that names no stored upload. Once saved, the
// orphan cleanup spares it (DeleteOrphanBlobs).
func (tx *Tx) checkClip(c *parley.Clip) error {
	if c == nil {
		return nil
	}
	var n int
	if err := tx.queryRow("SELECT COUNT(*) FROM blobs WHERE sha256 = $1", c.UploadID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return parley.Errorf(parley.ENOTFOUND, "the clip's upload %s was not found: upload the file first", c.UploadID)
	}
	return nil
}
