package work

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/store"
)

// DefaultTTL is how long a lease lasts unless renewed. A node that dies
// holding one stalls its work for at most this long.
const DefaultTTL = 15 * time.Second

// Leaser runs work under named leases for one node.
type Leaser struct {
	DB *store.DB
	// Node names this process as a lease holder; unique per process.
	Node string
	// TTL is how long a lease lasts unless renewed (DefaultTTL when 0).
	// The holder renews it every TTL/3 and stops its work when it cannot
	// be sure it still holds it.
	TTL time.Duration
	// KeepOnStop leaves leases held when the context of Hold ends, as a
	// killed process would, so tests can watch another node take over
	// after expiry. Off, a stopping node releases its leases at once.
	KeepOnStop bool
	// Log receives lease changes; nil means slog.Default().
	Log *slog.Logger

	held sync.Map // lease name → token, while its work runs here
}

// Holding lists the leases whose work runs on this node now, sorted.
func (l *Leaser) Holding() []string {
	var out []string
	l.held.Range(func(k, _ any) bool { out = append(out, k.(string)); return true })
	slices.Sort(out)
	return out
}

type leaseKey struct{}

// LeaseOf returns the lease the work running under ctx holds, when it runs
// under one. Pass it to store.Tx.HoldsLease to fence a write.
func LeaseOf(ctx context.Context) (store.Lease, bool) {
	l, ok := ctx.Value(leaseKey{}).(store.Lease)
	return l, ok
}

func (l *Leaser) ttl() time.Duration {
	if l.TTL > 0 {
		return l.TTL
	}
	return DefaultTTL
}

func (l *Leaser) log() *slog.Logger {
	if l.Log != nil {
		return l.Log
	}
	return slog.Default()
}

// Hold runs run while this node holds the named lease, until ctx ends.
// It takes the lease when it is free or expired, and runs run with a
// context that ends as soon as the lease may be lost: a renewal that
// finds another holder, or renewals failing until the lease would have
// expired. run should return promptly when its context ends; Hold then
// tries to take the lease again. When run returns by itself while the
// lease is held, it is run again after a pause (supervise). When ctx ends
// the lease is released (unless KeepOnStop).
func (l *Leaser) Hold(ctx context.Context, name string, run func(ctx context.Context) error) {
	ttl := l.ttl()
	for ctx.Err() == nil {
		asked := time.Now()
		var lease store.Lease
		var ok bool
		err := l.DB.Write(ctx, func(tx *store.Tx) (err error) {
			lease, ok, err = tx.AcquireLease(name, l.Node, ttl)
			return err
		})
		if err != nil {
			if ctx.Err() == nil {
				l.log().Warn("work: taking a lease", "lease", name, "err", err)
			}
			sleep(ctx, jitter(ttl/3))
			continue
		}
		if !ok {
			// Try again when it expires: a dead holder's work moves here
			// within its TTL. A live holder renews it long before.
			wait := min(max(time.Until(lease.ExpiresAt), 0)+10*time.Millisecond+jitter(ttl/20), ttl)
			sleep(ctx, wait)
			continue
		}
		l.log().Info("work: lease taken", "lease", name, "node", l.Node, "token", lease.Token)
		lost := l.run(ctx, lease, asked, run)
		if lost {
			l.log().Warn("work: lease lost; work stopped", "lease", name, "node", l.Node, "token", lease.Token)
		}
	}
}

// run runs the work while lease is held, renewing it, and reports whether
// it stopped because the lease was (or may have been) lost.
func (l *Leaser) run(ctx context.Context, lease store.Lease, asked time.Time, run func(ctx context.Context) error) (lost bool) {
	ttl := l.ttl()
	wctx, stop := context.WithCancelCause(context.WithValue(ctx, leaseKey{}, lease))
	defer stop(nil)
	done := make(chan struct{})
	l.held.Store(lease.Name, lease.Token)
	go func() {
		defer close(done)
		defer l.held.Delete(lease.Name)
		supervise(wctx, lease.Name, l.log(), run)
	}()
	// The lease is ours until asked+ttl by our own monotonic clock: asked
	// is before the database wrote expires_at, so we stop first.
	deadline := asked.Add(ttl)
	renew := time.NewTimer(ttl / 3)
	defer renew.Stop()
	expire := time.NewTimer(time.Until(deadline))
	defer expire.Stop()
	for {
		select {
		case <-ctx.Done():
			stop(context.Cause(ctx))
			<-done
			if !l.KeepOnStop {
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				err := l.DB.Write(rctx, func(tx *store.Tx) error { return tx.ReleaseLease(lease) })
				cancel()
				if err != nil {
					l.log().Warn("work: releasing a lease", "lease", lease.Name, "err", err)
				}
			}
			return false
		case <-done:
			// supervise returns only when wctx ends.
			return true
		case <-expire.C:
			stop(errLeaseLost)
			<-done
			return true
		case <-renew.C:
			asked := time.Now()
			var ok bool
			err := l.DB.Write(wctx, func(tx *store.Tx) (err error) {
				lease, ok, err = tx.RenewLease(lease, ttl)
				return err
			})
			switch {
			case err == nil && ok:
				deadline = asked.Add(ttl)
				expire.Reset(time.Until(deadline))
				renew.Reset(ttl / 3)
			case err == nil:
				stop(errLeaseLost) // someone else has it
				<-done
				return true
			default:
				if ctx.Err() != nil {
					continue // stopping: the ctx case ends it
				}
				// Not sure: keep working and trying until the deadline.
				l.log().Warn("work: renewing a lease", "lease", lease.Name, "err", err)
				renew.Reset(min(ttl/10, max(time.Until(deadline)/2, time.Millisecond)))
			}
		}
	}
}

var errLeaseLost = errors.New("work: lease lost")

// jitter returns a random duration in [d/2, d), so nodes waiting on one
// lease do not ask in step.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
