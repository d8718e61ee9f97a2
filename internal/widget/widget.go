// Package widget serves the website chat widget: the /widget.js loader
// that host pages include, the chat page it opens in an iframe, and the
// visitor endpoints behind it (messages, uploads, a live stream).
package widget

import (
	"net/http"

	"github.com/parleyhq/parley/internal/blob"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/live"
	"github.com/parleyhq/parley/internal/store"
)

// Server holds what the widget needs.
type Server struct {
	DB    *store.DB
	Inbox *inbox.Service
	Hub   *live.Hub
	Blobs blob.Store
	// BaseURL is the public URL of this Parley (links in notification emails).
	BaseURL func() string
	// MaxUploadBytes bounds a visitor's file.
	MaxUploadBytes int64
}

// Register adds the widget's routes to mux.
func (s *Server) Register(mux *http.ServeMux) {}
