package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"

	"github.com/parleyhq/parley/internal/app"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// selfServer is a Parley started in this process.
type selfServer struct {
	app     *app.App
	db      *store.DB
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	cleanup []func()
}

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// startSelf starts Parley on 127.0.0.1:0, creates an inbox (unless
// c.inbox is set) and an API token, and fills in c.url, c.token, c.inbox.
func startSelf(ctx context.Context, c *common, w io.Writer) (_ *selfServer, err error) {
	s := &selfServer{}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = c.dataDir
	// Channel inboxes need a secret key. A fresh one per run, unless the
	// data is kept for later runs: a kept data dir keeps its own
	// secret.key (as Parley does with none configured), and a kept schema
	// gets one derived from its name, so the next run can open it.
	key := make([]byte, 32)
	rand.Read(key)
	switch {
	case c.databaseURL != "" && c.schema != "":
		sum := sha256.Sum256([]byte("parley-load schema " + c.schema))
		key = sum[:]
	case c.databaseURL == "" && cfg.DataDir != "":
		key = nil
	}
	if key != nil {
		cfg.SecretKey = hex.EncodeToString(key)
	}
	if cfg.DataDir == "" {
		dir, err := os.MkdirTemp("", "parley-load-")
		if err != nil {
			return s, err
		}
		s.cleanup = append(s.cleanup, func() { os.RemoveAll(dir) })
		cfg.DataDir = dir
	}
	if c.databaseURL != "" {
		if !store.IsPostgres(c.databaseURL) {
			return s, fmt.Errorf("--database-url must start with postgres://")
		}
		schema, keep := c.schema, c.schema != ""
		if !keep {
			b := make([]byte, 6)
			rand.Read(b)
			schema = "parley_load_" + hex.EncodeToString(b)
		}
		if !schemaName.MatchString(schema) {
			return s, fmt.Errorf("--schema %q: use lower-case letters, digits and _", schema)
		}
		adminURL, err := store.DriverURL(c.databaseURL)
		if err != nil {
			return s, err
		}
		admin, err := sql.Open("pgx", adminURL)
		if err != nil {
			return s, err
		}
		if _, err := admin.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema); err != nil {
			admin.Close()
			return s, fmt.Errorf("create schema: %w", err)
		}
		s.cleanup = append(s.cleanup, func() {
			if !keep {
				admin.Exec("DROP SCHEMA " + schema + " CASCADE")
			}
			admin.Close()
		})
		sep := "?"
		if strings.Contains(c.databaseURL, "?") {
			sep = "&"
		}
		cfg.DatabaseURL = c.databaseURL + sep + "search_path=" + schema
		fmt.Fprintf(w, "PostgreSQL schema %s\n", schema)
	} else {
		fmt.Fprintf(w, "SQLite %s\n", cfg.DSN())
	}
	a, err := app.New(ctx, cfg)
	if err != nil {
		return s, err
	}
	s.app, s.db = a, a.DB
	if err := a.Listen(); err != nil {
		return s, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	s.wg.Add(1)
	go func() { defer s.wg.Done(); a.Run(runCtx) }()
	if c.inbox == 0 {
		in, err := a.Inbox.CreateInbox(ctx, inbox.System, parley.Inbox{Name: "Load test", ChannelType: parley.ChannelAPI}, nil)
		if err != nil {
			return s, err
		}
		c.inbox = in.ID
	}
	_, secret, err := a.Inbox.CreateToken(ctx, inbox.System, parley.APIToken{Name: "parley-load"})
	if err != nil {
		return s, err
	}
	c.url, c.token = a.URL(), secret
	return s, nil
}

// close stops the server and removes what startSelf created.
func (s *selfServer) close() {
	if s.cancel != nil {
		s.cancel()
		s.wg.Wait()
	}
	if s.app != nil {
		s.app.Close()
	}
	for i := len(s.cleanup) - 1; i >= 0; i-- {
		s.cleanup[i]()
	}
}
