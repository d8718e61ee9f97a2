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

	"github.com/parleyhq/parley/internal/approval"
	"github.com/parleyhq/parley/internal/assist"
	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/blob"
	"github.com/parleyhq/parley/internal/cache"
	"github.com/parleyhq/parley/internal/compose"
	"github.com/parleyhq/parley/internal/connect/agents"
	"github.com/parleyhq/parley/internal/flow"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/jsonhttp"
	"github.com/parleyhq/parley/internal/knowledge"
	"github.com/parleyhq/parley/internal/llm"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/resumable"
	"github.com/parleyhq/parley/internal/store"
)

// Server holds what the handlers need.
type Server struct {
	DB    *store.DB
	Inbox *inbox.Service
	// Assist is the assistant: summaries, drafts, coaching, rewrites.
	Assist *assist.Service
	Blobs  blob.Store
	// Resumable takes files in pieces (resumable.go); nil: one over DB.
	Resumable *resumable.Server
	// LLM is the workspace's language model settings and client.
	LLM *llm.Provider
	// Approvals serves the approval queue.
	Approvals *approval.Service
	// Compose is the one path a reply takes out (checks, approvals).
	Compose *compose.Sender
	// Knowledge is the knowledge base (articles, learned answers, search).
	Knowledge *knowledge.Service
	Flow      *flow.Engine
	// Agents are the remote A2A agents; Asking asks one from a conversation.
	Agents *agents.Service
	Asking *agents.Asking
	// MaxJSONBytes bounds JSON request bodies; MaxUploadBytes bounds uploads.
	MaxJSONBytes   int64
	MaxUploadBytes int64
	// MinFreeBytes is the free space on the data dir's disk below which
	// /healthz reports storage_full (DefaultMinFreeBytes when zero).
	MinFreeBytes uint64

	touched sync.Map                      // token id → time.Time of the last recorded use
	tokens  cache.Map[string, tokenActor] // token hash → who it acts as (tokenTTL)
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
	if s.Resumable == nil {
		s.Resumable = &resumable.Server{DB: s.DB, Upload: s.Inbox.Upload}
	}
	for _, rt := range s.routes() {
		pattern := rt.method + " " + rt.path
		h := rt.h
		if !rt.public {
			h = s.authenticate(pattern, h)
		}
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, h) })
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

// authenticate checks the bearer token, then its scope against route
// ("METHOD pattern"). Tokens are looked up by SHA-256, so a check costs
// one indexed read, never a password hash. Unknown, revoked and expired
// tokens get the same 401, so an answer tells nothing about a token.
func (s *Server) authenticate(route string, next handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.Caller(w, r)
		if err != nil {
			return err
		}
		if !scopeAllows(c.Scope, route) {
			return scopeRefusal(c.Scope)
		}
		ctx := context.WithValue(r.Context(), actorKey{}, c.Actor)
		return next(w, r.WithContext(context.WithValue(ctx, scopeKey{}, c.Scope)))
	}
}

// Caller is who a request's API token acts as, and how far.
type Caller struct {
	inbox.Actor
	Scope parley.TokenScope
}

// Caller checks the request's bearer token and returns who it acts as:
// the one check for the API and the faces beside it (A2A, MCP), which
// share its tokens. A missing or bad token is EUNAUTHORIZED, with the
// WWW-Authenticate header set on w.
func (s *Server) Caller(w http.ResponseWriter, r *http.Request) (Caller, error) {
	h := r.Header.Get("Authorization")
	scheme, secret, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") || !auth.LooksLikeToken(strings.TrimSpace(secret)) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="parley"`)
		return Caller{}, parley.Errorf(parley.EUNAUTHORIZED, "send an API token as Authorization: Bearer <token>")
	}
	actor, err := s.actorForToken(r.Context(), auth.HashToken(strings.TrimSpace(secret)))
	if parley.ErrorCode(err) == parley.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="parley", error="invalid_token"`)
	}
	if err != nil {
		return Caller{}, err
	}
	s.touch(actor.TokenID)
	return Caller{Actor: actor.Actor, Scope: actor.scope}, nil
}

// tokenTTL bounds how long a checked token is trusted without a fresh
// look: API clients send many requests a second, and the lookups (token,
// then its agent) were a tenth of ingest's CPU. A revocation, or a change
// to the token's agent, drops it at once in every process: the store
// appends a config.changed event and Changed forgets (the one that made
// it also calls ForgetToken straight away). The TTL is only a safety net
// should an event be missed; expiry is checked on every request.
const tokenTTL = time.Minute

// tokenActor is who a token acts as, and how far.
type tokenActor struct {
	inbox.Actor
	scope   parley.TokenScope
	expires *time.Time
}

// errBadToken is the one answer for a token that does not work, whether
// unknown, revoked or expired.
func errBadToken() error { return parley.Errorf(parley.EUNAUTHORIZED, "the API token is not valid") }

// actorForToken returns who a token hash acts as. Returns EUNAUTHORIZED for
// an unknown, revoked or expired token, or a deactivated agent's.
func (s *Server) actorForToken(ctx context.Context, hash string) (tokenActor, error) {
	now := s.DB.Now()
	a, err := s.tokens.Get(hash, tokenTTL, func() (tokenActor, error) { return s.loadToken(ctx, hash, now) })
	if err != nil {
		return tokenActor{}, err
	}
	if a.expires != nil && !now.Before(*a.expires) {
		return tokenActor{}, errBadToken()
	}
	return a, nil
}

func (s *Server) loadToken(ctx context.Context, hash string, now time.Time) (tokenActor, error) {
	tok, err := s.DB.APITokenByHash(ctx, hash)
	if parley.ErrorCode(err) == parley.ENOTFOUND || (err == nil && !tok.Usable(now)) {
		return tokenActor{}, errBadToken()
	}
	if err != nil {
		return tokenActor{}, err
	}
	actor := tokenActor{Actor: inbox.Actor{TokenID: tok.ID, AgentID: tok.AgentID, Role: parley.RoleAdmin}, scope: tok.Scope, expires: tok.ExpiresAt}
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
	return actor, nil
}

// ForgetToken drops a token from the cache of checked tokens, so that its
// revocation holds from the next request on.
func (s *Server) ForgetToken(id int64) {
	s.tokens.ForgetIf(func(_ string, a tokenActor) bool { return a.TokenID == id })
	s.touched.Delete(id)
}

// Changed drops what a change (from any process, read from the event
// log) makes stale: a token, or every token acting for an agent whose
// role or status changed.
func (s *Server) Changed(c parley.Change) {
	switch c.What {
	case parley.ChangeAPIToken:
		s.ForgetToken(c.ID)
	case parley.ChangeAgent:
		s.tokens.ForgetIf(func(_ string, a tokenActor) bool { return a.AgentID != nil && *a.AgentID == c.ID })
	case parley.ChangeEverything:
		s.tokens.Clear()
	}
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
