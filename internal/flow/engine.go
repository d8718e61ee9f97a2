package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/approval"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/jobs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// JobStep runs the step a run is at; its payload is {"run_id": …}.
const JobStep = "flow.step"

// stepAttempts bounds the tries of one step whose outside system keeps
// failing (5xx, time-outs): with the runner's backoff, from 5 s doubling,
// about ten minutes, after which the step and the run are failed and can
// be retried by a person.
const stepAttempts = 8

// Engine starts runs and runs their steps.
type Engine struct {
	DB *store.DB
	// Inbox writes what steps put on conversations (notes), in the same
	// transaction that records the step.
	Inbox *inbox.Service
	// HTTP makes the calls of http steps: the outbound guard's client
	// (loopback and private addresses only where an admin allowed them;
	// no redirects; a time-out).
	HTTP *http.Client
	// Approvals decides which risky calls wait for a person
	// (RegisterApprovals); nil refuses steps that ask for approval.
	Approvals *approval.Service
	// Wake wakes the job runner after a commit that enqueued a step.
	Wake func()
	// Model, when set, is the language model classify steps ask (when one
	// is configured); without one they decide by their rules.
	Model Model
	// Meter, when set, counts runs and steps (telemetry.Registry).
	Meter Meter
	// MaxResponse bounds the body read from an http step's answer.
	MaxResponse int64

	// afterCall, in tests, runs after an http step's call returned and
	// before its outcome is recorded: a crash there is the case an
	// idempotency key exists for.
	afterCall func(run store.FlowRun, step *Step)

	defs sync.Map // "workflow/version" → *Definition
}

// Meter counts what the engine does; its methods are called after the
// commits they count and must not block.
type Meter interface {
	RunStarted()
	RunEnded(status string)
	StepFinished(kind, outcome string)
	ApprovalWait()
}

// count calls f on the meter after tx commits, if there is a meter.
func (e *Engine) count(tx *store.Tx, f func(Meter)) {
	if m := e.Meter; m != nil {
		tx.AfterCommit(func() { f(m) })
	}
}

// RegisterJobs registers the step job.
func (e *Engine) RegisterJobs(r *jobs.Runner) { r.Handle(JobStep, e.runStep) }

// Save checks source and stores it as the newest version of the workflow
// it names (creating it). Runs already started keep their version.
func (e *Engine) Save(ctx context.Context, source string) (store.Workflow, error) {
	d, err := Parse(source)
	if err != nil {
		return store.Workflow{}, err
	}
	var w store.Workflow
	err = e.DB.Write(ctx, func(tx *store.Tx) error {
		w, err = tx.SaveWorkflow(d.Name, source)
		return err
	})
	if err == nil {
		e.defs.Store(defKey(w.ID, w.Version), d)
	}
	return w, err
}

// definition returns a version's parsed document, cached: a version never
// changes once saved.
func (e *Engine) definition(ctx context.Context, workflowID, version int64) (*Definition, error) {
	if d, ok := e.defs.Load(defKey(workflowID, version)); ok {
		return d.(*Definition), nil
	}
	src, err := e.DB.WorkflowSource(ctx, workflowID, version)
	if err != nil {
		return nil, err
	}
	d, err := Parse(src)
	if err != nil {
		return nil, fmt.Errorf("flow: stored version %d of workflow %d does not parse: %w", version, workflowID, err)
	}
	e.defs.Store(defKey(workflowID, version), d)
	return d, nil
}

func defKey(id, version int64) string { return fmt.Sprintf("%d/%d", id, version) }

// Start starts a run of the workflow's current version for the trigger
// named key, with input as its trigger's data. A key that already started
// a run starts nothing: that run is returned with started false.
func (e *Engine) Start(ctx context.Context, workflowID int64, key string, input map[string]any, conversationID *int64) (run store.FlowRun, started bool, err error) {
	w, err := e.DB.Workflow(ctx, workflowID)
	if err != nil {
		return run, false, err
	}
	d, err := e.definition(ctx, w.ID, w.Version)
	if err != nil {
		return run, false, err
	}
	err = e.DB.Write(ctx, func(tx *store.Tx) error {
		run, started, err = e.start(tx, w, d, key, input, conversationID)
		return err
	})
	if err == nil && !started {
		run, err = e.DB.FlowRunByTrigger(ctx, key)
	}
	return run, started, err
}

// start inserts the run and its first step's job, in tx.
func (e *Engine) start(tx *store.Tx, w store.Workflow, d *Definition, key string, input map[string]any, conversationID *int64) (store.FlowRun, bool, error) {
	if len(key) == 0 || len(key) > 200 {
		return store.FlowRun{}, false, parley.Errorf(parley.EINVALID, "a run's trigger key is 1 to 200 characters")
	}
	if input == nil {
		input = map[string]any{}
	}
	vars, err := json.Marshal(runVars{Input: input, Steps: map[string]any{}, Vars: map[string]any{}})
	if err != nil {
		return store.FlowRun{}, false, parley.Errorf(parley.EINVALID, "the run's input is not JSON: %v", err)
	}
	run := store.FlowRun{WorkflowID: w.ID, Version: w.Version, TriggerKey: key, ConversationID: conversationID,
		Step: d.Steps[0].ID, Vars: string(vars)}
	started, err := tx.StartFlowRun(&run)
	if err != nil || !started {
		return run, false, err
	}
	e.count(tx, func(m Meter) { m.RunStarted() })
	if err := e.stepEvent(tx, run, nil, "started", "started"); err != nil {
		return run, false, err
	}
	return run, true, e.enqueue(tx, run.ID)
}

func (e *Engine) enqueue(tx *store.Tx, runID int64) error { return e.enqueueAt(tx, runID, tx.Now()) }

func (e *Engine) enqueueAt(tx *store.Tx, runID int64, at time.Time) error {
	b, _ := json.Marshal(stepPayload{RunID: runID})
	if _, err := tx.EnqueueJob(JobStep, string(b), at, stepAttempts); err != nil {
		return err
	}
	if e.Wake != nil {
		tx.AfterCommit(e.Wake)
	}
	return nil
}

type stepPayload struct {
	RunID int64 `json:"run_id"`
}

// runVars is a run's memory: the trigger's input, each finished step's
// output by step id, and the values set steps made.
type runVars struct {
	Input map[string]any `json:"input"`
	Steps map[string]any `json:"steps"`
	Vars  map[string]any `json:"vars"`
}

func (v runVars) env(run store.FlowRun) map[string]any {
	env := map[string]any{"input": v.Input, "steps": v.Steps, "vars": v.Vars, "run_id": run.ID}
	if run.ConversationID != nil {
		env["conversation_id"] = *run.ConversationID
	}
	return env
}

// errStale says the run was moved on (or ended) by someone else since
// this worker read it: its work is dropped, rolled back with the
// transaction it was in.
var errStale = errors.New("flow: the run moved on meanwhile")

var errNoConversation = errors.New("flow: the run has no conversation")

// runStep runs the step a run is at, and enqueues the next.
func (e *Engine) runStep(ctx context.Context, j store.Job) error {
	var p stepPayload
	if err := json.Unmarshal([]byte(j.Payload), &p); err != nil || p.RunID == 0 {
		return jobs.Permanent(fmt.Errorf("flow: bad step payload %q", j.Payload))
	}
	run, err := e.DB.FlowRun(ctx, p.RunID)
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	if run.Status != "running" {
		return nil // ended (cancelled, say) after this job was queued
	}
	d, err := e.definition(ctx, run.WorkflowID, run.Version)
	if err != nil {
		return err
	}
	s := d.Step(run.Step)
	if s == nil {
		return e.fail(ctx, run, nil, fmt.Sprintf("the run is at step %q, which version %d does not have", run.Step, run.Version))
	}
	var vars runVars
	if err := json.Unmarshal([]byte(run.Vars), &vars); err != nil {
		return e.fail(ctx, run, s, "the run's variables do not parse: "+err.Error())
	}
	env := vars.env(run)
	var err2 error
	switch s.Kind {
	case "if":
		err2 = e.runIf(ctx, run, d, s, env)
	case "set":
		err2 = e.runSet(ctx, run, d, s, env)
	case "note":
		err2 = e.runNote(ctx, run, d, s, env)
	case "reply":
		err2 = e.runReply(ctx, run, d, s, env)
	case "wait":
		err2 = e.runWait(ctx, run, d, s)
	case "update":
		err2 = e.runUpdate(ctx, run, d, s)
	case "classify":
		err2 = e.runClassify(ctx, run, d, s, env)
	case "http":
		err2 = e.runHTTP(ctx, j, run, d, s, env)
	default:
		err2 = e.fail(ctx, run, s, "unknown step kind "+s.Kind)
	}
	if errors.Is(err2, errStale) {
		return nil
	}
	return err2
}

// record finishes step s of run in tx: it checks the run is still at s,
// writes the step's record (taking over the started record a call left)
// and output, and moves the run to next (or ends it), enqueueing the next
// step's job.
func (e *Engine) record(tx *store.Tx, runID int64, s *Step, input, output any, next string) error {
	run, err := tx.FlowRun(runID)
	if err != nil {
		return err
	}
	if run.Status != "running" || run.Step != s.ID {
		return errStale
	}
	rec, err := e.stepRecord(tx, run, s)
	if err != nil {
		return err
	}
	if rec.Attempts == 0 {
		rec.Attempts = 1
	}
	if input != nil {
		rec.Input = jsonText(input)
	}
	rec.Output, rec.State, rec.Error = jsonText(output), "done", ""
	now := tx.Now()
	rec.FinishedAt = &now
	if err := tx.SaveFlowStep(&rec); err != nil {
		return err
	}
	var vars runVars
	if err := json.Unmarshal([]byte(run.Vars), &vars); err != nil {
		return err
	}
	vars.Steps[s.ID] = output
	if s.Kind == "set" {
		if m, ok := output.(map[string]any); ok {
			for k, v := range m {
				vars.Vars[k] = v
			}
		}
	}
	run.Vars, run.Step = jsonText(vars), next
	e.count(tx, func(m Meter) { m.StepFinished(s.Kind, "done") })
	if err := e.stepEvent(tx, run, s, "done", summarize(s, rec.Input, output)); err != nil {
		return err
	}
	if next == "" {
		run.Status = "succeeded"
		e.count(tx, func(m Meter) { m.RunEnded("succeeded") })
		if err := e.stepEvent(tx, run, nil, "finished", "finished"); err != nil {
			return err
		}
	}
	if err := tx.UpdateFlowRun(&run); err != nil {
		return err
	}
	if next != "" {
		return e.enqueue(tx, run.ID)
	}
	return nil
}

// stepRecord returns the record for the run's current step: the started
// one an interrupted attempt left, or a new one after the last.
func (e *Engine) stepRecord(tx *store.Tx, run store.FlowRun, s *Step) (store.FlowStep, error) {
	last, err := tx.LastFlowStep(run.ID)
	switch {
	case parley.ErrorCode(err) == parley.ENOTFOUND:
		return store.FlowStep{RunID: run.ID, Seq: 1, Step: s.ID, Kind: s.Kind, Input: "{}", Output: "{}", StartedAt: tx.Now()}, nil
	case err != nil:
		return last, err
	case last.State == "started" && last.Step == s.ID:
		return last, nil
	default:
		return store.FlowStep{RunID: run.ID, Seq: last.Seq + 1, Step: s.ID, Kind: s.Kind, Input: "{}", Output: "{}", StartedAt: tx.Now()}, nil
	}
}

// fail ends run as failed at step s (nil: before any step), with reason.
// Nothing half-done is hidden: the step's record keeps its input and the
// reason, and a person can retry it.
func (e *Engine) fail(ctx context.Context, run store.FlowRun, s *Step, reason string) error {
	err := e.DB.Write(ctx, func(tx *store.Tx) error {
		cur, err := tx.FlowRun(run.ID)
		if err != nil {
			return err
		}
		if cur.Status != "running" || cur.Step != run.Step {
			return errStale
		}
		if s != nil {
			rec, err := e.stepRecord(tx, cur, s)
			if err != nil {
				return err
			}
			now := tx.Now()
			rec.State, rec.Error, rec.FinishedAt = "failed", reason, &now
			if rec.Attempts == 0 {
				rec.Attempts = 1
			}
			if err := tx.SaveFlowStep(&rec); err != nil {
				return err
			}
		}
		cur.Status, cur.Error = "failed", reason
		what := "failed: " + reason
		if s != nil {
			what = s.ID + " failed: " + reason
		}
		if err := e.stepEvent(tx, cur, s, "failed", what); err != nil {
			return err
		}
		e.count(tx, func(m Meter) {
			if s != nil {
				m.StepFinished(s.Kind, "failed")
			}
			m.RunEnded("failed")
		})
		return tx.UpdateFlowRun(&cur)
	})
	if errors.Is(err, errStale) {
		return nil
	}
	return err
}

func jsonText(v any) string {
	if v == nil {
		return "{}"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	return string(b)
}

func (e *Engine) runIf(ctx context.Context, run store.FlowRun, d *Definition, s *Step, env map[string]any) error {
	ok, err := evalBool(s.when, env)
	if err != nil {
		return e.fail(ctx, run, s, err.Error())
	}
	next := d.after(s)
	if ok && s.Then != "" {
		next = s.Then
	} else if !ok && s.Else != "" {
		next = s.Else
	}
	if next == "end" {
		next = ""
	}
	return e.DB.Write(ctx, func(tx *store.Tx) error {
		return e.record(tx, run.ID, s, nil, map[string]any{"result": ok}, next)
	})
}

func (e *Engine) runSet(ctx context.Context, run store.FlowRun, d *Definition, s *Step, env map[string]any) error {
	out := map[string]any{}
	for k := range s.Values {
		v, err := s.texts["values."+k].value(env, nil)
		if err != nil {
			return e.fail(ctx, run, s, err.Error())
		}
		out[k] = v
	}
	return e.DB.Write(ctx, func(tx *store.Tx) error { return e.record(tx, run.ID, s, nil, out, d.after(s)) })
}

// runNote writes the note and the step's record in one transaction: the
// note exists exactly when the step is done.
func (e *Engine) runNote(ctx context.Context, run store.FlowRun, d *Definition, s *Step, env map[string]any) error {
	if run.ConversationID == nil {
		return e.fail(ctx, run, s, "a note needs a conversation, and this run has none")
	}
	text, err := s.texts["text"].render(env, nil)
	if err != nil {
		return e.fail(ctx, run, s, err.Error())
	}
	_, err = e.Inbox.AddNoteWith(ctx, inbox.System, *run.ConversationID, inbox.Outgoing{Text: text},
		func(tx *store.Tx, m parley.Message) error {
			return e.record(tx, run.ID, s, map[string]any{"text": text}, map[string]any{"message_id": m.ID}, d.after(s))
		})
	if err != nil && !errors.Is(err, errStale) && parley.ErrorCode(err) != parley.EINTERNAL {
		// The conversation is gone or refuses the note: end the run
		// with the reason rather than retrying what cannot succeed.
		return e.fail(ctx, run, s, parley.ErrorMessage(err))
	}
	return err
}

// runReply sends the customer a message on the conversation's channel,
// through its rules (a reply window, opt-outs), and records the step in
// the message's own transaction: the message is queued for sending (by
// the channel's durable send job) exactly when the step is done. A reply
// the channel refuses (outside WhatsApp's 24 hours, say) fails the step
// with the channel's reason.
func (e *Engine) runReply(ctx context.Context, run store.FlowRun, d *Definition, s *Step, env map[string]any) error {
	if run.ConversationID == nil {
		return e.fail(ctx, run, s, "a reply needs a conversation, and this run has none")
	}
	text, err := s.texts["text"].render(env, nil)
	if err != nil {
		return e.fail(ctx, run, s, err.Error())
	}
	_, err = e.Inbox.ReplyWith(ctx, inbox.System, *run.ConversationID, inbox.Outgoing{Text: text, Automated: true},
		func(tx *store.Tx, m parley.Message) error {
			return e.record(tx, run.ID, s, map[string]any{"text": text}, map[string]any{"message_id": m.ID}, d.after(s))
		})
	if err != nil && !errors.Is(err, errStale) && parley.ErrorCode(err) != parley.EINTERNAL {
		return e.fail(ctx, run, s, parley.ErrorMessage(err))
	}
	return err
}

// runWait waits: the first time, it records the step as started with the
// time it ends and queues the run's next look for then; at that look, it
// records the step done. The time is in the database, so a wait survives
// restarts, and a look that comes early (a retry) waits again.
func (e *Engine) runWait(ctx context.Context, run store.FlowRun, d *Definition, s *Step) error {
	err := e.DB.Write(ctx, func(tx *store.Tx) error {
		cur, err := tx.FlowRun(run.ID)
		if err != nil {
			return err
		}
		if cur.Status != "running" || cur.Step != s.ID {
			return errStale
		}
		rec, err := e.stepRecord(tx, cur, s)
		if err != nil {
			return err
		}
		var in struct {
			Until time.Time `json:"until"`
			After int64     `json:"after_message_id,omitempty"` // waiting for a reply after this message
		}
		if rec.State == "started" {
			if err := json.Unmarshal([]byte(rec.Input), &in); err != nil {
				return err
			}
		} else {
			in.Until = tx.Now().Add(s.wait)
			if s.Until == "reply" {
				if cur.ConversationID == nil {
					return errNoConversation
				}
				if in.After, err = tx.LastMessageID(*cur.ConversationID); err != nil {
					return err
				}
			}
			rec.Input, rec.State, rec.Attempts = jsonText(in), "started", 1
			if err := tx.SaveFlowStep(&rec); err != nil {
				return err
			}
		}
		if s.Until == "reply" {
			// Woken by the trigger consumer when the customer writes on the
			// conversation, or at the end of the wait.
			id, text, ok, err := tx.CustomerMessageAfter(*cur.ConversationID, in.After)
			if err != nil {
				return err
			}
			if ok {
				return e.record(tx, run.ID, s, nil, map[string]any{"replied": true, "message_id": id, "text": text}, d.after(s))
			}
			if !tx.Now().Before(in.Until) {
				return e.record(tx, run.ID, s, nil, map[string]any{"replied": false}, d.after(s))
			}
			return e.enqueueAt(tx, run.ID, in.Until)
		}
		if tx.Now().Before(in.Until) {
			return e.enqueueAt(tx, run.ID, in.Until)
		}
		return e.record(tx, run.ID, s, nil, map[string]any{"waited_until": in.Until}, d.after(s))
	})
	if errors.Is(err, errNoConversation) {
		return e.fail(ctx, run, s, "waiting for a reply needs a conversation, and this run has none")
	}
	return err
}

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

// runUpdate changes the run's conversation (labels, priority, status) in
// the transaction that records the step, as Parley itself (the timeline
// shows who: the workflow's line beside the change).
func (e *Engine) runUpdate(ctx context.Context, run store.FlowRun, d *Definition, s *Step) error {
	if run.ConversationID == nil {
		return e.fail(ctx, run, s, "an update needs a conversation, and this run has none")
	}
	ch := inbox.Change{AddLabels: s.AddLabels, RemoveLabels: s.RemoveLabels}
	if s.Priority != "" {
		p := parley.Priority(s.Priority)
		ch.Priority = &p
	}
	var wantStatus parley.Status
	if s.Status != "" {
		wantStatus = parley.Status(s.Status)
	}
	// A team by its name and an agent by their email, looked up now: a
	// name that no longer exists fails the step with that reason.
	if s.Team != "" {
		id := int64(0)
		if s.Team != "none" {
			teams, err := e.DB.Teams(ctx)
			if err != nil {
				return err
			}
			for _, t := range teams {
				if strings.EqualFold(t.Name, s.Team) {
					id = t.ID
				}
			}
			if id == 0 {
				return e.fail(ctx, run, s, fmt.Sprintf("there is no team %q", s.Team))
			}
		}
		ch.TeamID = &id
	}
	if s.Assignee != "" {
		id := int64(0)
		if s.Assignee != "none" {
			a, _, err := e.DB.AgentByEmail(ctx, s.Assignee)
			if parley.ErrorCode(err) == parley.ENOTFOUND {
				return e.fail(ctx, run, s, fmt.Sprintf("there is no agent %s", s.Assignee))
			} else if err != nil {
				return err
			}
			id = a.ID
		}
		ch.AssigneeID = &id
	}
	err := e.DB.Read(ctx, func(tx *store.Tx) error {
		c, err := tx.Conversation(*run.ConversationID)
		if err == nil && wantStatus != "" && c.Status != wantStatus {
			ch.Status = &wantStatus // a status it already has is no change
		}
		return err
	})
	if err == nil {
		_, err = e.Inbox.UpdateWith(ctx, inbox.System, *run.ConversationID, ch, func(tx *store.Tx, c parley.Conversation) error {
			return e.record(tx, run.ID, s, nil, map[string]any{"labels": c.Labels, "priority": c.Priority, "status": c.Status}, d.after(s))
		})
	}
	if err != nil && !errors.Is(err, errStale) && parley.ErrorCode(err) != parley.EINTERNAL {
		return e.fail(ctx, run, s, parley.ErrorMessage(err))
	}
	return err
}
