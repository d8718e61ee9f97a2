package web

import (
	"net/http"
	"strings"

	"github.com/parleyhq/parley/internal/parley"
)

// outboundView is the admin's outbound allow-list page.
type outboundView struct {
	Page
	Allow  string // one entry per line
	Static string // the operator's list, read only here
	Error  string
}

func (s *Server) outboundPage(w http.ResponseWriter, r *http.Request) error {
	v := outboundView{Page: s.page(r, "Outbound", "outbound"), Static: s.staticAllow()}
	list, err := s.Inbox.OutboundAllow(r.Context())
	if err != nil {
		return err
	}
	v.Allow = strings.ReplaceAll(list, ", ", "\n")
	return s.render(w, r, http.StatusOK, "admin_outbound", "", v)
}

func (s *Server) saveOutbound(w http.ResponseWriter, r *http.Request) error {
	list := r.PostFormValue("allow")
	err := s.Inbox.SetOutboundAllow(r.Context(), actorFrom(r), list)
	if parley.ErrorCode(err) == parley.EINVALID {
		v := outboundView{Page: s.page(r, "Outbound", "outbound"), Static: s.staticAllow(), Allow: list, Error: parley.ErrorMessage(err)}
		return s.render(w, r, http.StatusBadRequest, "admin_outbound", "", v)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/app/admin/outbound?flash=saved", http.StatusSeeOther)
	return nil
}

// staticAllow is the operator's allow-list, shown beside the admin's.
func (s *Server) staticAllow() string {
	if s.Inbox.Outbound == nil {
		return ""
	}
	return s.Inbox.Outbound.Static()
}
