package app

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/flow"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/secret"
	"github.com/parleyhq/parley/internal/store"
)

// openBox makes the key every secret at rest is sealed with, gives it to
// the store, and checks it against the database before anything reads a
// secret. The key is PARLEY_SECRET_KEY or, when that is not set, the one
// in the data directory's secret.key, made on first start: so Parley
// seals with nothing configured, and the key still never sits in the
// database (a dump or a backup of it alone reveals no secret).
func openBox(ctx context.Context, cfg config.Config, db *store.DB) (*secret.Box, error) {
	key := cfg.SecretKey
	if key == "" {
		path := filepath.Join(cfg.DataDir, secret.KeyFileName)
		k, created, err := secret.LoadOrCreateKeyFile(path)
		if err != nil {
			return nil, err
		}
		if created {
			slog.Warn("app: PARLEY_SECRET_KEY is not set; secrets are sealed with a new key in "+path+
				": back it up apart from the database, or set PARLEY_SECRET_KEY to its contents", "path", path)
		}
		key = k
	}
	box, err := secret.New(key)
	if err != nil {
		return nil, err
	}
	db.Secrets = box
	n, err := db.CheckSecretKey(ctx, append(slices.Clone(inbox.SealedSettings), flow.SealedSettings...)...)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		slog.Info("app: secrets stored in clear by an earlier version are now sealed; rewriting the tables that held them", "count", n)
		if err := db.ScrubFreed(ctx); err != nil {
			return nil, err
		}
	}
	return box, nil
}
