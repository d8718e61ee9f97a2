package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// UploadSession is a file being sent in pieces (internal/resumable). Its
// pieces are rows of their own, committed one by one; SHA256 is set once
// the last piece has arrived and the file became a blob.
type UploadSession struct {
	ID        string
	Owner     string // who may continue it: "visitor:…", "agent:…", "token:…"
	Length    int64  // declared at creation
	Received  int64  // bytes committed so far
	Filename  string
	SHA256    string // "" until complete
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CreateUploadSession stores a new, empty upload session.
func (tx *Tx) CreateUploadSession(s UploadSession) (err error) {
	defer wrap(&err, "store: CreateUploadSession")
	_, err = tx.exec(`INSERT INTO upload_sessions (id, owner, length, received, filename, sha256, created_at, updated_at)
		VALUES ($1, $2, $3, 0, $4, '', $5, $5)`, s.ID, s.Owner, s.Length, s.Filename, ts(tx.now))
	return err
}

// UploadSession returns the session with id, ENOTFOUND if there is none.
func (db *DB) UploadSession(ctx context.Context, id string) (s UploadSession, err error) {
	defer wrap(&err, "store: UploadSession")
	var created, updated int64
	err = db.read.QueryRowContext(ctx, `SELECT id, owner, length, received, filename, sha256, created_at, updated_at
		FROM upload_sessions WHERE id = $1`, id).
		Scan(&s.ID, &s.Owner, &s.Length, &s.Received, &s.Filename, &s.SHA256, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return s, parley.Errorf(parley.ENOTFOUND, "no upload %q here", id)
	}
	s.CreatedAt, s.UpdatedAt = fromTS(created), fromTS(updated)
	return s, err
}

// AddUploadPiece appends data at offset at and returns the bytes received
// since. The offset must be exactly what was received so far: a piece
// sent twice (its answer lost), or two sends racing, gets ECONFLICT and
// changes nothing, so each byte is stored once.
func (tx *Tx) AddUploadPiece(id string, at int64, data []byte) (received int64, err error) {
	defer wrap(&err, "store: AddUploadPiece")
	n := int64(len(data))
	err = tx.queryRow(`UPDATE upload_sessions SET received = received + $3, updated_at = $4
		WHERE id = $1 AND received = $2 AND sha256 = '' AND received + $3 <= length
		RETURNING received`, id, at, n, ts(tx.now)).Scan(&received)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, parley.Errorf(parley.ECONFLICT, "the upload is not at offset %d, or the piece goes past its length", at)
	}
	if err != nil {
		return 0, err
	}
	_, err = tx.exec(`INSERT INTO upload_pieces (session_id, at, data) VALUES ($1, $2, $3)`, id, at, data)
	return received, err
}

// UploadPiece returns the piece that starts at offset at.
func (db *DB) UploadPiece(ctx context.Context, id string, at int64) (data []byte, err error) {
	defer wrap(&err, "store: UploadPiece")
	err = db.read.QueryRowContext(ctx, `SELECT data FROM upload_pieces WHERE session_id = $1 AND at = $2`, id, at).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, parley.Errorf(parley.ENOTFOUND, "upload %q has no piece at %d", id, at)
	}
	return data, err
}

// CompleteUploadSession records the blob the pieces made and deletes the
// pieces. The session row stays (until the cleanup) so that a client
// whose last answer was lost can still learn the upload's id.
func (tx *Tx) CompleteUploadSession(id, sha string) (err error) {
	defer wrap(&err, "store: CompleteUploadSession")
	if _, err = tx.exec(`UPDATE upload_sessions SET sha256 = $2, updated_at = $3 WHERE id = $1`, id, sha, ts(tx.now)); err != nil {
		return err
	}
	_, err = tx.exec(`DELETE FROM upload_pieces WHERE session_id = $1`, id)
	return err
}

// DeleteUploadSession deletes a session and (by the foreign key's
// cascade) its pieces.
func (tx *Tx) DeleteUploadSession(id string) (err error) {
	defer wrap(&err, "store: DeleteUploadSession")
	_, err = tx.exec(`DELETE FROM upload_sessions WHERE id = $1`, id)
	return err
}

// DeleteStaleUploadSessions deletes up to limit sessions untouched since
// before, with their pieces (the cascade), and returns how many it deleted.
func (tx *Tx) DeleteStaleUploadSessions(before time.Time, limit int) (_ int, err error) {
	defer wrap(&err, "store: DeleteStaleUploadSessions")
	res, err := tx.exec(`DELETE FROM upload_sessions WHERE id IN (
		SELECT id FROM upload_sessions WHERE updated_at < $1 ORDER BY updated_at LIMIT $2)`, ts(before), limit)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}
