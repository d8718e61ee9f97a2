package flow

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/parleyhq/parley/internal/store"
)

// StartScheduled starts, for each enabled workflow on a schedule, the run
// of the period now is in, if it has not started yet: periods are counted
// from the Unix epoch, and the run's key names the workflow and the
// period, so a restart or a second node within the period starts nothing
// more. It returns how many runs it started.
func (e *Engine) StartScheduled(ctx context.Context) (int, error) {
	ts, err := e.triggered(ctx, func(d *Definition) bool { return d.Trigger.Event == "schedule" })
	if err != nil {
		return 0, err
	}
	now := e.DB.Now()
	n := 0
	for _, t := range ts {
		slot := now.Truncate(t.d.Trigger.every)
		input := map[string]any{"event": map[string]any{"type": "schedule", "period_start": slot.UTC().Format(time.RFC3339)}}
		if ok, err := t.d.matches(input); err != nil || !ok {
			continue
		}
		err := e.DB.Write(ctx, func(tx *store.Tx) error {
			_, started, err := e.start(tx, t.w, t.d, fmt.Sprintf("schedule/%d/%d", t.w.ID, slot.Unix()), input, nil)
			if started {
				n++
			}
			return err
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// RunSchedule looks for scheduled runs due every minute (a leased loop,
// so one node does it; the keys would stop doubles anyway).
func (e *Engine) RunSchedule(ctx context.Context) error {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if _, err := e.StartScheduled(ctx); err != nil && ctx.Err() == nil {
			slog.Warn("flow: scheduled runs", "err", err)
		}
		// To the next whole minute: a period that starts on the minute
		// starts its run within a second of it.
		now := time.Now()
		t.Reset(now.Truncate(time.Minute).Add(time.Minute).Sub(now) + 100*time.Millisecond)
	}
}
