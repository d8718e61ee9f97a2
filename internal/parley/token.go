package parley

import (
	"strings"
	"time"
	"unicode"
)

// TokenScope limits what an API token may call, on top of the role of the
// agent it acts for. The routes each scope reaches are decided in one
// place, the API's authentication (internal/api/scopes.go).
type TokenScope string

const (
	// ScopeFull acts as the token's agent, or as an admin when the token
	// has no agent: every route that role may call.
	ScopeFull TokenScope = "full"
	// ScopeRead may only read (GET routes), e.g. for a dashboard.
	ScopeRead TokenScope = "read"
	// ScopeIngest may only deliver customer messages and their files, e.g.
	// for a contact form or a bridge from another system.
	ScopeIngest TokenScope = "ingest"
	// ScopeAgent may only talk to Parley over A2A (/a2a), for an outside
	// agent: open support conversations and read the tasks it opened,
	// nothing else.
	ScopeAgent TokenScope = "agent"
)

// TokenScopes lists every scope, for forms and help text.
var TokenScopes = []TokenScope{ScopeFull, ScopeRead, ScopeIngest, ScopeAgent}

// Valid reports whether s is a known scope.
func (s TokenScope) Valid() bool {
	return s == ScopeFull || s == ScopeRead || s == ScopeIngest || s == ScopeAgent
}

// APIToken is a credential for the REST API. Only the SHA-256 of the secret
// is stored; the secret itself is shown once, when the token is created.
type APIToken struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	AgentID    *int64     `json:"agent_id,omitempty"` // replies sent with this token are authored by this agent
	Scope      TokenScope `json:"scope"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"` // nil: never expires
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"` // recorded at most once a minute
}

// MaxTokenName bounds a token's name.
const MaxTokenName = 100

// Validate normalises and checks a token about to be created at now: a
// name, a known scope ("" means full) and, if set, an expiry in the future.
func (t *APIToken) Validate(now time.Time) error {
	t.Name = strings.TrimSpace(t.Name)
	if t.Name == "" || len(t.Name) > MaxTokenName {
		return Errorf(EINVALID, "token name is required (at most %d characters)", MaxTokenName)
	}
	if strings.IndexFunc(t.Name, unicode.IsControl) >= 0 {
		return Errorf(EINVALID, "token name must not contain control characters")
	}
	if t.Scope == "" {
		t.Scope = ScopeFull
	}
	if !t.Scope.Valid() {
		return Errorf(EINVALID, "token scope %q is not one of full, read, ingest", t.Scope)
	}
	if t.ExpiresAt != nil && !t.ExpiresAt.After(now) {
		return Errorf(EINVALID, "token expiry must be in the future")
	}
	return nil
}

// Usable reports whether the token may still be used at now: not revoked
// and not expired.
func (t APIToken) Usable(now time.Time) bool {
	return t.RevokedAt == nil && (t.ExpiresAt == nil || now.Before(*t.ExpiresAt))
}

// Status is how the token stands at now: "active", "expired" or "revoked".
func (t APIToken) Status(now time.Time) string {
	switch {
	case t.RevokedAt != nil:
		return "revoked"
	case !t.Usable(now):
		return "expired"
	}
	return "active"
}

// ParseTokenLifetime reads a lifetime such as "30d", "12h" or "90m" (days
// are not a Go duration unit, and they are what people choose expiries
// in). "" or "never" mean no expiry (0).
func ParseTokenLifetime(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "never" {
		return 0, nil
	}
	const most = 10 * 366 * 24 * time.Hour
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(s, "d"); ok {
		// Compare before multiplying, so a huge count cannot wrap around.
		if d, err = time.ParseDuration(days + "h"); err == nil && d <= most/24 {
			d *= 24
		} else {
			d = most + 1
		}
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d <= 0 || d > most {
		return 0, Errorf(EINVALID, "expiry %q must be a positive lifetime such as 30d, 12h or 90m (at most 10 years)", s)
	}
	return d, nil
}
