package inbox

import (
	"context"
	"io"

	"github.com/parleyhq/parley/internal/blob"
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
	err = s.DB.Write(ctx, func(tx *store.Tx) error { return tx.RegisterUpload(info.SHA256, info.Size, info.ContentType) })
	return info, err
}
