package work

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Commit is what a consumer's handler writes for a batch of events. It
// runs in the transaction that moves the consumer's cursor past them, so
// the writes and the cursor commit together or not at all.
type Commit func(tx *store.Tx) error

// Consumer tails the event log from a cursor stored under its Name
// (store.EventCursor), hands each batch of events to Handle, and commits
// what Handle returns together with the cursor's move past the batch.
//
// Delivery is at least once, and exactly once for what the handler writes
// through its Commit: a crash before the commit leaves the cursor where it
// was, and the batch is handled again; after it, never. What a handler
// does outside the database (a call to another system) may therefore
// happen twice and must be idempotent.
//
// Several processes may run one consumer at once: the cursor moves by
// compare and swap, so only one of them commits each batch, and the
// others drop their work and carry on from the new cursor. That is safe
// but wasted, so a consumer meant to run continuously is a leased Worker;
// running it ad hoc elsewhere (the report projector catching up before a
// report) stays correct. Under a lease (LeaseOf its context), each commit
// is also fenced by the lease's token.
type Consumer struct {
	Name string
	DB   *store.DB
	// Handle turns events into the writes they call for. It reads what
	// it needs outside the transaction, and may run more than once for
	// one batch (a failed commit, another process first). A nil Commit
	// writes nothing but the cursor.
	Handle func(ctx context.Context, events []parley.Event) (Commit, error)
	// Batch is how many events one step reads (500 when 0).
	Batch int
	// Every is how often Run looks at the log when nothing woke it
	// (a second when 0).
	Every time.Duration
	// StartAtEnd makes a consumer that never ran start at the end of the
	// log, for work that must not act on the past (emailing old replies).
	StartAtEnd bool
	// Log receives errors of Run; nil means slog.Default().
	Log *slog.Logger

	once sync.Once
	wake chan struct{}
}

func (c *Consumer) wakeCh() chan struct{} {
	c.once.Do(func() { c.wake = make(chan struct{}, 1) })
	return c.wake
}

// Wake makes Run look at the log now. It never blocks.
func (c *Consumer) Wake() {
	select {
	case c.wakeCh() <- struct{}{}:
	default:
	}
}

// Run drains the log, then waits to be woken or for Every, until ctx
// ends. Errors are logged and the step is tried again at the next look.
func (c *Consumer) Run(ctx context.Context) error {
	every := c.Every
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-c.wakeCh():
		case <-t.C:
		}
		if err := c.Drain(ctx); err != nil && ctx.Err() == nil {
			log := c.Log
			if log == nil {
				log = slog.Default()
			}
			log.Warn("work: consumer", "consumer", c.Name, "err", err)
		}
		t.Reset(every)
	}
}

// Drain handles events until it reaches the end of the log (as
// store.DB.Events sees it) or ctx ends; it returns ctx's error in the
// second case. A lost lease is an error.
func (c *Consumer) Drain(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("work: consumer %s: %w", c.Name, err)
		}
	}()
	batch := c.Batch
	if batch <= 0 {
		batch = 500
	}
	lease, leased := LeaseOf(ctx)
	for ctx.Err() == nil {
		from, at, err := c.DB.EventCursor(ctx, c.Name)
		if err != nil {
			return err
		}
		if at.IsZero() && c.StartAtEnd {
			end, err := c.DB.LastEventSeq(ctx)
			if err != nil {
				return err
			}
			err = c.DB.Write(ctx, func(tx *store.Tx) error { return tx.MoveEventCursor(c.Name, 0, end) })
			if err != nil && !errors.Is(err, store.ErrCursorMoved) {
				return err
			}
			continue
		}
		evs, err := c.DB.Events(ctx, from, batch)
		if err != nil || len(evs) == 0 {
			return err
		}
		commit, err := c.Handle(ctx, evs)
		if err != nil {
			return err
		}
		to := evs[len(evs)-1].Seq
		err = c.DB.Write(ctx, func(tx *store.Tx) error {
			if leased {
				if held, err := tx.HoldsLease(lease); err != nil {
					return err
				} else if !held {
					return errLeaseLost
				}
			}
			if err := tx.MoveEventCursor(c.Name, from, to); err != nil {
				return err
			}
			if commit == nil {
				return nil
			}
			return commit(tx)
		})
		if err != nil && !errors.Is(err, store.ErrCursorMoved) {
			return err
		}
	}
	return ctx.Err()
}
