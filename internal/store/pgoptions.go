package store

import (
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
type pgOptions struct {
	poolMaxConns int
	writers      int
}

// parsePGOptions returns dsn without Parley's own parameters, and their
// values (defaults where absent).
func parsePGOptions(dsn string) (string, pgOptions, error) {
	opts := pgOptions{poolMaxConns: 32, writers: postgresDialect.writers}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", opts, fmt.Errorf("store: the database URL does not parse: %w", err)
	}
	q := u.Query()
	for _, p := range []struct {
		name     string
		into     *int
		min, max int
	}{{"pool_max_conns", &opts.poolMaxConns, 2, 1000}, {"parley_writers", &opts.writers, 1, 64}} {
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
