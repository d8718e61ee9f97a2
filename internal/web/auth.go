package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
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

// login checks the password and sets the session cookie. Failures slow
// down the client's address and the (email, address) pair, never the
// account as a whole (signin_limit.go): an attempt from a key that must
// still wait gets 429 with Retry-After, before the password is checked.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	if !sameOrigin(r) {
		return parley.Errorf(parley.EFORBIDDEN, "sign in from Parley's own page")
	}
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	v := loginView{Page: Page{Title: "Sign in"}, Email: email, Next: safeNext(r.PostFormValue("next"))}
	now := s.DB.Now()
	addr := s.Proxies.Key(r)
	pair := email + "\x00" + addr
	ctx := r.Context()
	addrWait, err := s.addrLimit.wait(ctx, addr, now)
	if err != nil {
		return err
	}
	pairWait, err := s.pairLimit.wait(ctx, pair, now)
	if err != nil {
		return err
	}
	if wait := max(addrWait, pairWait); wait > 0 {
		secs := int((wait + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		v.Error = fmt.Sprintf("Too many failed sign-in attempts from here. Try again in %s.", waitText(secs))
		return s.render(w, r, http.StatusTooManyRequests, "login", "", v)
	}
	d, err := s.mailTarpit.pending(ctx, email, now)
	if err != nil {
		return err
	}
	if d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	in, err := s.Inbox.SignIn(ctx, email, r.PostFormValue("password"), r.UserAgent())
	if parley.ErrorCode(err) == parley.EUNAUTHORIZED {
		// Charged even if the client has gone: a guesser must not save
		// its budget by hanging up.
		charge := context.WithoutCancel(ctx)
		for _, f := range []struct {
			s   failures
			key string
		}{{s.addrLimit, addr}, {s.pairLimit, pair}, {s.mailTarpit, email}} {
			if ferr := f.s.fail(charge, f.key, now); ferr != nil {
				slog.Error("web: sign-in failure not counted", "err", ferr)
			}
		}
		v.Error = parley.ErrorMessage(err)
		return s.render(w, r, http.StatusUnauthorized, "login", "", v)
	}
	if err != nil {
		return err
	}
	// The address keeps its failures: one good account must not reset a
	// guesser's budget for the others.
	if err := errors.Join(s.pairLimit.reset(ctx, pair), s.mailTarpit.reset(ctx, email)); err != nil {
		slog.Warn("web: sign-in strikes not cleared", "err", err)
	}
	setSessionCookie(w, r, in.Secret)
	dest := v.Next
	if in.Agent.MustChangePassword {
		dest = "/app/password"
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
	return nil
}

// waitText says secs in words: "5 seconds", "2 minutes".
func waitText(secs int) string {
	switch {
	case secs == 1:
		return "1 second"
	case secs < 90:
		return strconv.Itoa(secs) + " seconds"
	default:
		return strconv.Itoa((secs+59)/60) + " minutes"
	}
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
