// Package web serves the agent inbox: server-rendered pages (html/template
// and a vendored htmx), sign-in sessions with CSRF protection, and the
// agents' live event stream.
package web

import (
	"net/http"

	"github.com/parleyhq/parley/internal/blob"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/live"
	"github.com/parleyhq/parley/internal/store"
)

// Server holds what the agent inbox needs.
type Server struct {
	DB    *store.DB
	Inbox *inbox.Service
	Hub   *live.Hub
	Blobs blob.Store
	// BaseURL is the public URL of this Parley (for the widget snippet).
	BaseURL func() string
	// Dev serves templates and static files from disk on each request.
	Dev bool
}

// Register adds the inbox's routes to mux.
func (s *Server) Register(mux *http.ServeMux) {}
