package widget

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/parleyhq/parley/internal/parley"
)

// frameAncestors is the chat page's CSP frame-ancestors source list: the
// inbox's allowed origins, * when the admin chose any site, and 'none'
// when no site may embed it (the chat then opens only on its own).
func frameAncestors(allowed []string) string {
	switch {
	case parley.AnyOriginAllowed(allowed):
		return "*"
	case len(allowed) == 0:
		return "'none'"
	}
	return strings.Join(allowed, " ") // normalised on save: no spaces, quotes or ';'
}

// parentOrigin is the only origin the chat page will post to and accept
// messages from. The loader names its page's origin in ?origin=; it is
// believed only when the inbox allows it, and then the browser holds the
// page to it too, since frame-ancestors refuses every other embedder. An
// older loader names none: with a single exact origin allowed the parent
// can only be that one. With any site allowed, the named origin is used
// if it is one, and "*" otherwise (the admin's explicit choice). ""
// means the page talks to no parent at all.
func parentOrigin(allowed []string, named string) string {
	o, err := parley.NormalizeOrigin(named)
	if err != nil || strings.Contains(o, "*") {
		o = ""
	}
	switch {
	case parley.AnyOriginAllowed(allowed):
		if o == "" {
			return parley.AnyOrigin
		}
		return o
	case o != "" && parley.OriginAllowed(allowed, o):
		return o
	case len(allowed) == 1 && !strings.Contains(allowed[0], "*"):
		return allowed[0]
	}
	return ""
}

// sameOrigin refuses a visitor write that a browser says comes from
// another site. The iframe calls Parley on its own origin, so its writes
// are same-origin, while a page on another site can still make its
// visitors' browsers send "simple" POSTs (forms, beacons) here, spending
// their address's write limit or starting sessions, and has no business
// doing so. Browsers that send Sec-Fetch-Site are judged by it;
// older ones by Origin against this request's host or the base URL's.
// Clients that send neither (servers, scripts) are not browsers acting
// for someone else, and pass.
func (s *Server) sameOrigin(r *http.Request) error {
	refuse := parley.Errorf(parley.EFORBIDDEN, "This request must come from the chat widget.")
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return nil
	case "same-site", "cross-site":
		return refuse
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil {
		return refuse
	}
	if strings.EqualFold(u.Host, r.Host) {
		return nil
	}
	if s.BaseURL != nil {
		if b, err := url.Parse(s.BaseURL()); err == nil && strings.EqualFold(u.Host, b.Host) {
			return nil
		}
	}
	return refuse
}
