// Package web serves the agent inbox: server-rendered pages (html/template
// and a vendored htmx), sign-in sessions with CSRF protection, and the
// agents' live event stream.
package web

import (
	"context"
	"embed"
	"github.com/parleyhq/parley/internal/flow"
	"net/http"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/approval"
	"github.com/parleyhq/parley/internal/assist"
	"github.com/parleyhq/parley/internal/blob"
	"github.com/parleyhq/parley/internal/clientip"
	"github.com/parleyhq/parley/internal/compose"
	"github.com/parleyhq/parley/internal/connect/agents"
	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/knowledge"
	"github.com/parleyhq/parley/internal/live"
	"github.com/parleyhq/parley/internal/llm"
	"github.com/parleyhq/parley/internal/resumable"
	"github.com/parleyhq/parley/internal/store"
)

//go:embed templates static
var embedded embed.FS

// Server holds what the agent inbox needs.
type Server struct {
	DB    *store.DB
	Inbox *inbox.Service
	// Assist is the assistant behind the composer's summary, drafts,
	// coaching and rewrites.
	Assist *assist.Service
	Hub    *live.Hub
	Blobs  blob.Store
	// Resumable takes the composer's files in pieces (uploads.go).
	Resumable *resumable.Server
	// Approvals serves the approval queue.
	Approvals *approval.Service
	// Flow runs workflows (Settings → Workflows).
	Flow *flow.Engine
	// Agents are the outside A2A agents; Asking asks one from a conversation.
	Agents *agents.Service
	Asking *agents.Asking
	// Compose is the one path a reply takes out (checks, approvals).
	Compose *compose.Sender
	// Knowledge is the knowledge base (Settings, the composer's article
	// picker, the public help pages).
	Knowledge *knowledge.Service
	// Gateway tells the composer what each channel allows; nil hides it.
	Gateway *gateway.Gateway
	// BaseURL is the public URL of this Parley (for the widget snippet).
	BaseURL func() string
	// Dev serves templates and static files from disk on each request.
	Dev bool
	// MaxUploadBytes bounds one attachment (25 MiB when zero).
	MaxUploadBytes int64
	// Proxies are the trusted reverse proxies whose X-Forwarded-For names
	// the client for sign-in limits; nil trusts none.
	Proxies *clientip.Resolver
	// LLM is the workspace's language model (Settings → AI model).
	LLM *llm.Provider

	once     sync.Once
	assets   *assets
	tmpl     *templates
	presence sync.Map // agent id → time.Time of the last recorded presence

	// Sign-in failures per address, per (email, address) and per email
	// (signin_limit.go).
	// In the database on PostgreSQL, so every node counts the same.
	addrLimit, pairLimit, mailTarpit failures

	streamsMu sync.Mutex
	streams   map[*context.CancelFunc]struct{}
}

func (s *Server) init() {
	s.once.Do(func() {
		s.assets = loadAssets(s.Dev)
		s.tmpl = loadTemplates(s.Dev, s.assets)
		s.addrLimit, s.pairLimit, s.mailTarpit = newStrikes(s.DB, "addr", addressBudget), newStrikes(s.DB, "pair", pairBudget), newStrikes(s.DB, "email", emailTarpit)
		s.streams = map[*context.CancelFunc]struct{}{}
		if s.MaxUploadBytes == 0 {
			s.MaxUploadBytes = 25 << 20
		}
		if s.Resumable == nil {
			s.Resumable = &resumable.Server{DB: s.DB, Upload: s.Inbox.Upload}
		}
	})
}

// DropStreams closes every open live stream, as a lost connection would;
// browsers reconnect with Last-Event-ID. Tests use it.
func (s *Server) DropStreams() {
	s.streamsMu.Lock()
	defer s.streamsMu.Unlock()
	for c := range s.streams {
		(*c)()
	}
}

// Register adds the inbox's routes to mux.
func (s *Server) Register(mux *http.ServeMux) {
	s.init()
	s.routes(mux)
}

// touchPresence records an agent's presence at most every 30 seconds.
func (s *Server) touchPresence(agentID int64) {
	now := time.Now()
	if last, ok := s.presence.Load(agentID); ok && now.Sub(last.(time.Time)) < 30*time.Second {
		return
	}
	s.presence.Store(agentID, now)
	go s.Inbox.TouchPresence(context.Background(), agentID)
}
