package auth

import (
	"crypto/subtle"
	"time"
)

// Session lifetimes: a session lasts SessionTTL from its last use, renewed
// at most once per SessionRenewEvery so that reads do not turn into writes.
const (
	SessionTTL        = 14 * 24 * time.Hour
	SessionRenewEvery = 10 * time.Minute
	SessionCookie     = "parley_session"
)

// NewSession returns a new session secret (for the cookie), the hash to
// store for it, and a CSRF token for the session.
func NewSession() (secret, hash, csrf string) {
	secret = RandomString(32)
	return secret, HashToken(secret), RandomString(32)
}

// SameToken compares two tokens in constant time.
func SameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
