package flow

import (
	"context"
	"encoding/json"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Cancel ends a running run. A step in flight may still finish its call,
// but nothing after it runs: every move checks the run is still running.
func (e *Engine) Cancel(ctx context.Context, runID int64, who string) (run store.FlowRun, err error) {
	err = e.DB.Write(ctx, func(tx *store.Tx) error {
		if run, err = tx.FlowRun(runID); err != nil {
			return err
		}
		if run.Status != "running" {
			return parley.Errorf(parley.ECONFLICT, "run %d is %s, not running", runID, run.Status)
		}
		run.Status, run.Error = "cancelled", "cancelled by "+who
		if err := e.stepEvent(tx, run, nil, "cancelled", "cancelled by "+who); err != nil {
			return err
		}
		e.count(tx, func(m Meter) { m.RunEnded("cancelled") })
		return tx.UpdateFlowRun(&run)
	})
	return run, err
}

// Retry runs a failed run again from the step that failed. A step that
// had made its call keeps its request and idempotency key, so an outside
// system that did act answers as the first time instead of acting twice.
func (e *Engine) Retry(ctx context.Context, runID int64, who string) (run store.FlowRun, err error) {
	err = e.DB.Write(ctx, func(tx *store.Tx) error {
		if run, err = tx.FlowRun(runID); err != nil {
			return err
		}
		if run.Status != "failed" {
			return parley.Errorf(parley.ECONFLICT, "run %d is %s: only a failed run is retried", runID, run.Status)
		}
		if last, err := tx.LastFlowStep(run.ID); err == nil && last.State == "failed" && last.Step == run.Step {
			last.State, last.Error, last.FinishedAt = "started", "", nil
			// A request that was waiting for an approval that did not
			// come (rejected, timed out) asks again: a retry is not an
			// approval.
			var req request
			if json.Unmarshal([]byte(last.Input), &req) == nil && req.ApprovalID != 0 {
				a, err := tx.ApprovalRequest(req.ApprovalID)
				if err != nil {
					return err
				}
				if a.State != parley.ApprovalApproved {
					last.Input, last.Attempts = "{}", 0
				}
			}
			if err := tx.SaveFlowStep(&last); err != nil {
				return err
			}
		} else if err != nil && parley.ErrorCode(err) != parley.ENOTFOUND {
			return err
		}
		run.Status, run.Error = "running", ""
		if err := e.stepEvent(tx, run, nil, "retried", "retried by "+who+" from step "+run.Step); err != nil {
			return err
		}
		e.count(tx, func(m Meter) { m.RunStarted() })
		if err := tx.UpdateFlowRun(&run); err != nil {
			return err
		}
		return e.enqueue(tx, run.ID)
	})
	return run, err
}
