package web

import (
	"context"
	"net/http"
	"time"

	"github.com/parleyhq/parley/internal/live"
	"github.com/parleyhq/parley/internal/parley"
)

// events is the agents' live stream: every event, replayed from
// Last-Event-ID (or ?after=, the seq the page was rendered at), then live.
// Holding it counts as being present.
func (s *Server) events(w http.ResponseWriter, r *http.Request) error {
	u, _ := userFrom(r)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	s.streamsMu.Lock()
	s.streams[&cancel] = struct{}{}
	s.streamsMu.Unlock()
	defer func() {
		s.streamsMu.Lock()
		delete(s.streams, &cancel)
		s.streamsMu.Unlock()
	}()
	go func() {
		t := time.NewTicker(30 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.touchPresence(u.Agent.ID)
			}
		}
	}()
	// Every event but config.changed, which only Parley's caches need.
	notConfig := func(e *parley.Event) bool { return e.Type != parley.EventConfigChanged }
	return s.Hub.Stream(w, r.WithContext(ctx), live.StreamOptions{Filter: notConfig, Heartbeat: 20 * time.Second})
}
