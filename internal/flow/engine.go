package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
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
	// Agents asks remote A2A agents, for agent steps (nil: none).
	Agents Asker
	// Tools calls MCP servers' tools, for mcp steps (nil: none).
	Tools ToolCaller
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

// expectedReply is the honest time the run's conversation's inbox
// promises a customer who writes now ("within 2 hours", "by 9:00
// tomorrow"), for a reply that tells the customer when a person will
// look; "" when there is no conversation or no promise.
func (e *Engine) expectedReply(ctx context.Context, run store.FlowRun) string {
	if run.ConversationID == nil || e.Inbox == nil {
		return ""
	}
	c, err := e.DB.Conversation(ctx, *run.ConversationID)
	if err != nil {
		return ""
	}
	p, err := e.Inbox.ExpectedReply(ctx, c.InboxID)
	if err != nil {
		return ""
	}
	return p.Text
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
	env["expected_reply"] = e.expectedReply(ctx, run)
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
	case "email":
		err2 = e.runEmail(ctx, run, d, s, env)
	case "draft":
		err2 = e.runDraft(ctx, run, d, s, env)
	case "classify":
		err2 = e.runClassify(ctx, run, d, s, env)
	case "extract":
		err2 = e.runExtract(ctx, run, d, s, env)
	case "http":
		err2 = e.runHTTP(ctx, j, run, d, s, env)
	case "agent":
		err2 = e.runAgent(ctx, j, run, d, s, env)
	case "mcp":
		err2 = e.runMCP(ctx, j, run, d, s, env)
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
	run, rec, err := e.atStep(tx, runID, s)
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

// atStep reads run runID in tx (locked on PostgreSQL) with the record of
// its step s, or returns errStale when the run has ended or moved past s
// since this worker looked: every move of a run starts here.
func (e *Engine) atStep(tx *store.Tx, runID int64, s *Step) (store.FlowRun, store.FlowStep, error) {
	run, err := tx.FlowRun(runID)
	if err != nil {
		return run, store.FlowStep{}, err
	}
	if run.Status != "running" || run.Step != s.ID {
		return run, store.FlowStep{}, errStale
	}
	rec, err := e.stepRecord(tx, run, s)
	return run, rec, err
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
