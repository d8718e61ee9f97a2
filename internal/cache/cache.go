// Package cache keeps values read from the database until they are said
// to have changed: by this process right after its own write, and by the
// event log for writes of other processes (parley.EventConfigChanged,
// fanned out by live.WatchChanges). A TTL remains only as a safety net.
package cache

import (
	"sync"
	"sync/atomic"
	"time"
)

// Map caches values by key. Reads of a cached value take no lock.
//
// A load that raced a Forget is not kept: a value read from the database
// before a change committed could otherwise be stored after the change's
// event was handled, and be trusted until the TTL. Every Forget moves an
// epoch, and a load stores its value only if the epoch has not moved
// since it began.
type Map[K comparable, V any] struct {
	m     sync.Map // K → entry[V]
	mu    sync.Mutex
	epoch atomic.Uint64
}

type entry[V any] struct {
	v  V
	at time.Time
}

// Get returns key's value, calling load on a miss or when the value is
// older than ttl (zero: trusted until forgotten). A load's error is
// returned and nothing is cached.
func (c *Map[K, V]) Get(key K, ttl time.Duration, load func() (V, error)) (V, error) {
	if e, ok := c.m.Load(key); ok {
		if en := e.(entry[V]); ttl == 0 || time.Since(en.at) < ttl {
			return en.v, nil
		}
	}
	epoch := c.epoch.Load()
	v, err := load()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if c.epoch.Load() == epoch {
		c.m.Store(key, entry[V]{v: v, at: time.Now()})
	}
	c.mu.Unlock()
	return v, nil
}

// Forget drops key.
func (c *Map[K, V]) Forget(key K) {
	c.mu.Lock()
	c.epoch.Add(1)
	c.m.Delete(key)
	c.mu.Unlock()
}

// ForgetIf drops every key whose value drop accepts.
func (c *Map[K, V]) ForgetIf(drop func(K, V) bool) {
	c.mu.Lock()
	c.epoch.Add(1)
	c.m.Range(func(k, e any) bool {
		if drop(k.(K), e.(entry[V]).v) {
			c.m.Delete(k)
		}
		return true
	})
	c.mu.Unlock()
}

// Clear drops everything.
func (c *Map[K, V]) Clear() { c.ForgetIf(func(K, V) bool { return true }) }
