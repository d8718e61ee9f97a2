package blob

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/parleyhq/parley/internal/parley"
)

// ImportResult counts what Import did.
type ImportResult struct {
	Copied, Present int   // blobs copied in, and found in already
	Bytes           int64 // bytes copied
}

// Import copies every blob of a directory store into a database store:
// the way from a PostgreSQL deployment's per-node blob directories to
// blobs every node reads (`parley blobs import`, run once on each node
// that received files). Blobs already in are skipped, so it can run again
// after an interruption. A file whose bytes no longer match its name is
// refused with an error naming it, and nothing of it is stored.
func Import(dst *DB, src *FS) (ImportResult, error) {
	var res ImportResult
	err := filepath.WalkDir(src.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		sha := d.Name()
		if d.IsDir() || !ValidSHA(sha) || path != src.path(sha) {
			return nil // temporary and set-aside files, anything else
		}
		ctx, cancel := context.WithTimeout(context.Background(), dst.timeout())
		_, err = dst.Store.BlobHead(ctx, sha)
		cancel()
		if err == nil {
			res.Present++
			return nil
		}
		if parley.ErrorCode(err) != parley.ENOTFOUND {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("blob: import: %w", err)
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return fmt.Errorf("blob: import: %w", err)
		}
		info, err := dst.Put(f, st.Size())
		if err != nil {
			return fmt.Errorf("blob: import %s: %w", path, err)
		}
		if info.SHA256 != sha {
			// Put stored it under its true hash: harmless, but say so.
			return fmt.Errorf("blob: import: %s holds bytes whose SHA-256 is %s", path, info.SHA256)
		}
		res.Copied++
		res.Bytes += info.Size
		return nil
	})
	return res, err
}
