package widget

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
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
	q := s.Quota.withDefaults()
	addr := s.Proxies.Key(r)
	who := v.kind + ":" + v.id
	byVisitor, byAddress, err := s.DB.WidgetUploadBytes(r.Context(), in.ID, who, addr, s.DB.Now().Add(-q.Window))
	if err != nil {
		return err
	}
	room := min(q.PerVisitor-byVisitor, q.PerAddress-byAddress)
	limit := min(s.MaxUploadBytes, room)
	if limit <= 0 || r.ContentLength > limit {
		return overQuota(w, q)
	}
	info, err := s.Inbox.Upload(r.Context(), http.MaxBytesReader(w, r.Body, limit+1), limit)
	if err != nil {
		if parley.ErrorCode(err) == parley.ETOOLARGE || strings.Contains(err.Error(), "too large") {
			if limit < s.MaxUploadBytes {
				return overQuota(w, q)
			}
			return tooLarge(s.MaxUploadBytes)
		}
		return err
	}
	if err := s.DB.Write(r.Context(), func(tx *store.Tx) error {
		return tx.RecordWidgetUpload(store.WidgetUpload{InboxID: in.ID, Visitor: who, Address: addr, Size: info.Size})
	}); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"upload_id": info.SHA256, "size": info.Size, "content_type": info.ContentType})
}

func tooLarge(max int64) error {
	return parley.Errorf(parley.ETOOLARGE, "The file is larger than the %s limit.", humanBytes(max))
}

func overQuota(w http.ResponseWriter, q UploadQuota) error {
	w.Header().Set("Retry-After", fmt.Sprint(int(min(q.Window, time.Hour).Seconds())))
	return parley.Errorf(parley.ERATELIMIT, "You have sent as many files as we can take for now. Please try again later, or send a smaller file.")
}
