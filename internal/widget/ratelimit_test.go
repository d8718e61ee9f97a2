package widget_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/config"
)

// The per-address write limit (60 a minute) is per real client: behind a
// trusted proxy, clients do not share one bucket; without one, a forged
// X-Forwarded-For buys nothing.
func TestWriteLimitPerClient(t *testing.T) {
	for _, tc := range []struct {
		name, proxies string
		separate      bool
	}{{"trusted proxy", "127.0.0.1", true}, {"untrusted peer", "10.0.0.0/8", false}} {
		t.Run(tc.name, func(t *testing.T) {
			// A stopped clock: on a busy machine sixty writes may take
			// longer than the second in which the limit gives one back.
			now := time.Now()
			f := startWith(t, "sqlite", func() time.Time { return now }, func(c *config.Config) { c.TrustedProxies = tc.proxies })
			for i := 0; i < 60; i++ {
				if status, _ := f.visitor().from("198.51.100.1").do("POST", "/session", nil); status != http.StatusCreated {
					t.Fatalf("write %d = %d", i, status)
				}
			}
			if status, _ := f.visitor().from("198.51.100.1").do("POST", "/session", nil); status != http.StatusTooManyRequests {
				t.Fatalf("61st write = %d", status)
			}
			status, _ := f.visitor().from("198.51.100.2").do("POST", "/session", nil)
			if tc.separate && status != http.StatusCreated || !tc.separate && status != http.StatusTooManyRequests {
				t.Fatalf("another client = %d", status)
			}
		})
	}
}
