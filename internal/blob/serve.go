package blob

import (
	"mime"
	"net/http"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Serve answers with an attachment's bytes, safely whatever they are: the
// content type sniffed at upload, nosniff, and a sandboxing CSP, so an
// uploaded HTML or SVG file can never run as a page of Parley's. inline
// shows the file in the browser (images and videos in a timeline);
// otherwise it downloads. Range requests work (video seeking).
func Serve(w http.ResponseWriter, r *http.Request, s Store, a parley.Attachment, inline bool) error {
	f, err := s.Open(a.SHA256)
	if err != nil {
		return err
	}
	defer f.Close()
	disposition := "attachment"
	if inline {
		disposition = "inline"
	}
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": a.Filename}))
	h.Set("Cache-Control", "private, max-age=3600")
	http.ServeContent(w, r, "", time.Time{}, f)
	return nil
}
