package widget

import (
	"sync"
	"time"
)

// limiter is a set of in-memory token buckets, one per key (a visitor or
// an IP address): each holds up to n tokens and refills n per period. It
// is per process; several processes each allow the full rate.
type limiter struct {
	n      float64
	period time.Duration
	now    func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(n int, period time.Duration) *limiter {
	return &limiter{n: float64(n), period: period, now: time.Now, buckets: map[string]*bucket{}}
}

// allow takes a token from key's bucket, reporting whether there was one.
func (l *limiter) allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.sweep) > l.period {
		// Full buckets hold no information; dropping them bounds memory.
		for k, b := range l.buckets {
			if l.level(b, now) >= l.n {
				delete(l.buckets, k)
			}
		}
		l.sweep = now
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.n, at: now}
		l.buckets[key] = b
	}
	b.tokens, b.at = l.level(b, now), now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (l *limiter) level(b *bucket, now time.Time) float64 {
	return min(l.n, b.tokens+l.n*float64(now.Sub(b.at))/float64(l.period))
}
