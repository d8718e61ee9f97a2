package gateway

import (
	"net/http"
	"time"

	"github.com/parleyhq/parley/internal/outbound"
)

// guardClients are the gateway's HTTP clients, made once from its guard.
type guardClients struct {
	api      *http.Client // provider APIs: no redirects
	download *http.Client // media: redirects followed, each hop guarded
}

func (g *Gateway) guard() *outbound.Guard {
	if g.Outbound != nil {
		return g.Outbound
	}
	return outbound.Strict()
}

func (g *Gateway) clients() *guardClients {
	g.guardedOnce.Do(func() {
		gd := g.guard()
		// Downloads are whole files (up to MaxMediaBytes): more time than
		// an API call.
		g.guarded = guardClients{api: gd.HTTPClient(30 * time.Second), download: gd.DownloadClient(2 * time.Minute)}
	})
	return &g.guarded
}
