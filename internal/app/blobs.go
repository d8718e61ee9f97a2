package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/parleyhq/parley/internal/blob"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/store"
)

// openBlobs returns where attachments are kept. SQLite is one process, so
// its files sit beside the database under DataDir/blobs. On PostgreSQL
// several processes share the database and not a disk, so the bytes go
// into the database; files an older version kept in this node's
// DataDir/blobs are still read from there until `parley blobs import`
// has copied them in.
func openBlobs(cfg config.Config, db *store.DB) (blob.Store, error) {
	files, err := blob.NewFS(filepath.Join(cfg.DataDir, "blobs"))
	if err != nil {
		return nil, err
	}
	if db.Dialect() != "postgres" {
		return files, nil
	}
	spool := filepath.Join(cfg.DataDir, "tmp")
	if err := os.MkdirAll(spool, 0o750); err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	return &blob.DB{Store: db, Legacy: files, TempDir: spool}, nil
}

// importBlobs is `parley blobs import`: it copies the files this node
// kept under DataDir/blobs into the database, so every node serves them.
func importBlobs(ctx context.Context, a *App, out io.Writer) error {
	dst, ok := a.Blobs.(*blob.DB)
	if !ok {
		return fmt.Errorf("parley blobs import: the database is %s; attachments move into it on PostgreSQL only", a.DB.Dialect())
	}
	res, err := blob.Import(dst, dst.Legacy)
	fmt.Fprintf(out, "copied %d files (%d bytes); %d were in the database already\n", res.Copied, res.Bytes, res.Present)
	if err != nil {
		return err
	}
	blobs, _, size, err := a.DB.BlobStats(ctx)
	if err == nil {
		fmt.Fprintf(out, "the database now holds %d files (%d bytes)\n", blobs, size)
	}
	return err
}
