package widget

import (
	"context"
	"log/slog"
	"time"

	"github.com/parleyhq/parley/internal/ratelimit"
)

// limiter is one of the widget's limits: n events per period per key (a
// visitor or a client address). It holds across every Parley process on
// one PostgreSQL database when Server.Limits is shared (ratelimit.New),
// and in this process otherwise.
type limiter struct {
	l    ratelimit.Limiter
	rate ratelimit.Rate
}

func newLimiter(l ratelimit.Limiter, n int, period time.Duration) *limiter {
	return &limiter{l: l, rate: ratelimit.Every(n, period)}
}

// allow takes a place from key's bucket, reporting whether there was one.
// A limit that cannot be decided (the database did not answer) lets the
// request through: the write behind it needs the database anyway, and a
// visitor should not be refused for Parley's own trouble.
func (l *limiter) allow(ctx context.Context, key string) bool {
	ok, _, err := l.l.Allow(ctx, "widget:"+key, l.rate)
	if err != nil {
		slog.Warn("widget: rate limit", "key", key, "err", err)
		return true
	}
	return ok
}
