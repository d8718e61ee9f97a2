// Package ratelimit holds rate limits that hold however many Parley
// processes share the work: in memory for SQLite (one process), in the
// database for PostgreSQL (several), with the same arithmetic for both.
//
// A limit is a token bucket written as the generic cell rate algorithm
// (GCRA): per key, one time, the "theoretical arrival time" at which the
// bucket would be full again. That single number is what makes the shared
// version one statement per decision (store.TakeRate).
package ratelimit

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parleyhq/parley/internal/store"
)

// Rate is one event per Interval on average, with bursts of up to Burst
// events at once after a quiet spell.
type Rate struct {
	Interval time.Duration
	Burst    int
}

// Every returns n events per period, all of which may come at once.
func Every(n int, period time.Duration) Rate {
	n = max(n, 1)
	return Rate{Interval: period / time.Duration(n), Burst: n}
}

// PerSecond returns perSecond events a second, with bursts of one
// second's worth (at least one).
func PerSecond(perSecond float64) Rate {
	if perSecond <= 0 || math.IsNaN(perSecond) {
		perSecond = 1
	}
	return Rate{Interval: time.Duration(float64(time.Second) / perSecond), Burst: max(1, int(perSecond))}
}

func (r Rate) burst() time.Duration { return time.Duration(max(r.Burst, 1)) * r.Interval }

// Limiter decides whether an event for key may happen now.
type Limiter interface {
	// Allow takes a place from key's bucket under rate r. When refused,
	// retry is how long until a place frees. An error means the decision
	// could not be made (the database did not answer).
	Allow(ctx context.Context, key string, r Rate) (ok bool, retry time.Duration, err error)
}

// New returns the limiter for db: shared through the database on
// PostgreSQL, where several processes serve, and in memory on SQLite.
func New(db *store.DB) Limiter {
	if db.Dialect() == "postgres" {
		return &Shared{DB: db}
	}
	return &Memory{Now: db.Now}
}

// Wait blocks until key may go under r, or ctx ends.
func Wait(ctx context.Context, l Limiter, key string, r Rate) error {
	for {
		ok, retry, err := l.Allow(ctx, key, r)
		if err != nil || ok {
			return err
		}
		// Several waiters (on several nodes) wake for one place; the
		// losers are told the next wait. A floor keeps a retry of zero
		// (a place freeing this instant) from spinning.
		t := time.NewTimer(max(retry, time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Memory is a Limiter for one process.
type Memory struct {
	// Now is the clock; nil: time.Now.
	Now func() time.Time

	mu    sync.Mutex
	tat   map[string]time.Time // key → when its bucket is full again
	sweep time.Time
}

// Allow implements Limiter with the same arithmetic as store.TakeRate.
func (m *Memory) Allow(_ context.Context, key string, r Rate) (bool, time.Duration, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tat == nil {
		m.tat = map[string]time.Time{}
	}
	if now.Sub(m.sweep) > time.Minute {
		// A key whose bucket is full holds no information; dropping it
		// bounds memory.
		for k, t := range m.tat {
			if !t.After(now) {
				delete(m.tat, k)
			}
		}
		m.sweep = now
	}
	t := m.tat[key]
	if t.Before(now) {
		t = now
	}
	next := t.Add(r.Interval)
	if next.Sub(now) > r.burst() {
		return false, t.Add(r.Interval - r.burst()).Sub(now), nil
	}
	m.tat[key] = next
	return true, 0, nil
}

func (m *Memory) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Shared is a Limiter for every process on one database: each decision
// is one statement on the key's row (store.TakeRate), so N nodes together
// never exceed the rate.
//
// Its local fast path is for refusals only. A refusal tells the earliest
// moment a place can free; other nodes can only take places, never give
// them back, so until that moment every answer is no. Shared remembers
// it and refuses without a round trip: a client hammering a limit costs
// one statement per refusal window per node, not one per request.
// Allowing is never decided locally, which is what keeps the sum right.
type Shared struct {
	DB *store.DB

	mu        sync.Mutex
	refused   map[string]time.Time // key → no place before this
	lastPrune atomic.Int64         // Unix seconds
}

// maxRefused bounds the refusals remembered; past it they are dropped,
// which only costs round trips.
const maxRefused = 100_000

// Allow implements Limiter.
func (s *Shared) Allow(ctx context.Context, key string, r Rate) (bool, time.Duration, error) {
	now := s.DB.Now()
	s.mu.Lock()
	until, ok := s.refused[key]
	if ok && !now.Before(until) {
		delete(s.refused, key)
		ok = false
	}
	s.mu.Unlock()
	if ok {
		return false, until.Sub(now), nil
	}
	allowed, retry, err := s.DB.TakeRate(ctx, key, now, r.Interval, r.burst())
	if err != nil {
		return false, 0, err
	}
	if !allowed && retry > 0 {
		s.mu.Lock()
		if s.refused == nil || len(s.refused) >= maxRefused {
			s.refused = map[string]time.Time{}
		}
		s.refused[key] = now.Add(retry)
		s.mu.Unlock()
	}
	s.prune(now)
	return allowed, retry, nil
}

// prune deletes keys that hold nothing any more, at most once a minute
// per process, off the caller's path.
func (s *Shared) prune(now time.Time) {
	last := s.lastPrune.Load()
	if now.Unix()-last < 60 || !s.lastPrune.CompareAndSwap(last, now.Unix()) {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := s.DB.PruneLimits(ctx, now); err != nil {
			slog.Warn("ratelimit: prune", "err", err)
		}
	}()
}
