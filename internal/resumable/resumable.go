// Package resumable takes files in pieces that survive a flaky connection,
// speaking the tus 1.0.0 protocol (core, creation, termination and
// expiration): a client declares the length with a POST, sends the bytes
// with PATCH from the offset the server holds, and after a dropped
// connection asks for that offset with HEAD and goes on from there.
//
// Each piece is committed to the database as it arrives, so what was
// acknowledged survives a restart and a different node can take the next
// piece. When the last byte is in, the pieces become one blob through the
// same Upload path a one-shot upload takes, and the answer names the
// blob's id (Parley-Upload-Id), which a message then refers to as any
// upload_id.
//
// The package knows nothing of who the caller is: each route that mounts
// it (widget, API, agent UI) says who owns a new upload and how large it
// may be, and a session answers only to its owner.
package resumable

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/parleyhq/parley/internal/blob"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Version is the tus protocol version spoken, the only one.
const Version = "1.0.0"

// IDHeader names the blob a complete upload became: the upload_id that
// messages' attachments refer to.
const IDHeader = "Parley-Upload-Id"

// Server answers the tus requests of every route that mounts it.
type Server struct {
	DB *store.DB
	// Upload stores a complete file as a blob (inbox.Service.Upload).
	Upload func(ctx context.Context, r io.Reader, limit int64) (blob.Info, error)
	// PieceBytes is how much of a PATCH body is committed at once, and so
	// the most a dropped connection can cost: default 1 MiB.
	PieceBytes int
	// Expiry is how long an upload left untouched may be continued; the
	// cleanup (internal/uploads) deletes it after. Default 24 h.
	Expiry time.Duration
}

// Pieces is the piece size in bytes, which clients send each PATCH in.
func (s *Server) Pieces() int {
	if s.PieceBytes > 0 {
		return s.PieceBytes
	}
	return 1 << 20
}

func (s *Server) expiry() time.Duration {
	if s.Expiry > 0 {
		return s.Expiry
	}
	return 24 * time.Hour
}

// Length reads a creation request's Upload-Length, so that a route can
// check its quotas before Create. A missing or malformed length is
// EINVALID; over limit is ETOOLARGE.
func Length(r *http.Request, limit int64) (int64, error) {
	v := r.Header.Get("Upload-Length")
	if v == "" {
		return 0, parley.Errorf(parley.EINVALID, "Upload-Length is required: this server does not take uploads of unknown length")
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, parley.Errorf(parley.EINVALID, "Upload-Length %q is not a whole number of bytes", v)
	}
	if n == 0 {
		return 0, parley.Errorf(parley.EINVALID, "the file is empty")
	}
	if n > limit {
		return 0, parley.Errorf(parley.ETOOLARGE, "The file is larger than the %d-byte limit.", limit)
	}
	return n, nil
}

// Create starts an upload owned by owner, of at most limit bytes, and
// answers 201 with its Location (the request's path and the new id).
func (s *Server) Create(w http.ResponseWriter, r *http.Request, owner string, limit int64) (store.UploadSession, error) {
	if err := begin(w, r); err != nil {
		return store.UploadSession{}, err
	}
	w.Header().Set("Tus-Max-Size", strconv.FormatInt(limit, 10))
	n, err := Length(r, limit)
	if err != nil {
		return store.UploadSession{}, err
	}
	name, err := filename(r.Header.Get("Upload-Metadata"))
	if err != nil {
		return store.UploadSession{}, err
	}
	sess := store.UploadSession{ID: newID(), Owner: owner, Length: n, Filename: name}
	if err := s.DB.Write(r.Context(), func(tx *store.Tx) error { return tx.CreateUploadSession(sess) }); err != nil {
		return sess, err
	}
	w.Header().Set("Location", strings.TrimSuffix(r.URL.Path, "/")+"/"+sess.ID)
	w.Header().Set("Upload-Offset", "0")
	s.expires(w, s.DB.Now())
	w.WriteHeader(http.StatusCreated)
	return sess, nil
}

// Head answers with the upload's offset, so that a client whose PATCH
// broke off knows where to go on from.
func (s *Server) Head(w http.ResponseWriter, r *http.Request, owner string) error {
	if err := begin(w, r); err != nil {
		return err
	}
	sess, err := s.session(r, owner)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Upload-Offset", strconv.FormatInt(sess.Received, 10))
	h.Set("Upload-Length", strconv.FormatInt(sess.Length, 10))
	if sess.SHA256 != "" {
		h.Set(IDHeader, sess.SHA256)
	} else {
		s.expires(w, sess.UpdatedAt)
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// Delete abandons an upload (tus termination): its pieces go at once; a
// blob it already became stays until no message uses it.
func (s *Server) Delete(w http.ResponseWriter, r *http.Request, owner string) error {
	if err := begin(w, r); err != nil {
		return err
	}
	sess, err := s.session(r, owner)
	if err != nil {
		return err
	}
	if err := s.DB.Write(r.Context(), func(tx *store.Tx) error { return tx.DeleteUploadSession(sess.ID) }); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Options tells a client what this server speaks (tus discovery).
func (s *Server) Options(w http.ResponseWriter, limit int64) {
	h := w.Header()
	h.Set("Tus-Resumable", Version)
	h.Set("Tus-Version", Version)
	h.Set("Tus-Extension", "creation,termination,expiration")
	h.Set("Tus-Max-Size", strconv.FormatInt(limit, 10))
	w.WriteHeader(http.StatusNoContent)
}

// session loads the request's upload ({upload_id}) for owner. Another
// owner's upload is not found, not forbidden: ids are not to be probed.
func (s *Server) session(r *http.Request, owner string) (store.UploadSession, error) {
	id := r.PathValue("upload_id")
	sess, err := s.DB.UploadSession(r.Context(), id)
	if err == nil && sess.Owner != owner {
		err = parley.Errorf(parley.ENOTFOUND, "no upload %q here", id)
	}
	return sess, err
}

func (s *Server) expires(w http.ResponseWriter, touched time.Time) {
	w.Header().Set("Upload-Expires", touched.Add(s.expiry()).UTC().Format(http.TimeFormat))
}

// begin sets the header every tus answer carries and refuses a client of
// another protocol version (412, with the version spoken).
func begin(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Tus-Resumable", Version)
	if v := r.Header.Get("Tus-Resumable"); v != Version {
		w.Header().Set("Tus-Version", Version)
		if v == "" {
			return parley.Errorf(parley.EPRECONDITION, "Tus-Resumable: %s is required", Version)
		}
		return parley.Errorf(parley.EPRECONDITION, "tus version %q is not spoken here; this server speaks %s", v, Version)
	}
	return nil
}

func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// filename takes the file's name from Upload-Metadata ("filename <base64>",
// pairs separated by commas), keeping it printable and short; a name is
// optional.
func filename(meta string) (string, error) {
	for pair := range strings.SplitSeq(meta, ",") {
		key, val, _ := strings.Cut(strings.TrimSpace(pair), " ")
		if key != "filename" && key != "name" {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(val))
		if err != nil {
			return "", parley.Errorf(parley.EINVALID, "Upload-Metadata: the %s is not base64", key)
		}
		name := strings.Map(func(r rune) rune {
			if unicode.IsControl(r) || r == unicode.ReplacementChar || r == '/' || r == '\\' {
				return -1
			}
			return r
		}, strings.ToValidUTF8(string(raw), ""))
		if len(name) > 255 {
			name = strings.ToValidUTF8(name[:255], "")
		}
		return strings.TrimSpace(name), nil
	}
	return "", nil
}
