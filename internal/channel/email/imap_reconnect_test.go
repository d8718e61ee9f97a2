package email

import (
	"net"
	"sync"
	"testing"
	"time"
)

// trackListener remembers the connections the server accepts, so a test
// can drop them from the server's side as a restarting server would.
type trackListener struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func (l *trackListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.conns = append(l.conns, c)
		l.mu.Unlock()
	}
	return c, err
}

// drop closes every connection accepted so far and reports how many.
func (l *trackListener) drop() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.conns)
	for _, c := range l.conns {
		c.Close()
	}
	l.conns = nil
	return n
}

// TestRunReconnectsQuickly: when the server drops the connection, the
// poller is back within seconds, not after its (here hour-long) poll
// interval, and reads the mail that arrived meanwhile.
func TestRunReconnectsQuickly(t *testing.T) {
	for _, idle := range []bool{true, false} {
		name := map[bool]string{true: "idle", false: "polling"}[idle]
		t.Run(name, func(t *testing.T) {
			srv := startIMAP(t)
			st := newStore()
			p := st.poller(srv)
			p.Interval = time.Hour
			p.noIdle = !idle
			runPoller(t, p)
			select { // the first pass marks the end of the history
			case <-st.saved:
			case <-time.After(10 * time.Second):
				t.Fatal("no first pass")
			}
			for round := range 3 { // the connection that worked resets the backoff each time
				if n := srv.conns.drop(); n == 0 {
					t.Fatal("no connection to drop")
				}
				subject := "after drop " + string(rune('a'+round))
				srv.deliver(t, subject)
				start := time.Now()
				if got := st.wait(t); got != subject {
					t.Fatalf("handled %q, want %q", got, subject)
				}
				if d := time.Since(start); d > 3*time.Second {
					t.Errorf("round %d: reconnected after %v, want about a second", round, d)
				}
			}
		})
	}
}

func TestRetryWait(t *testing.T) {
	p := &Poller{Interval: 10 * time.Second}
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second,
		4: 8 * time.Second, 5: 10 * time.Second, 40: 10 * time.Second} {
		for range 50 {
			got := p.retryWait(n)
			if got > want || got < want*3/4 {
				t.Fatalf("retryWait(%d) = %v, want within [%v, %v]", n, got, want*3/4, want)
			}
		}
	}
	// The jitter really varies.
	seen := map[time.Duration]bool{}
	for range 20 {
		seen[p.retryWait(3)] = true
	}
	if len(seen) < 2 {
		t.Error("retryWait has no jitter")
	}
}
