package widget

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/resumable"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/uploads"
)

// UploadQuota bounds the bytes widget visitors may upload within a
// rolling window. Two bounds, because a token costs nothing to get: a
// visitor's own, and one per client address (across its visitors and
// every inbox) that stops a script from taking a fresh token per file.
// Uploads that no message uses are deleted after a day (internal/uploads),
// so a window of a day bounds what one address can keep on disk.
type UploadQuota struct {
	PerVisitor int64         // default 50 MiB
	PerAddress int64         // default 250 MiB
	Window     time.Duration // default uploads.DefaultWindow (24 h)
}

func (q UploadQuota) withDefaults() UploadQuota {
	if q.PerVisitor <= 0 {
		q.PerVisitor = 50 << 20
	}
	if q.PerAddress <= 0 {
		q.PerAddress = 250 << 20
	}
	if q.Window <= 0 {
		q.Window = uploads.DefaultWindow
	}
	return q
}

// room is how many bytes the visitor may upload now: the file size limit
// within what the visitor's and the address's quotas leave.
type room struct {
	limit     int64
	q         UploadQuota
	who, addr string
}

func (s *Server) uploadRoom(r *http.Request, in parley.Inbox, v visitor) (room, error) {
	q := s.Quota.withDefaults()
	rm := room{q: q, addr: s.Proxies.Key(r), who: v.kind + ":" + v.id}
	byVisitor, byAddress, err := s.DB.WidgetUploadBytes(r.Context(), in.ID, rm.who, rm.addr, s.DB.Now().Add(-q.Window))
	if err != nil {
		return rm, err
	}
	rm.limit = min(s.MaxUploadBytes, q.PerVisitor-byVisitor, q.PerAddress-byAddress)
	return rm, nil
}

// refuse says why a file of n bytes does not fit: over the file size limit,
// or over a quota (429, with when to try again).
func (s *Server) refuse(w http.ResponseWriter, rm room, n int64) error {
	if n > s.MaxUploadBytes || rm.limit >= s.MaxUploadBytes {
		return tooLarge(s.MaxUploadBytes)
	}
	return overQuota(w, rm.q)
}

func (s *Server) recordUpload(r *http.Request, in parley.Inbox, rm room, size int64) error {
	return s.DB.Write(r.Context(), func(tx *store.Tx) error {
		return tx.RecordWidgetUpload(store.WidgetUpload{InboxID: in.ID, Visitor: rm.who, Address: rm.addr, Size: size})
	})
}

// upload stores a visitor's file for a later message, within the file
// size limit and the visitor's and address's quotas. Over a quota it
// answers 429 and stores nothing.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) error {
	in, err := s.inboxFor(r)
	if err != nil {
		return err
	}
	v, err := s.visitorFor(r, in, true)
	if err != nil {
		return err
	}
	if r.ContentLength > s.MaxUploadBytes {
		return tooLarge(s.MaxUploadBytes)
	}
	rm, err := s.uploadRoom(r, in, v)
	if err != nil {
		return err
	}
	if rm.limit <= 0 || r.ContentLength > rm.limit {
		return s.refuse(w, rm, r.ContentLength)
	}
	info, err := s.Inbox.Upload(r.Context(), http.MaxBytesReader(w, r.Body, rm.limit+1), rm.limit)
	if err != nil {
		if parley.ErrorCode(err) == parley.ETOOLARGE || strings.Contains(err.Error(), "too large") {
			return s.refuse(w, rm, rm.limit+1)
		}
		return err
	}
	if err := s.recordUpload(r, in, rm, info.Size); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"upload_id": info.SHA256, "size": info.Size, "content_type": info.ContentType})
}

// startResumable begins an upload in pieces (internal/resumable) for a
// file of the declared length. The quotas are charged for the whole
// length now, so a visitor cannot open many sessions that each fit.
func (s *Server) startResumable(w http.ResponseWriter, r *http.Request) error {
	in, err := s.inboxFor(r)
	if err != nil {
		return err
	}
	v, err := s.visitorFor(r, in, true)
	if err != nil {
		return err
	}
	rm, err := s.uploadRoom(r, in, v)
	if err != nil {
		return err
	}
	if n, err := resumable.Length(r, s.MaxUploadBytes); err == nil && n > rm.limit {
		return s.refuse(w, rm, n)
	}
	sess, err := s.Resumable.Create(w, r, visitorOwner(in, v), rm.limit)
	if err != nil {
		return err
	}
	// The 201 is written: a failure to record is logged, not answered.
	if err := s.recordUpload(r, in, rm, sess.Length); err != nil {
		slog.Error("widget: record a resumable upload", "err", err)
	}
	return nil
}

// continueResumable serves HEAD, PATCH and DELETE on the visitor's own
// upload. These are not counted against the address's write limit: a
// file is many pieces, and its size was charged to the quotas at start.
func (s *Server) continueResumable(step func(http.ResponseWriter, *http.Request, string) error) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.sameOrigin(r); err != nil {
			return err
		}
		in, err := s.inboxFor(r)
		if err != nil {
			return err
		}
		v, err := s.visitorFor(r, in, true)
		if err != nil {
			return err
		}
		return step(w, r, visitorOwner(in, v))
	}
}

func visitorOwner(in parley.Inbox, v visitor) string {
	return fmt.Sprintf("visitor:%d:%s:%s", in.ID, v.kind, v.id)
}

func tooLarge(max int64) error {
	return parley.Errorf(parley.ETOOLARGE, "The file is larger than the %s limit.", humanBytes(max))
}

func overQuota(w http.ResponseWriter, q UploadQuota) error {
	w.Header().Set("Retry-After", fmt.Sprint(int(min(q.Window, time.Hour).Seconds())))
	return parley.Errorf(parley.ERATELIMIT, "You have sent as many files as we can take for now. Please try again later, or send a smaller file.")
}
