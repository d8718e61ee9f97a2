// Package apptest starts a whole Parley for tests, the way main does: a
// real database (SQLite or PostgreSQL), a real HTTP server on a free
// loopback port, and an API token to call it with.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/app"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// Env is a running Parley.
type Env struct {
	App   *app.App
	URL   string
	Token string // an admin API token
	t     testing.TB
	stop  func()
}

// Stop ends Run now, as a shutdown would, rather than when the test ends;
// the database stays open until then. With App.Work.KeepOnStop set first,
// the node stops as a killed process would, leaving its leases to expire.
func (e *Env) Stop() { e.stop() }

// Start runs Parley on dialect until the test ends. Clock, when not nil,
// replaces the database clock.
func Start(tb testing.TB, dialect string, clock func() time.Time) *Env {
	tb.Helper()
	return StartWith(tb, dialect, clock, nil)
}

// TestSecretKey is the PARLEY_SECRET_KEY of test Parleys.
const TestSecretKey = "apptest: a key for tests only, never for real credentials"

// LoopbackAllow is the outbound allow-list of test Parleys.
const LoopbackAllow = "127.0.0.0/8, ::1"

// StartWith is Start with a chance to change the configuration first.
func StartWith(tb testing.TB, dialect string, clock func() time.Time, edit func(*config.Config)) *Env {
	tb.Helper()
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = tb.TempDir()
	cfg.SecretKey = TestSecretKey
	// Provider fakes, webhook receivers and mail servers of tests listen
	// on loopback: allowed here explicitly, so the outbound guard is in
	// the path of every test rather than bypassed. A test of the guard
	// itself clears it in edit.
	cfg.OutboundAllow = LoopbackAllow
	dsn := storetest.DSN(tb, dialect)
	if dialect == "sqlite" {
		dsn = filepath.Join(cfg.DataDir, "parley.db")
	} else {
		cfg.DatabaseURL = dsn
	}
	if edit != nil {
		edit(&cfg)
	}
	a, err := app.New(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if clock != nil {
		a.DB.Now = clock
	}
	if err := a.Listen(); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); a.Run(ctx) }()
	stop := sync.OnceFunc(func() { cancel(); wg.Wait() })
	tb.Cleanup(func() { stop(); a.Close() })
	_, secret, err := a.Inbox.CreateToken(context.Background(), inbox.System, parley.APIToken{Name: "test"})
	if err != nil {
		tb.Fatal(err)
	}
	return &Env{App: a, URL: a.URL(), Token: secret, t: tb, stop: stop}
}

// Do sends a request with the env's token (if auth) and a JSON body (if
// body is not nil; a string or []byte is sent as is), and returns the
// status and body.
func (e *Env) Do(method, path string, body any, auth bool) (int, []byte) {
	e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = bytes.NewBufferString(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.URL+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+e.Token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// JSON is Do that decodes the response into v and fails the test unless
// the status is want.
func (e *Env) JSON(method, path string, body any, want int, v any) {
	e.t.Helper()
	status, out := e.Do(method, path, body, true)
	if status != want {
		e.t.Fatalf("%s %s = %d %s, want %d", method, path, status, out, want)
	}
	if v != nil {
		if err := json.Unmarshal(out, v); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", method, path, out, err)
		}
	}
}
