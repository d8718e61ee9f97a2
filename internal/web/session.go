package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// user is the signed-in agent of a request.
type user struct {
	Session store.Session
	Agent   parley.Agent
	Secret  string
}

type userKey struct{}

func userFrom(r *http.Request) (user, bool) {
	u, ok := r.Context().Value(userKey{}).(user)
	return u, ok
}

func actorFrom(r *http.Request) inbox.Actor {
	u, _ := userFrom(r)
	id := u.Agent.ID
	return inbox.Actor{AgentID: &id, Role: u.Agent.Role}
}

// handler is a page or action: it writes a response or returns an error
// for fail to show.
type handler func(w http.ResponseWriter, r *http.Request) error

// access says who may call a route.
type access int

const (
	public access = iota // anyone (sign-in page, static files)
	agent                // any signed-in agent
	admin                // owners and admins
)

// wrap adds authentication, the forced password change, CSRF checks on
// state-changing requests and the admin check, then runs h.
func (s *Server) wrap(level access, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		if err := s.guard(level, h)(w, r); err != nil {
			s.fail(w, r, err)
		}
	}
}

func (s *Server) guard(level access, h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if level == public {
			return h(w, r)
		}
		secret := ""
		if c, err := r.Cookie(auth.SessionCookie); err == nil {
			secret = c.Value
		}
		sess, a, err := s.Inbox.Authenticate(r.Context(), secret)
		if parley.ErrorCode(err) == parley.EUNAUTHORIZED {
			if secret != "" {
				clearSessionCookie(w, r)
			}
			return s.signedOut(w, r)
		}
		if err != nil {
			return err
		}
		r = r.WithContext(context.WithValue(r.Context(), userKey{}, user{Session: sess, Agent: a, Secret: secret}))
		if unsafeMethod(r.Method) {
			limit := int64(1 << 20)
			if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
				limit += maxFiles * s.MaxUploadBytes
			} else if tusBody(r) {
				limit = s.MaxUploadBytes
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		if unsafeMethod(r.Method) && !validCSRF(r, sess.CSRFToken) {
			return parley.Errorf(parley.EFORBIDDEN, "the form expired or came from another site; reload the page and try again")
		}
		if a.MustChangePassword && r.URL.Path != "/app/password" && r.URL.Path != "/logout" {
			if isHX(r) {
				return parley.Errorf(parley.EFORBIDDEN, "change your password first")
			}
			http.Redirect(w, r, "/app/password", http.StatusSeeOther)
			return nil
		}
		if level == admin && !a.Role.IsAdmin() {
			return parley.Errorf(parley.EFORBIDDEN, "only owners and admins may open this page")
		}
		s.touchPresence(a.ID)
		return h(w, r)
	}
}

// signedOut sends pages to the sign-in form and answers 401 to htmx,
// scripts and event streams.
func (s *Server) signedOut(w http.ResponseWriter, r *http.Request) error {
	if isHX(r) || r.Header.Get("X-Requested-With") != "" || strings.Contains(r.Header.Get("Accept"), "text/event-stream") ||
		(r.Method != http.MethodGet && r.Method != http.MethodHead) {
		if isHX(r) {
			w.Header().Set("HX-Redirect", "/login")
		}
		return parley.Errorf(parley.EUNAUTHORIZED, "sign in first")
	}
	next := r.URL.RequestURI()
	http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
	return nil
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// validCSRF checks the session's token, sent as the X-CSRF-Token header
// (htmx) or the csrf_token form field (plain forms).
func validCSRF(r *http.Request, want string) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			r.ParseMultipartForm(1 << 20)
		}
		got = r.PostFormValue("csrf_token")
	}
	return auth.SameToken(got, want)
}

func isHTTPS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func setSessionCookie(w http.ResponseWriter, r *http.Request, secret string) {
	http.SetCookie(w, &http.Cookie{Name: auth.SessionCookie, Value: secret, Path: "/", HttpOnly: true,
		Secure: isHTTPS(r), SameSite: http.SameSiteLaxMode, MaxAge: int(auth.SessionTTL.Seconds())})
}

func clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: auth.SessionCookie, Value: "", Path: "/", HttpOnly: true,
		Secure: isHTTPS(r), SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// sameOrigin refuses cross-site form posts to the sign-in form, which has
// no session (and so no CSRF token) yet.
func sameOrigin(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

// page returns the layout fields for a signed-in request.
func (s *Server) page(r *http.Request, title, nav string) Page {
	u, _ := userFrom(r)
	p := Page{Title: title, Agent: u.Agent, CSRF: u.Session.CSRFToken, Nav: nav, LastSeq: s.Hub.LastSeq(), Flash: flashes[r.URL.Query().Get("flash")]}
	s.withAvailability(r, &p)
	s.withApprovals(r, &p)
	return p
}

// flashes are the notices a redirect may ask a page to show, by key, so
// that no text from a URL is ever shown.
var flashes = map[string]string{
	"password": "Your password was changed.",
	"saved":    "Saved.",
	"deleted":  "Deleted.",
	"revoked":  "Token revoked: it no longer works.",
	"defaults": "Parley's default rules are back in force.",
	"approved": "Approved: the reply was sent.",
	"rejected": "Rejected: the agent has the reply back with your note.",
}
