package store

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
)

// pgOptions are the settings of Parley's own that a postgres:// URL may
// carry beside libpq's, taken out before the URL reaches the driver (which
// would send them to the server as unknown run-time parameters).
//
//   - pool_max_conns: connections this process opens for its reads and
//     writes (default 32; the shared-limits pool and the LISTEN connection
//     come on top: 8 and 1). Several processes on one server must fit its
//     max_connections together.
//   - parley_writers: write transactions this process keeps in flight at
//     once (default 4). On a small server shared by several processes,
//     fewer writers each means fewer backends contending for its cores.
//   - parley_cluster_writers: write transactions in flight at once across
//     every process on this database (default 2; 0 for no cap; slots.go).
//     Give each process the same value, near the database server's cores.
type pgOptions struct {
	poolMaxConns   int
	writers        int
	clusterWriters int
}

// parsePGOptions returns dsn without Parley's own parameters, and their
// values (defaults where absent).
func parsePGOptions(dsn string) (string, pgOptions, error) {
	opts := pgOptions{poolMaxConns: 32, writers: postgresDialect.writers, clusterWriters: defaultClusterWriters}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", opts, fmt.Errorf("store: the database URL does not parse: %w", err)
	}
	q := u.Query()
	for _, p := range []struct {
		name     string
		into     *int
		min, max int
	}{{"pool_max_conns", &opts.poolMaxConns, 2, 1000}, {"parley_writers", &opts.writers, 1, 64}, {"parley_cluster_writers", &opts.clusterWriters, 0, 1024}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < p.min || n > p.max {
			return "", opts, fmt.Errorf("store: %s in the database URL must be a whole number from %d to %d", p.name, p.min, p.max)
		}
		*p.into = n
		q.Del(p.name)
	}
	if opts.writers >= opts.poolMaxConns {
		return "", opts, fmt.Errorf("store: parley_writers (%d) must be below pool_max_conns (%d), leaving connections for reads", opts.writers, opts.poolMaxConns)
	}
	u.RawQuery = q.Encode()
	return u.String(), opts, nil
}

// defaultClusterWriters is the cap on write transactions across all
// processes when the URL sets none (slots.go). Two ran best on a 2-core
// database server, with one process or three (docs/PERFORMANCE.md), and
// one process at two did as well as at four; a larger server wants about
// its cores, set in the URL.
const defaultClusterWriters = 2

// DriverURL returns a postgres:// URL without Parley's own parameters, for
// a tool that opens its own connection beside the store's.
func DriverURL(dsn string) (string, error) {
	u, _, err := parsePGOptions(dsn)
	return u, err
}

// ConnectionBudget is what a PostgreSQL server has room for, against what
// this process may open.
type ConnectionBudget struct {
	Max      int // max_connections
	Reserved int // superuser_reserved_connections (and reserved_connections)
	Open     int // client connections open now, this process's included
	Mine     int // the most this process may open
	MineOpen int // of Open, how many are this process's
}

// Short says whether this process's connections may not all fit: the
// server's room, less what others hold now, is below what it may open.
func (b ConnectionBudget) Short() bool {
	return b.Mine > b.Max-b.Reserved-(b.Open-b.MineOpen)
}

func (b ConnectionBudget) String() string {
	return fmt.Sprintf("this process may open up to %d connections to PostgreSQL; the server allows %d (%d of them reserved) and others hold %d now",
		b.Mine, b.Max, b.Reserved, b.Open-b.MineOpen)
}

// otherPools is what a process opens beside its main pool: the shared
// limits' pool (8) and the LISTEN connection (1).
const otherPools = 9

// ConnectionBudget reads the server's connection limits and use, against
// what this process may open (pool_max_conns and its other pools).
func (db *DB) ConnectionBudget(ctx context.Context) (b ConnectionBudget, err error) {
	defer wrap(&err, "store: ConnectionBudget")
	if db.dialect.name != "postgres" {
		return b, nil
	}
	err = db.read.QueryRowContext(ctx, `SELECT current_setting('max_connections')::int,
		current_setting('superuser_reserved_connections')::int + COALESCE(current_setting('reserved_connections', true)::int, 0),
		(SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')`).Scan(&b.Max, &b.Reserved, &b.Open)
	b.Mine, b.MineOpen = db.poolMax+otherPools, db.read.Stats().OpenConnections
	return b, err
}
