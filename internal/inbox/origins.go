package inbox

import (
	"net/url"

	"github.com/parleyhq/parley/internal/parley"
)

// defaultOrigins gives a new widget inbox that names no site Parley's own
// origin, so that it starts closed to every other site rather than open to
// all: the admin adds their site (on creation or later), or chooses any
// site explicitly. Without a base URL it stays empty (no site).
func (s *Service) defaultOrigins(in *parley.Inbox) {
	if in.ChannelType != parley.ChannelWidget || len(in.AllowedOrigins) > 0 || s.BaseURL == nil {
		return
	}
	u, err := url.Parse(s.BaseURL()) // a base URL may have a path; its origin has none
	if err != nil {
		return
	}
	if o, err := parley.NormalizeOrigin(u.Scheme + "://" + u.Host); err == nil {
		in.AllowedOrigins = []string{o}
	}
}
