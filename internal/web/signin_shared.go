package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/parleyhq/parley/internal/store"
)

// failures is where sign-in failures are counted: in this process
// (memStrikes, SQLite's one process), or in the database, where every
// node of a PostgreSQL deployment charges and reads the same count
// (dbStrikes), so a guesser spread over N nodes gets one budget, not N.
type failures interface {
	// wait is how long key must still wait at now; 0 means it may try.
	wait(ctx context.Context, key string, now time.Time) (time.Duration, error)
	// pending is the wait key's failures call for, counted from now.
	pending(ctx context.Context, key string, now time.Time) (time.Duration, error)
	// fail charges a failure to key.
	fail(ctx context.Context, key string, now time.Time) error
	// reset forgets key (after a success).
	reset(ctx context.Context, key string) error
}

// newStrikes returns the counter for rule: shared through db on
// PostgreSQL, in memory otherwise.
func newStrikes(db *store.DB, name string, r throttleRule) failures {
	if db != nil && db.Dialect() == "postgres" {
		return &dbStrikes{db: db, rule: r, prefix: "signin:" + name + ":"}
	}
	return memStrikes{newThrottle(r)}
}

// memStrikes is the in-memory throttle behind the failures interface.
type memStrikes struct{ t *throttle }

func (m memStrikes) wait(_ context.Context, key string, now time.Time) (time.Duration, error) {
	return m.t.wait(key, now), nil
}

func (m memStrikes) pending(_ context.Context, key string, now time.Time) (time.Duration, error) {
	return m.t.pending(key, now), nil
}

func (m memStrikes) fail(_ context.Context, key string, now time.Time) error {
	m.t.fail(key, now)
	return nil
}

func (m memStrikes) reset(_ context.Context, key string) error {
	m.t.reset(key)
	return nil
}

// dbStrikes keeps each key's count and latest failure in a row of the
// limits table; the wait follows from them (latest + delay(count)), as
// in memory. A failure is one statement that increments under the row's
// lock, so failures charged on two nodes at once both count.
type dbStrikes struct {
	db     *store.DB
	rule   throttleRule
	prefix string
}

// key names a row by a hash: keys hold emails and addresses, which
// need not sit in clear in another table, and a NUL byte (the pair's
// separator) that PostgreSQL text cannot hold.
func (d *dbStrikes) key(k string) string {
	sum := sha256.Sum256([]byte(k))
	return d.prefix + hex.EncodeToString(sum[:16])
}

func (d *dbStrikes) get(ctx context.Context, key string, now time.Time) (store.Strike, bool, error) {
	k := d.key(key)
	m, err := d.db.Strikes(ctx, []string{k}, now.Add(-d.rule.forget))
	s, ok := m[k]
	return s, ok, err
}

func (d *dbStrikes) wait(ctx context.Context, key string, now time.Time) (time.Duration, error) {
	s, ok, err := d.get(ctx, key, now)
	if err != nil || !ok {
		return 0, err
	}
	return max(0, s.Last.Add(d.rule.delay(s.N)).Sub(now)), nil
}

func (d *dbStrikes) pending(ctx context.Context, key string, now time.Time) (time.Duration, error) {
	s, ok, err := d.get(ctx, key, now)
	if err != nil || !ok {
		return 0, err
	}
	return d.rule.delay(s.N), nil
}

func (d *dbStrikes) fail(ctx context.Context, key string, now time.Time) error {
	_, err := d.db.AddStrikes(ctx, []string{d.key(key)}, now, d.rule.forget)
	return err
}

func (d *dbStrikes) reset(ctx context.Context, key string) error {
	return d.db.ClearLimit(ctx, d.key(key))
}
