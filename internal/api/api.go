// Package api serves Parley's REST API under /api/v1: JSON in and out,
// bearer-token auth, one error shape, and an OpenAPI 3.1 document that a
// test keeps in step with the routes.
package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/blob"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/jsonhttp"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Server holds what the handlers need.
type Server struct {
	DB    *store.DB
	Inbox *inbox.Service
	Blobs blob.Store
	// MaxJSONBytes bounds JSON request bodies; MaxUploadBytes bounds uploads.
	MaxJSONBytes   int64
	MaxUploadBytes int64

	touched sync.Map // token id → time.Time of the last recorded use
	tokens  sync.Map // token hash → cachedActor
}

// handler is an API handler: it writes a response, or returns an error
// that writeError turns into the one error shape.
type handler func(w http.ResponseWriter, r *http.Request) error

type actorKey struct{}

func actorFrom(r *http.Request) inbox.Actor {
	a, _ := r.Context().Value(actorKey{}).(inbox.Actor)
	return a
}

// Register adds every API route to mux.
func (s *Server) Register(mux *http.ServeMux) {
	for _, rt := range s.routes() {
		h := rt.h
		var hf http.HandlerFunc
		if rt.public {
			hf = func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, h) }
		} else {
			hf = func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, s.authenticate(h)) }
		}
		mux.HandleFunc(rt.method+" "+rt.path, hf)
	}
	// Anything else under /api/ gets the JSON error shape, not the mux's text.
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, parley.Errorf(parley.ENOTFOUND, "no API route %s %s", r.Method, r.URL.Path))
	})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, h handler) {
	if err := h(w, r); err != nil {
		writeError(w, r, err)
	}
}

// authenticate checks the bearer token. Tokens are looked up by SHA-256,
// so a check costs one indexed read, never a password hash.
func (s *Server) authenticate(next handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		h := r.Header.Get("Authorization")
		scheme, secret, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || !auth.LooksLikeToken(strings.TrimSpace(secret)) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="parley"`)
			return parley.Errorf(parley.EUNAUTHORIZED, "send an API token as Authorization: Bearer <token>")
		}
		actor, err := s.actorForToken(r.Context(), auth.HashToken(strings.TrimSpace(secret)))
		if parley.ErrorCode(err) == parley.EUNAUTHORIZED {
			w.Header().Set("WWW-Authenticate", `Bearer realm="parley", error="invalid_token"`)
		}
		if err != nil {
			return err
		}
		s.touch(actor.TokenID)
		return next(w, r.WithContext(context.WithValue(r.Context(), actorKey{}, actor)))
	}
}

// tokenTTL bounds how long a checked token is trusted without a fresh
// look: API clients send many requests a second, and the lookups (token,
// then its agent) were a tenth of ingest's CPU. A deactivated agent's
// token stops working within this time.
const tokenTTL = 10 * time.Second

type cachedActor struct {
	actor inbox.Actor
	at    time.Time
}

// actorForToken returns who a token hash acts as. Returns EUNAUTHORIZED for
// an unknown token or a deactivated agent's.
func (s *Server) actorForToken(ctx context.Context, hash string) (inbox.Actor, error) {
	if c, ok := s.tokens.Load(hash); ok && time.Since(c.(cachedActor).at) < tokenTTL {
		return c.(cachedActor).actor, nil
	}
	tok, err := s.DB.APITokenByHash(ctx, hash)
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		return inbox.Actor{}, parley.Errorf(parley.EUNAUTHORIZED, "the API token is not valid")
	}
	if err != nil {
		return inbox.Actor{}, err
	}
	actor := inbox.Actor{TokenID: tok.ID, AgentID: tok.AgentID, Role: parley.RoleAdmin}
	if tok.AgentID != nil {
		a, err := s.DB.Agent(ctx, *tok.AgentID)
		if err != nil {
			return actor, err
		}
		if !a.Active {
			return actor, parley.Errorf(parley.EUNAUTHORIZED, "the token's agent is deactivated")
		}
		actor.Role = a.Role
	}
	s.tokens.Store(hash, cachedActor{actor: actor, at: time.Now()})
	return actor, nil
}

// touch records a token's use at most once a minute, off the request path.
func (s *Server) touch(id int64) {
	now := time.Now()
	if last, ok := s.touched.Load(id); ok && now.Sub(last.(time.Time)) < time.Minute {
		return
	}
	s.touched.Store(id, now)
	go s.DB.Write(context.Background(), func(tx *store.Tx) error { return tx.TouchAPIToken(id) })
}

func writeError(w http.ResponseWriter, r *http.Request, err error) { jsonhttp.Error(w, r, err) }

func writeJSON(w http.ResponseWriter, status int, v any) error { return jsonhttp.Write(w, status, v) }

func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) error {
	return jsonhttp.Decode(w, r, v, s.MaxJSONBytes)
}

// pathID reads a numeric path value.
func pathID(r *http.Request, name string) (int64, error) {
	v := r.PathValue(name)
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, parley.Errorf(parley.EINVALID, "%s %q is not a positive integer id", name, v)
	}
	return id, nil
}

// queryInt reads an optional numeric query parameter.
func queryInt(r *http.Request, name string, def, lo, hi int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, parley.Errorf(parley.EINVALID, "query parameter %s=%q must be an integer from %d to %d", name, v, lo, hi)
	}
	return n, nil
}

// queryTime reads an optional RFC 3339 time query parameter.
func queryTime(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, parley.Errorf(parley.EINVALID, "query parameter %s=%q must be an RFC 3339 time", name, v)
	}
	return t, nil
}

func requireAdmin(r *http.Request) error {
	if !actorFrom(r).Role.IsAdmin() {
		return parley.Errorf(parley.EFORBIDDEN, "only owners and admins may do this")
	}
	return nil
}
