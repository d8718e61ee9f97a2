package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Limits shared by every process on one database (the limits table):
// rate limits as GCRA, and sign-in strikes. Each change is one statement
// that reads and writes the key's row under its row lock, so two nodes
// can never both take the last place. These run on the pool, outside the
// writer: they are single statements, and a limit decided must not wait
// for a batch of other people's writes.

// limits returns the pool for limit decisions. On PostgreSQL it is a
// small pool of its own whose commits do not wait for the WAL to reach the
// disk (synchronous_commit=off): a decision lost to a crash only hands back
// a place or forgives a failure, and the wait for a flush was most of
// each decision's cost (docs/PERFORMANCE.md). Elsewhere it is the write
// pool.
func (db *DB) limits() *sql.DB {
	db.limitsOnce.Do(func() {
		db.limitsPool = db.write
		if db.pgDSN == "" {
			return
		}
		sep := "?"
		if strings.Contains(db.pgDSN, "?") {
			sep = "&"
		}
		p, err := openGuarded("pgx", db.pgDSN+sep+"synchronous_commit=off")
		if err != nil {
			return // the write pool decides, durably
		}
		p.SetMaxOpenConns(8)
		p.SetMaxIdleConns(8)
		p.SetConnMaxIdleTime(5 * time.Minute)
		db.limitsPool = p
	})
	return db.limitsPool
}

// TakeRate takes one place from key's rate: at most one event per
// interval on average, with bursts of up to burst (a duration: burst
// places × interval). It is the generic cell rate algorithm: the row
// keeps the key's theoretical arrival time (at), and an event is allowed
// when pushing that time one interval later leaves it at most burst
// ahead of now. When refused, retry is how long until a place frees.
func (db *DB) TakeRate(ctx context.Context, key string, now time.Time, interval, burst time.Duration) (ok bool, retry time.Duration, err error) {
	defer wrap(&err, "store: TakeRate(%s)", key)
	if interval <= 0 || burst < interval {
		return false, 0, fmt.Errorf("interval %v and burst %v: want 0 < interval <= burst", interval, burst)
	}
	n, iv, b := ts(now), interval.Microseconds(), burst.Microseconds()
	var at int64
	// An empty bucket's arrival time is now, so a new key's is now + interval.
	err = db.limits().QueryRowContext(ctx, `INSERT INTO limits (key, n, at, expires_at) VALUES ($1, 0, $5, $5)
		ON CONFLICT (key) DO UPDATE SET
			at = (CASE WHEN limits.at > $2 THEN limits.at ELSE $2 END) + $3,
			expires_at = (CASE WHEN limits.at > $2 THEN limits.at ELSE $2 END) + $3
		WHERE (CASE WHEN limits.at > $2 THEN limits.at ELSE $2 END) + $3 - $2 <= $4
		RETURNING at`, key, n, iv, b, n+iv).Scan(&at)
	if err == nil {
		return true, 0, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, 0, err
	}
	// Refused: the row was left as it was. The next place frees when
	// at + interval - burst is reached.
	if err := db.limits().QueryRowContext(ctx, "SELECT at FROM limits WHERE key = $1", key).Scan(&at); err != nil {
		if errors.Is(err, sql.ErrNoRows) { // pruned meanwhile: free again
			return false, 0, nil
		}
		return false, 0, err
	}
	return false, max(0, time.Duration(at+iv-b-n)*time.Microsecond), nil
}

// Strike is one key's failures: how many since it last started over, and
// the latest.
type Strike struct {
	N    int
	Last time.Time
}

// AddStrikes charges a failure at now to each key and returns each key's
// count. A key whose latest failure is older than forget starts over at
// one. Its row is kept until forget after now.
func (db *DB) AddStrikes(ctx context.Context, keys []string, now time.Time, forget time.Duration) (_ map[string]Strike, err error) {
	defer wrap(&err, "store: AddStrikes")
	if len(keys) == 0 {
		return map[string]Strike{}, nil
	}
	args := []any{ts(now), ts(now.Add(-forget)), ts(now.Add(forget))}
	vals := make([]string, len(keys))
	for i, k := range keys {
		args = append(args, k)
		vals[i] = fmt.Sprintf("($%d, 1, $1, $3)", len(args))
	}
	rows, err := db.limits().QueryContext(ctx, `INSERT INTO limits (key, n, at, expires_at) VALUES `+strings.Join(vals, ", ")+`
		ON CONFLICT (key) DO UPDATE SET
			n = CASE WHEN limits.at < $2 THEN 1 ELSE limits.n + 1 END,
			at = excluded.at, expires_at = excluded.expires_at
		RETURNING key, n, at`, args...)
	if err != nil {
		return nil, err
	}
	return scanStrikes(rows)
}

// Strikes returns the failures of those keys that have one since
// forgotten (keys with none are absent).
func (db *DB) Strikes(ctx context.Context, keys []string, forgotten time.Time) (_ map[string]Strike, err error) {
	defer wrap(&err, "store: Strikes")
	if len(keys) == 0 {
		return map[string]Strike{}, nil
	}
	args := []any{ts(forgotten)}
	marks := make([]string, len(keys))
	for i, k := range keys {
		args = append(args, k)
		marks[i] = fmt.Sprintf("$%d", len(args))
	}
	rows, err := db.limits().QueryContext(ctx, "SELECT key, n, at FROM limits WHERE key IN ("+strings.Join(marks, ", ")+") AND at >= $1", args...)
	if err != nil {
		return nil, err
	}
	return scanStrikes(rows)
}

func scanStrikes(rows *sql.Rows) (map[string]Strike, error) {
	defer rows.Close()
	out := map[string]Strike{}
	for rows.Next() {
		var k string
		var s Strike
		var at int64
		if err := rows.Scan(&k, &s.N, &at); err != nil {
			return nil, err
		}
		s.Last = fromTS(at)
		out[k] = s
	}
	return out, rows.Err()
}

// ClearLimit forgets a key (a sign-in that succeeded).
func (db *DB) ClearLimit(ctx context.Context, key string) error {
	if _, err := db.limits().ExecContext(ctx, "DELETE FROM limits WHERE key = $1", key); err != nil {
		return fmt.Errorf("store: ClearLimit: %w", err)
	}
	return nil
}

// PruneLimits deletes the keys that hold no information any more (a rate
// whose bucket is full again, strikes forgotten) and returns how many.
func (db *DB) PruneLimits(ctx context.Context, now time.Time) (int64, error) {
	res, err := db.limits().ExecContext(ctx, "DELETE FROM limits WHERE expires_at < $1", ts(now))
	if err != nil {
		return 0, fmt.Errorf("store: PruneLimits: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
