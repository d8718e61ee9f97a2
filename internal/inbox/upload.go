package inbox

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/blob"
	"github.com/parleyhq/parley/internal/media"
	"github.com/parleyhq/parley/internal/store"
)

// Upload stores a file for a message's attachments and returns what
// AttachmentRef names it by. Returns ETOOLARGE over limit bytes, EINVALID
// for an empty file.
func (s *Service) Upload(ctx context.Context, r io.Reader, limit int64) (blob.Info, error) {
	info, err := s.Blobs.Put(r, limit)
	if err != nil {
		return info, err
	}
	// RegisterUpload (not RegisterBlob) restarts the orphan grace period
	// of a file uploaded before (see internal/uploads).
	length := s.videoLength(info)
	err = s.DB.Write(ctx, func(tx *store.Tx) error { return tx.RegisterUpload(info.SHA256, info.Size, info.ContentType, length) })
	return info, err
}

// videoLength reads a video's length from the stored file, which a
// browser's recording does not say in a way players show (0 when the
// container does not tell, or the file is not a video).
func (s *Service) videoLength(info blob.Info) time.Duration {
	if !strings.HasPrefix(info.ContentType, "video/") {
		return 0
	}
	f, err := s.Blobs.Open(info.SHA256)
	if err != nil {
		return 0
	}
	defer f.Close()
	d, _ := media.Duration(f, info.ContentType)
	return d
}
