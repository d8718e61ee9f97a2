package web

import (
	"errors"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
)

// storeFormFile stores one file of a multipart form as an upload.
func (s *Server) storeFormFile(r *http.Request, fh *multipart.FileHeader) (inbox.AttachmentRef, error) {
	if fh.Size > s.MaxUploadBytes {
		return inbox.AttachmentRef{}, parley.Errorf(parley.ETOOLARGE, "%s is larger than the %d MB limit", fh.Filename, s.MaxUploadBytes>>20)
	}
	f, err := fh.Open()
	if err != nil {
		return inbox.AttachmentRef{}, err
	}
	defer f.Close()
	info, err := s.Inbox.Upload(r.Context(), f, s.MaxUploadBytes)
	if err != nil {
		return inbox.AttachmentRef{}, err
	}
	return inbox.AttachmentRef{SHA256: info.SHA256, Filename: parley.CleanFilename(fh.Filename)}, nil
}

// clipFrom reads the clip a canned response or article form sets: a file
// chosen in the "clip" input, or one recorded in the page and already
// stored (the upload_id and upload_name a capture leaves in the form),
// or, in a form shown again after an error, the one it had (clip_keep);
// remove_clip drops it. set is false when the form leaves the clip as it
// is.
func (s *Server) clipFrom(r *http.Request) (clip *parley.Clip, set bool, err error) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return nil, false, parley.Errorf(parley.ETOOLARGE, "the file is larger than the upload limit")
			}
			return nil, false, parley.Errorf(parley.EINVALID, "the form could not be read")
		}
	}
	if r.MultipartForm != nil {
		if fhs := r.MultipartForm.File["clip"]; len(fhs) > 0 && fhs[0].Size > 0 {
			ref, err := s.storeFormFile(r, fhs[0])
			if err != nil {
				return nil, false, err
			}
			return &parley.Clip{UploadID: ref.SHA256, Filename: ref.Filename}, true, nil
		}
	}
	if id := r.FormValue("upload_id"); id != "" {
		return &parley.Clip{UploadID: id, Filename: r.FormValue("upload_name")}, true, nil
	}
	if r.FormValue("remove_clip") != "" {
		return nil, true, nil
	}
	if id := r.FormValue("clip_keep"); id != "" {
		return &parley.Clip{UploadID: id, Filename: r.FormValue("clip_keep_name")}, true, nil
	}
	return nil, false, nil
}
