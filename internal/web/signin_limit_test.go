package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/parley"
)

// startProxied is start with trusted proxies and a movable clock.
func startProxied(t *testing.T, proxies string, clk *clock) *env {
	t.Helper()
	e := &env{Env: apptest.StartWith(t, "sqlite", clk.Now, func(c *config.Config) { c.TrustedProxies = proxies }), t: t}
	e.ownerID = e.mustAgent("owner@example.com", "Olivia Owner", parley.RoleOwner)
	e.agentID = e.mustAgent("agent@example.com", "Andy Agent", parley.RoleAgent)
	return e
}

// signIn posts the sign-in form as a client at addr (sent as
// X-Forwarded-For) and returns the status, the Retry-After in seconds
// and the body.
func (e *env) signIn(addr, email, password string) (int, int, string) {
	e.t.Helper()
	form := url.Values{"email": {email}, "password": {password}}
	req, _ := http.NewRequest("POST", e.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if addr != "" {
		req.Header.Set("X-Forwarded-For", addr)
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	ra, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	return resp.StatusCode, ra, b.String()
}

// An attacker's failures slow down the attacker's own address and
// (email, address) pair with growing waits, and never keep the owner,
// signing in from elsewhere, out.
func TestSignInSlowsDownNotLocks(t *testing.T) {
	clk := &clock{}
	e := startProxied(t, "127.0.0.1", clk)
	const attacker, owner = "203.0.113.66", "198.51.100.7"
	for i := 0; i < 5; i++ {
		if status, _, _ := e.signIn(attacker, "owner@example.com", "wrong password"); status != http.StatusUnauthorized {
			t.Fatalf("failure %d = %d", i+1, status)
		}
	}
	// Now every further attempt from the attacker waits, longer each time.
	last := 0
	for i := 0; i < 4; i++ {
		status, wait, body := e.signIn(attacker, "owner@example.com", testPassword)
		if status != http.StatusTooManyRequests || wait <= last || !strings.Contains(body, "Too many failed sign-in attempts") {
			t.Fatalf("attempt while waiting = %d, Retry-After %d (previous %d) %.200s", status, wait, last, body)
		}
		last = wait
		clk.pin(clk.Now().Add(time.Duration(wait) * time.Second))
		if status, _, _ := e.signIn(attacker, "owner@example.com", "wrong password"); status != http.StatusUnauthorized {
			t.Fatalf("attempt after waiting = %d", status)
		}
	}
	// The owner, elsewhere, is not held back at all.
	if status, _, body := e.signIn(owner, "owner@example.com", testPassword); status != http.StatusSeeOther {
		t.Fatalf("owner from another address = %d %.300s", status, body)
	}
	// A guesser spread over many addresses (25 failures on the owner's
	// email) slows attempts on it a little, and still cannot keep the
	// owner out.
	for i := 0; i < 25; i++ {
		if status, _, _ := e.signIn("192.0.2."+strconv.Itoa(i/3), "owner@example.com", "wrong password"); status != http.StatusUnauthorized {
			t.Fatalf("distributed failure %d = %d", i, status)
		}
	}
	if status, _, body := e.signIn("198.51.100.9", "owner@example.com", testPassword); status != http.StatusSeeOther {
		t.Fatalf("owner after a distributed guesser = %d %.300s", status, body)
	}
	// Nor is another account signing in from a third address.
	if status, _, _ := e.signIn("198.51.100.8", "agent@example.com", testPassword); status != http.StatusSeeOther {
		t.Fatalf("agent = %d", status)
	}
	// The attacker's address is slowed for other emails too once it has
	// spent its budget across them (20 failures; two hours on, the old
	// ones are forgotten).
	clk.pin(clk.Now().Add(2 * time.Hour))
	for i := 0; i < 20; i++ {
		email := "nobody" + strconv.Itoa(i) + "@example.com"
		if status, _, _ := e.signIn(attacker, email, "wrong password"); status != http.StatusUnauthorized {
			t.Fatalf("spray %d = %d", i, status)
		}
	}
	if status, wait, _ := e.signIn(attacker, "agent@example.com", testPassword); status != http.StatusTooManyRequests || wait < 1 {
		t.Fatalf("address over its budget = %d (Retry-After %d)", status, wait)
	}
}

// Behind a trusted proxy, forwarded clients have budgets of their own;
// a client that is not a trusted proxy cannot buy a fresh budget by
// forging X-Forwarded-For.
func TestSignInBehindProxy(t *testing.T) {
	t.Run("trusted", func(t *testing.T) {
		e := startProxied(t, "127.0.0.0/8", &clock{})
		for i := 0; i < 5; i++ {
			e.signIn("203.0.113.66", "owner@example.com", "wrong password")
		}
		if status, _, _ := e.signIn("203.0.113.66", "owner@example.com", testPassword); status != http.StatusTooManyRequests {
			t.Fatalf("the guesser = %d", status)
		}
		// Another client behind the same proxy is unaffected.
		if status, _, _ := e.signIn("203.0.113.67", "owner@example.com", testPassword); status != http.StatusSeeOther {
			t.Fatalf("another client behind the proxy = %d", status)
		}
		// A client-written entry left of the proxy's is not believed.
		if status, _, _ := e.signIn("203.0.113.99, 203.0.113.66", "owner@example.com", testPassword); status != http.StatusTooManyRequests {
			t.Fatalf("forged entry before the real one = %d", status)
		}
	})
	t.Run("untrusted", func(t *testing.T) {
		e := startProxied(t, "10.0.0.0/8", &clock{}) // loopback is not a listed proxy
		for i := 0; i < 5; i++ {
			e.signIn("203.0.113."+strconv.Itoa(i), "owner@example.com", "wrong password")
		}
		if status, _, _ := e.signIn("203.0.113.200", "owner@example.com", testPassword); status != http.StatusTooManyRequests {
			t.Fatalf("forged X-Forwarded-For bought a new budget: %d", status)
		}
	})
}
