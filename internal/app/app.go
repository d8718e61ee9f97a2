// Package app is Parley's composition root: it opens the database, wires
// the use cases, the job runner and the HTTP handlers together, and runs
// them. main and the tests start Parley the same way, through New and Run.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/a2a"
	"github.com/parleyhq/parley/internal/api"
	"github.com/parleyhq/parley/internal/approval"
	"github.com/parleyhq/parley/internal/assist"
	"github.com/parleyhq/parley/internal/blob"
	"github.com/parleyhq/parley/internal/clientip"
	"github.com/parleyhq/parley/internal/compose"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/connect/agents"
	"github.com/parleyhq/parley/internal/connect/mcptool"
	"github.com/parleyhq/parley/internal/flow"
	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/jobs"
	"github.com/parleyhq/parley/internal/knowledge"
	"github.com/parleyhq/parley/internal/live"
	"github.com/parleyhq/parley/internal/llm"
	"github.com/parleyhq/parley/internal/mcp"
	"github.com/parleyhq/parley/internal/outbound"
	"github.com/parleyhq/parley/internal/ratelimit"
	"github.com/parleyhq/parley/internal/resumable"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/telemetry"
	"github.com/parleyhq/parley/internal/uploads"
	"github.com/parleyhq/parley/internal/web"
	"github.com/parleyhq/parley/internal/widget"
	"github.com/parleyhq/parley/internal/work"
)

// App is one running Parley.
type App struct {
	Config config.Config
	DB     *store.DB
	// Blobs keeps attachments: files under DataDir/blobs on SQLite, the
	// database on PostgreSQL so every node reads them (blobs.go).
	Blobs  blob.Store
	Inbox  *inbox.Service
	Assist *assist.Service
	Jobs   *jobs.Runner
	Hub    *live.Hub
	API    *api.Server
	Web    *web.Server
	Widget *widget.Server
	// A2A is Parley's face for outside agents (internal/a2a).
	A2A *a2a.Server
	// MCP is Parley's face for MCP clients (internal/mcp).
	MCP *mcp.Server
	// Approvals holds risky actions (replies above a policy) for a person
	// allowed to approve them.
	Approvals *approval.Service
	// Knowledge is the knowledge base: articles, learned answers, search.
	Knowledge *knowledge.Service
	Flow      *flow.Engine
	// Gateway connects provider channels: webhooks in, sends out.
	Gateway *gateway.Gateway
	// Telemetry holds the metrics served at /metrics.
	Telemetry *telemetry.Registry
	// Work runs the background workers (workers.go): on every node, or
	// under a lease on one node at a time.
	Work *work.Kernel
	// LLM is the workspace's language model, when an admin configured
	// one (Settings → AI model); the assistant falls back to its offline
	// engine without it.
	LLM *llm.Provider

	listener net.Listener
	server   *http.Server
	changes  *live.ChangeWatcher
}

// New opens the database (applying migrations) and wires everything, but
// starts nothing: call Listen and Run, then Close.
func New(ctx context.Context, cfg config.Config) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, cfg.DSN())
	if err != nil {
		return nil, err
	}
	blobs, err := openBlobs(cfg, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	box, err := openBox(ctx, cfg, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	proxies, err := clientip.Parse(cfg.TrustedProxies)
	if err != nil {
		db.Close()
		return nil, err
	}
	a := &App{Config: cfg, DB: db, Blobs: blobs, Jobs: jobs.New(db)}
	// Every outbound connection goes through one guard: the operator's
	// allow-list from the config, the admin's from the settings table.
	// The admin's list is dropped by a config.changed event from any
	// node (inbox.Service.Changed); the TTL is only a safety net.
	guard, err := outbound.New(outbound.Options{Allow: cfg.OutboundAllow, AdminTTL: time.Minute,
		Admin: func(ctx context.Context) (string, error) { return a.Inbox.OutboundAllow(ctx) }})
	if err != nil {
		db.Close()
		return nil, err
	}
	a.Inbox = &inbox.Service{DB: db, Blobs: blobs, WakeJobs: a.Jobs.Wake, HTTPClient: guard.HTTPClient(20 * time.Second), Outbound: guard,
		AwayAfter: time.Duration(cfg.AwayAfter) * time.Minute, BaseURL: a.BaseURL, Box: box}
	a.Gateway = &gateway.Gateway{DB: db, Inbox: a.Inbox, Blobs: blobs, Box: box, HTTP: guard.HTTPClient(30 * time.Second), Outbound: guard,
		BaseURL: a.BaseURL, MaxMediaBytes: cfg.MaxUploadBytes}
	a.Inbox.Channels = a.Gateway
	// Send rates and the widget's limits hold across every node on
	// PostgreSQL (ratelimit.Shared); sign-in limits follow the database
	// inside web.
	limits := ratelimit.New(db)
	a.Gateway.Limits = limits
	a.Inbox.RegisterJobs(a.Jobs)
	a.Gateway.RegisterJobs(a.Jobs)
	a.Knowledge = &knowledge.Service{DB: db, BaseURL: a.BaseURL}
	a.Knowledge.Register(a.Jobs)
	a.Approvals = approval.New(db, a.Inbox)
	a.Flow = &flow.Engine{DB: db, Inbox: a.Inbox, HTTP: guard.HTTPClient(30 * time.Second), Wake: a.Jobs.Wake}
	a.Flow.RegisterJobs(a.Jobs)
	// Remote A2A agents: asked by workflows' agent steps and from a
	// conversation, through the outbound guard like every call out.
	remote := &agents.Service{DB: db, HTTP: guard.HTTPClient(60 * time.Second)}
	a.Flow.Agents = remote
	a.Flow.Tools = &mcptool.Caller{DB: db, HTTP: guard.HTTPClient(30 * time.Second), Version: version()}
	asking := &agents.Asking{Agents: remote, Inbox: a.Inbox, Wake: a.Jobs.Wake}
	asking.RegisterJobs(a.Jobs)
	a.Flow.RegisterApprovals(a.Approvals)
	a.Assist = &assist.Service{DB: db, Knowledge: a.Knowledge, Log: slog.Default()}
	a.API = &api.Server{DB: db, Inbox: a.Inbox, Assist: a.Assist, Approvals: a.Approvals, Knowledge: a.Knowledge, Flow: a.Flow, Blobs: blobs,
		MaxJSONBytes: cfg.MaxJSONBytes, MaxUploadBytes: cfg.MaxUploadBytes}
	a.Inbox.OnTokenRevoked = a.API.ForgetToken
	a.Hub = live.NewHub(db)
	a.Telemetry = telemetry.New(telemetry.Sources{JobCounts: db.JobCounts, LiveStreams: a.Hub.Streams, ReportLag: db.ReportLag})
	a.Inbox.OnReceived = a.Telemetry.MessageReceived
	a.Jobs.OnFinish = a.Telemetry.JobFinished
	a.Flow.Meter = a.Telemetry
	a.LLM = &llm.Provider{DB: db, Guard: guard, Meter: a.Telemetry}
	a.Flow.Model = func(ctx context.Context) (*llm.Client, bool, error) {
		c, s, err := a.LLM.Client(ctx)
		return c, s.MaskContacts, err
	}
	// Caches drop what changed on any node as the event log says so
	// (parley.EventConfigChanged), not when a TTL runs out.
	a.changes = a.Hub.WatchChanges(a.API.Changed, a.Inbox.Changed, a.Gateway.Changed, a.LLM.Changed)
	a.Web = &web.Server{DB: db, Inbox: a.Inbox, Assist: a.Assist, Approvals: a.Approvals, Knowledge: a.Knowledge, Gateway: a.Gateway, Hub: a.Hub, Blobs: blobs, BaseURL: a.BaseURL, Dev: cfg.Dev, MaxUploadBytes: cfg.MaxUploadBytes}
	a.Widget = &widget.Server{DB: db, Inbox: a.Inbox, Hub: a.Hub, Blobs: blobs, BaseURL: a.BaseURL, MaxUploadBytes: cfg.MaxUploadBytes, Limits: limits}
	a.API.Agents, a.API.Asking = remote, asking
	a.Web.Agents, a.Web.Asking = remote, asking
	a.A2A = &a2a.Server{DB: db, Inbox: a.Inbox, Callers: a.API, Hub: a.Hub, BaseURL: a.BaseURL, MaxBody: cfg.MaxJSONBytes}
	a.MCP = &mcp.Server{DB: db, Inbox: a.Inbox, Assist: a.Assist, Knowledge: a.Knowledge, Approvals: a.Approvals, Callers: a.API,
		BaseURL: a.BaseURL, MaxBody: cfg.MaxJSONBytes, Version: version(), Log: slog.Default(),
		MaskContacts: func(ctx context.Context) (bool, error) { s, err := a.LLM.Settings(ctx); return s.MaskContacts, err }}
	a.MCP.RegisterApprovals(a.Approvals)
	a.Web.Proxies, a.Widget.Proxies, a.Widget.Box = proxies, proxies, box
	a.API.LLM, a.Web.LLM = a.LLM, a.LLM
	a.Web.Flow = a.Flow
	a.Assist.Model = assist.ModelFrom(a.LLM)
	sender := &compose.Sender{Inbox: a.Inbox, Assist: a.Assist, Approvals: a.Approvals, Log: slog.Default()}
	a.API.Compose, a.Web.Compose = sender, sender
	// One resumable upload server for the widget, the API and the
	// composer: the same pieces table, each caller owning its own.
	pieces := &resumable.Server{DB: db, Upload: a.Inbox.Upload}
	a.API.Resumable, a.Web.Resumable, a.Widget.Resumable = pieces, pieces, pieces
	a.Widget.Quota = widget.UploadQuota{PerVisitor: cfg.WidgetUploadQuota, PerAddress: 5 * cfg.WidgetUploadQuota}
	a.Widget.NoticeReplyAddress = a.Gateway.NoticeReplyAddress
	a.Widget.RegisterJobs(a.Jobs)
	cleaner := &uploads.Cleaner{DB: db, Blobs: blobs}
	if err := cleaner.Register(ctx, a.Jobs); err != nil {
		db.Close()
		return nil, err
	}
	a.Work = work.New(db, time.Duration(cfg.LeaseTTL)*time.Second)
	// A job's claim lasts as long as a lease, renewed while it runs: a
	// step or a send whose node died moves to another within the TTL.
	a.Jobs.Lease = time.Duration(cfg.LeaseTTL) * time.Second
	a.Gateway.Hold = a.Work.Hold
	a.Work.Add(a.workers()...)
	return a, nil
}

// Handler returns the HTTP handler for everything Parley serves.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	a.API.Register(mux)
	a.Web.Register(mux)
	a.Widget.Register(mux)
	a.Gateway.Register(mux)
	a.A2A.Register(mux)
	a.MCP.Register(mux)
	// Without a token, only clients on this host may scrape (see
	// telemetry.Registry.Handler for why).
	mux.Handle("GET /metrics", a.Telemetry.Handler(a.Config.MetricsToken, a.Web.Proxies))
	// The middleware wraps the mux itself: it reads the pattern the mux
	// matched from the request, for the route label.
	return a.Telemetry.Middleware(mux)
}

// Listen binds the configured address (":0" picks a free port; see URL).
func (a *App) Listen() error {
	l, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return fmt.Errorf("app: listen on %s: %w", a.Config.Addr, err)
	}
	a.listener = l
	return nil
}

// URL is the base URL Parley answers on, once listening.
func (a *App) URL() string {
	addr := a.listener.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, fmt.Sprint(addr.Port))
}

// BaseURL is the public URL of this Parley: the configured one, or the
// address it listens on.
func (a *App) BaseURL() string {
	if a.Config.BaseURL != "" {
		return a.Config.BaseURL
	}
	if a.listener == nil {
		// Not listening (a command beside the server): the address the
		// server's URL would have.
		host, port, err := net.SplitHostPort(a.Config.Addr)
		if ip := net.ParseIP(host); err == nil && (host == "" || (ip != nil && ip.IsUnspecified())) {
			host = "localhost"
		}
		return "http://" + net.JoinHostPort(host, port)
	}
	return a.URL()
}

// Run serves HTTP and runs jobs until ctx ends, then shuts down gracefully:
// in-flight requests finish and queued writes commit.
func (a *App) Run(ctx context.Context) error {
	if a.listener == nil {
		if err := a.Listen(); err != nil {
			return err
		}
	}
	a.server = &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	var wg sync.WaitGroup
	jobsCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := a.Work.Run(jobsCtx); err != nil {
			slog.Error("app: background work", "err", err)
		}
	}()
	errc := make(chan error, 1)
	go func() { errc <- a.server.Serve(a.listener) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if serr := a.server.Shutdown(shutdownCtx); serr != nil {
		slog.Warn("app: shutdown", "err", serr)
	}
	stopJobs()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Close releases the database.
func (a *App) Close() error { return a.DB.Close() }
