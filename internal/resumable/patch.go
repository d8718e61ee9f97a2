package resumable

import (
	"context"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Patch appends the body at Upload-Offset, which must be the offset the
// server holds (409 otherwise: a piece sent twice is stored once). The
// body is committed a piece at a time as it arrives; when the connection
// drops, what arrived is committed too and the client goes on from HEAD's
// offset. The PATCH that brings the last byte turns the pieces into a
// blob and answers with its id; a PATCH at the full length with no blob
// yet (the server stopped in between) finishes the job.
func (s *Server) Patch(w http.ResponseWriter, r *http.Request, owner string) error {
	if err := begin(w, r); err != nil {
		return err
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/offset+octet-stream" {
		return parley.Errorf(parley.EMEDIATYPE, "a PATCH body must be Content-Type: application/offset+octet-stream")
	}
	at, err := strconv.ParseInt(r.Header.Get("Upload-Offset"), 10, 64)
	if err != nil || at < 0 {
		return parley.Errorf(parley.EINVALID, "Upload-Offset %q is not a whole number of bytes", r.Header.Get("Upload-Offset"))
	}
	sess, err := s.session(r, owner)
	if err != nil {
		return err
	}
	if at != sess.Received {
		return parley.Errorf(parley.ECONFLICT, "the upload is at offset %d, not %d: ask with HEAD and go on from there", sess.Received, at)
	}
	if r.ContentLength > sess.Length-at {
		return parley.Errorf(parley.EINVALID, "the body (%d bytes) goes past the upload's length (%d bytes left)", r.ContentLength, sess.Length-at)
	}
	// The pieces are committed even when the client has gone: what
	// arrived is what it will not have to send again.
	ctx := context.WithoutCancel(r.Context())
	received, err := s.take(ctx, sess, io.LimitReader(r.Body, sess.Length-at))
	if err != nil {
		return err
	}
	if received == sess.Length && sess.SHA256 == "" {
		if sess.SHA256, err = s.finish(ctx, sess); err != nil {
			return err
		}
	}
	// A chunked body that went on past the length: its excess was never
	// read, so never stored; say so rather than pretend it was taken.
	if n, _ := r.Body.Read(make([]byte, 1)); n > 0 {
		return parley.Errorf(parley.EINVALID, "the body goes past the upload's length; %d bytes were taken", received)
	}
	w.Header().Set("Upload-Offset", strconv.FormatInt(received, 10))
	if sess.SHA256 != "" {
		w.Header().Set(IDHeader, sess.SHA256)
	} else {
		s.expires(w, s.DB.Now())
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// take reads body in pieces of PieceBytes and commits each, returning the
// offset reached. A body that breaks off has its partial piece committed
// before the error is returned.
func (s *Server) take(ctx context.Context, sess store.UploadSession, body io.Reader) (int64, error) {
	received := sess.Received
	buf := make([]byte, s.Pieces())
	for {
		n, rerr := fill(body, buf)
		if n > 0 {
			at := received
			if err := s.DB.Write(ctx, func(tx *store.Tx) (err error) {
				received, err = tx.AddUploadPiece(sess.ID, at, buf[:n])
				return err
			}); err != nil {
				return at, err
			}
		}
		switch {
		case rerr == io.EOF:
			return received, nil
		case rerr != nil:
			// The client went away; this answer reaches no one but the log.
			return received, parley.Errorf(parley.EINVALID, "the body broke off (%v); %d bytes are kept: ask with HEAD and go on", rerr, received)
		}
	}
}

// fill reads until buf is full or the body ends: io.EOF for a body that
// ended cleanly (possibly with n > 0), any other error for one that broke.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// finish streams the pieces, in order, into a blob and records it on the
// session. Two nodes finishing the same upload at once make the same
// content-addressed blob; one whose pieces are already gone reads the
// blob's id the other recorded.
func (s *Server) finish(ctx context.Context, sess store.UploadSession) (string, error) {
	info, err := s.Upload(ctx, &pieces{ctx: ctx, db: s.DB, id: sess.ID, left: sess.Length}, sess.Length)
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		again, err := s.DB.UploadSession(ctx, sess.ID)
		if err != nil {
			return "", err
		}
		if again.SHA256 == "" {
			return "", parley.Errorf(parley.ECONFLICT, "the upload's pieces are missing; start it again")
		}
		return again.SHA256, nil
	}
	if err != nil {
		return "", err
	}
	if info.Size != sess.Length {
		return "", parley.Errorf(parley.EINTERNAL, "upload %s made %d bytes of %d", sess.ID, info.Size, sess.Length)
	}
	err = s.DB.Write(ctx, func(tx *store.Tx) error { return tx.CompleteUploadSession(sess.ID, info.SHA256) })
	return info.SHA256, err
}

// pieces reads an upload's stored pieces in order, one at a time, so a
// large file never sits whole in memory.
type pieces struct {
	ctx  context.Context
	db   *store.DB
	id   string
	at   int64
	left int64
	cur  []byte
}

func (p *pieces) Read(b []byte) (int, error) {
	if len(p.cur) == 0 {
		if p.left == 0 {
			return 0, io.EOF
		}
		data, err := p.db.UploadPiece(p.ctx, p.id, p.at)
		if err != nil {
			return 0, err
		}
		if len(data) == 0 || int64(len(data)) > p.left {
			return 0, parley.Errorf(parley.EINTERNAL, "upload %s has a bad piece at %d", p.id, p.at)
		}
		p.cur, p.at, p.left = data, p.at+int64(len(data)), p.left-int64(len(data))
	}
	n := copy(b, p.cur)
	p.cur = p.cur[n:]
	return n, nil
}
