package api

import (
	"net/http"

	"github.com/parleyhq/parley/internal/parley"
)

// A token's scope is checked here and nowhere else, by route pattern,
// before the handler runs; the agent's role is checked after it, by the
// use case. A route a scope does not name is refused to it, so a route
// added later is open only to full tokens until someone decides
// otherwise.

// ingestRoutes are what a system that only delivers customers' messages
// needs: the message itself, the files it refers to, and the reply time
// the inbox promises (which a contact form shows its sender).
var ingestRoutes = map[string]bool{
	"POST /api/v1/inboxes/{inbox_id}/incoming":      true,
	"POST /api/v1/uploads":                          true,
	"POST /api/v1/uploads/resumable":                true,
	"HEAD /api/v1/uploads/resumable/{upload_id}":    true,
	"PATCH /api/v1/uploads/resumable/{upload_id}":   true,
	"DELETE /api/v1/uploads/resumable/{upload_id}":  true,
	"GET /api/v1/inboxes/{inbox_id}/expected-reply": true,
}

// fullOnlyReads are GET routes a read token may not call: reading tokens
// belongs with managing them.
var fullOnlyReads = map[string]bool{
	"GET /api/v1/tokens": true,
}

// scopeAllows reports whether a token of scope may call the route
// "METHOD pattern". read: every GET route but fullOnlyReads (a read
// token then sees what its role sees, except secrets: see showsSecrets).
// ingest: ingestRoutes. full: everything its role may do. Unknown scopes
// may call nothing.
func scopeAllows(scope parley.TokenScope, route string) bool {
	switch scope {
	case parley.ScopeFull:
		return true
	case parley.ScopeRead:
		return len(route) > 4 && route[:4] == "GET " && !fullOnlyReads[route]
	case parley.ScopeIngest:
		return ingestRoutes[route]
	}
	return false
}

// scopeRefusal is the 403 a token gets for a route outside its scope.
func scopeRefusal(scope parley.TokenScope) error {
	switch scope {
	case parley.ScopeRead:
		return parley.Errorf(parley.EFORBIDDEN, "this API token is read-only: it may only call GET routes")
	case parley.ScopeIngest:
		return parley.Errorf(parley.EFORBIDDEN, "this API token is ingest-only: it may only post incoming messages and uploads")
	case parley.ScopeAgent:
		return parley.Errorf(parley.EFORBIDDEN, "this API token is for an outside agent: it may only talk to Parley over A2A at /a2a")
	}
	return parley.Errorf(parley.EFORBIDDEN, "this API token's scope does not allow this route")
}

type scopeKey struct{}

// showsSecrets reports whether the request may see stored secrets (an
// inbox's webhook signing secret): admins, with a full token only, so a
// dashboard's read token cannot be used to sign as Parley.
func showsSecrets(r *http.Request) bool {
	scope, _ := r.Context().Value(scopeKey{}).(parley.TokenScope)
	return actorFrom(r).Role.IsAdmin() && scope == parley.ScopeFull
}
