package web

import (
	"strconv"
	"testing"
	"time"
)

func TestThrottleWaits(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	th := newThrottle(pairBudget)
	var got []time.Duration
	for i := 0; i < 16; i++ {
		if w := th.wait("k", now); w != 0 {
			t.Fatalf("failure %d: must still wait %v", i, w)
		}
		d := th.fail("k", now)
		got = append(got, d)
		now = now.Add(d)
	}
	want := []time.Duration{0, 0, 0, 0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}
	for i, w := range want {
		if got[i] != w {
			t.Errorf("wait after failure %d = %v, want %v", i+1, got[i], w)
		}
	}
	if got[15] != 15*time.Minute {
		t.Errorf("waits grow past the cap: %v", got[15])
	}
	if w := th.wait("k", now.Add(-time.Second)); w != time.Second {
		t.Errorf("wait = %v", w)
	}
	// An hour without failures (and past the wait) starts over.
	if w := th.wait("k", now.Add(2*time.Hour)); w != 0 || th.fail("k", now.Add(2*time.Hour)) != 0 {
		t.Error("an old key was not forgotten")
	}
	th.reset("k")
	if len(th.keys) != 0 {
		t.Error("reset kept the key")
	}

	// The per-email tarpit only slows: its delay is bounded.
	tp := newThrottle(emailTarpit)
	for i := 0; i < 1000; i++ {
		tp.fail("e", now)
	}
	if d := tp.pending("e", now); d != 3*time.Second {
		t.Errorf("tarpit = %v", d)
	}
}

func TestThrottleBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	th := newThrottle(pairBudget)
	for i := 0; i < maxThrottleKeys+5000; i++ {
		th.fail(strconv.Itoa(i), now)
	}
	if len(th.keys) > maxThrottleKeys {
		t.Fatalf("%d keys kept", len(th.keys))
	}
}
