package auth

import (
	"crypto/subtle"
	"sync"
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

// Limiter counts failures per key in a sliding window, in memory. The zero
// value is not usable: use NewLimiter.
type Limiter struct {
	max    int
	window time.Duration
	mu     sync.Mutex
	fails  map[string][]time.Time
}

// NewLimiter allows max failures per key within window.
func NewLimiter(max int, window time.Duration) *Limiter {
	return &Limiter{max: max, window: window, fails: map[string][]time.Time{}}
}

// Allowed reports whether key may try again at now.
func (l *Limiter) Allowed(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recent(key, now)) < l.max
}

// Fail records a failure for key.
func (l *Limiter) Fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fails[key] = append(l.recent(key, now), now)
	if len(l.fails) > 100000 { // bound memory under a spray of keys
		for k := range l.fails {
			if len(l.recent(k, now)) == 0 {
				delete(l.fails, k)
			}
		}
	}
}

// Reset forgets key's failures (after a success).
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}

func (l *Limiter) recent(key string, now time.Time) []time.Time {
	list := l.fails[key]
	i := 0
	for i < len(list) && now.Sub(list[i]) > l.window {
		i++
	}
	list = list[i:]
	if len(list) == 0 {
		delete(l.fails, key)
		return nil
	}
	l.fails[key] = list
	return list
}
