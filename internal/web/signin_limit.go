package web

import (
	"sync"
	"time"
)

// Sign-in failures slow down the key they are charged to; they never lock
// an account. Two keys are checked before a password is: the client's
// address and the pair (email, address). A guesser therefore waits longer
// and longer, while the account's owner, signing in from anywhere else,
// is not held back by someone else's failures. Behind a reverse proxy the
// address is the real client's (see clientip and --trusted-proxies), so
// one client cannot slow down everybody behind the same proxy.
//
// A guesser spread over many addresses stays under both budgets, so the
// email itself has a third, softer guard: once it has many recent
// failures, every attempt on it waits a little (signInTarpit) before the
// password is checked. It slows such a guesser without ever refusing, so
// it cannot keep the owner out; what stops a distributed guesser is the
// password (bcrypt, at least 10 characters). That is the trade-off: a
// per-email lock would stop it faster, and would also be a button anyone
// could press to lock out the owner.
var (
	// Each (email, address) pair gets 5 failures back to back, then waits
	// of 1 s, 2 s, 4 s… up to 15 minutes.
	pairBudget = throttleRule{free: 5, first: time.Second, longest: 15 * time.Minute, forget: time.Hour}
	// An address gets 20 failures across all emails, then the same waits:
	// a shared office mistyping passwords is slowed, not shut out.
	addressBudget = throttleRule{free: 20, first: time.Second, longest: 15 * time.Minute, forget: time.Hour}
	// An email under attack from everywhere: after 20 failures, each
	// attempt waits 100 ms more, up to 3 s, then is answered as usual.
	emailTarpit = throttleRule{free: 20, first: 100 * time.Millisecond, longest: 3 * time.Second, forget: time.Hour, linear: true}
)

// maxThrottleKeys bounds the memory a spray of addresses or emails can
// take (about 100 bytes a key).
const maxThrottleKeys = 100_000

// throttleRule is how failures turn into waits.
type throttleRule struct {
	free    int           // failures allowed before any wait
	first   time.Duration // the wait after the first failure beyond free
	longest time.Duration // waits never grow past this
	forget  time.Duration // a key with no failure for this long starts over
	linear  bool          // waits grow by first per failure rather than doubling
}

// delay is the wait after n failures.
func (r throttleRule) delay(n int) time.Duration {
	over := n - r.free // 0 after the last free failure
	if over < 0 {
		return 0
	}
	if r.linear {
		return min(r.first*time.Duration(over+1), r.longest)
	}
	if over > 30 {
		return r.longest
	}
	return min(r.first<<over, r.longest)
}

// throttle holds failures per key, in memory, per process: several
// processes each allow the full budget.
type throttle struct {
	rule throttleRule
	mu   sync.Mutex
	keys map[string]*strikes
}

type strikes struct {
	n     int       // failures since the key last started over
	last  time.Time // the latest failure
	until time.Time // no attempt before this
}

func newThrottle(r throttleRule) *throttle {
	return &throttle{rule: r, keys: map[string]*strikes{}}
}

// wait is how long key must still wait at now; 0 means it may try.
func (t *throttle) wait(key string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.get(key, now)
	if s == nil || !now.Before(s.until) {
		return 0
	}
	return s.until.Sub(now)
}

// pending is the wait that key's failures call for, counted from now
// whatever has passed since (the tarpit's delay).
func (t *throttle) pending(key string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := t.get(key, now); s != nil {
		return t.rule.delay(s.n)
	}
	return 0
}

// fail charges a failure to key and returns the wait it now has.
func (t *throttle) fail(key string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.get(key, now)
	if s == nil {
		if len(t.keys) >= maxThrottleKeys {
			t.sweep(now)
		}
		s = &strikes{}
		t.keys[key] = s
	}
	s.n++
	s.last = now
	d := t.rule.delay(s.n)
	s.until = now.Add(d)
	return d
}

// reset forgets key (after a success).
func (t *throttle) reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.keys, key)
}

// get returns key's strikes, dropping them if forgotten.
func (t *throttle) get(key string, now time.Time) *strikes {
	s := t.keys[key]
	if s != nil && now.Sub(s.last) > t.rule.forget && !now.Before(s.until) {
		delete(t.keys, key)
		return nil
	}
	return s
}

// sweep drops forgotten keys; if a spray of live keys still fills the
// map, it drops keys that are not waiting now, then any, until a tenth
// is free. Dropping a key only forgives its failures.
func (t *throttle) sweep(now time.Time) {
	for k := range t.keys {
		t.get(k, now)
	}
	for pass := 0; pass < 2 && len(t.keys) >= maxThrottleKeys*9/10; pass++ {
		for k, s := range t.keys {
			if len(t.keys) < maxThrottleKeys*9/10 {
				break
			}
			if pass == 1 || !now.Before(s.until) {
				delete(t.keys, k)
			}
		}
	}
}
