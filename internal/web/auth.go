package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/parley"
)

type loginView struct {
	Page
	Email string
	Next  string
	Error string
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(auth.SessionCookie); err == nil {
		if _, _, err := s.Inbox.Authenticate(r.Context(), c.Value); err == nil {
			http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
			return nil
		}
	}
	return s.render(w, r, http.StatusOK, "login", "", loginView{Page: Page{Title: "Sign in"}, Next: safeNext(r.URL.Query().Get("next"))})
}

// login checks the password, with failures limited per IP address and per
// email, and sets the session cookie.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	if !sameOrigin(r) {
		return parley.Errorf(parley.EFORBIDDEN, "sign in from Parley's own page")
	}
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	v := loginView{Page: Page{Title: "Sign in"}, Email: email, Next: safeNext(r.PostFormValue("next"))}
	now := time.Now()
	ip := clientIP(r)
	if !s.ipLimit.Allowed(ip, now) || !s.mailLim.Allowed(email, now) {
		v.Error = "Too many failed sign-in attempts. Wait 15 minutes and try again."
		return s.render(w, r, http.StatusTooManyRequests, "login", "", v)
	}
	in, err := s.Inbox.SignIn(r.Context(), email, r.PostFormValue("password"), r.UserAgent())
	if parley.ErrorCode(err) == parley.EUNAUTHORIZED {
		s.ipLimit.Fail(ip, now)
		s.mailLim.Fail(email, now)
		v.Error = parley.ErrorMessage(err)
		return s.render(w, r, http.StatusUnauthorized, "login", "", v)
	}
	if err != nil {
		return err
	}
	s.mailLim.Reset(email)
	setSessionCookie(w, r, in.Secret)
	dest := v.Next
	if in.Agent.MustChangePassword {
		dest = "/app/password"
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
	return nil
}

// safeNext keeps redirects after sign-in on this site, inside the app.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/app/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/app/"
	}
	return next
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	u, _ := userFrom(r)
	if err := s.Inbox.SignOut(r.Context(), u.Secret); err != nil {
		return err
	}
	clearSessionCookie(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

type passwordView struct {
	Page
	Forced bool
	Error  string
}

func (s *Server) passwordPage(w http.ResponseWriter, r *http.Request) error {
	v := passwordView{Page: s.page(r, "Change password", "password")}
	v.Forced = v.Agent.MustChangePassword
	return s.render(w, r, http.StatusOK, "password", "", v)
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	u, _ := userFrom(r)
	v := passwordView{Page: s.page(r, "Change password", "password"), Forced: u.Agent.MustChangePassword}
	next := r.PostFormValue("new_password")
	if next != r.PostFormValue("confirm_password") {
		v.Error = "The new passwords do not match."
		return s.render(w, r, http.StatusBadRequest, "password", "", v)
	}
	err := s.Inbox.ChangePassword(r.Context(), actorFrom(r), u.Session.ID, r.PostFormValue("current_password"), next)
	if parley.ErrorCode(err) == parley.EINVALID {
		v.Error = parley.ErrorMessage(err)
		return s.render(w, r, http.StatusBadRequest, "password", "", v)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/app/?flash=password", http.StatusSeeOther)
	return nil
}
