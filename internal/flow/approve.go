package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/approval"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// KindStep is the approval kind of a workflow's risky call.
const KindStep = "flow.step"

// stepApproval is what an approval of a workflow's call is for: this step
// of this run, sending exactly this request.
type stepApproval struct {
	RunID   int64   `json:"run_id"`
	Seq     int64   `json:"seq"`
	Step    string  `json:"step"`
	Text    string  `json:"text"`
	Request request `json:"request"`
}

// runWaiting is what an approval of a step stays valid under: the run
// still waiting at that step.
type runWaiting struct {
	Status string `json:"status"`
	Step   string `json:"step"`
}

// RegisterApprovals makes workflows' risky calls a kind of approval: the
// approval policies decide whether one waits for a person, and approving
// it lets the run make the call.
func (e *Engine) RegisterApprovals(a *approval.Service) {
	e.Approvals = a
	a.Register(KindStep, approval.Kind{
		State: func(tx *store.Tx, r parley.ApprovalRequest) (json.RawMessage, error) {
			var p stepApproval
			if err := json.Unmarshal(r.Payload, &p); err != nil {
				return nil, err
			}
			run, err := tx.FlowRun(p.RunID)
			if err != nil {
				return nil, err
			}
			return json.Marshal(runWaiting{Status: run.Status, Step: run.Step})
		},
		Changed: func(before, now json.RawMessage) string {
			var n runWaiting
			json.Unmarshal(now, &n)
			if n.Status != "running" {
				return "the workflow run " + n.Status
			}
			return "the workflow run moved on"
		},
		// A rejection wakes the run, which ends with the approver's note.
		Declined: func(tx *store.Tx, r parley.ApprovalRequest) error {
			var p stepApproval
			if err := json.Unmarshal(r.Payload, &p); err != nil {
				return err
			}
			return e.enqueue(tx, p.RunID)
		},
		Execute: func(ctx context.Context, r parley.ApprovalRequest, _ inbox.Actor, commit func(*store.Tx, *int64) error) error {
			var p stepApproval
			if err := json.Unmarshal(r.Payload, &p); err != nil {
				return err
			}
			// The approval and the run's next look commit together: the
			// call is made by the step's job, with the request approved.
			return e.DB.Write(ctx, func(tx *store.Tx) error {
				if err := commit(tx, nil); err != nil {
					return err
				}
				return e.enqueue(tx, p.RunID)
			})
		},
	})
}

// gate decides whether an http step with approve may call now. The first
// time, it renders the request and asks the approval policies: when none
// asks for a person, the call goes ahead; when one does, the request is
// recorded with the approval it waits for, and the run looks again when
// the wait times out (or at once, when someone decides). Later looks
// read the decision: approved, call; pending, wait on; rejected, end the
// run with the approver's note.
func (e *Engine) gate(ctx context.Context, run store.FlowRun, s *Step, env map[string]any) (proceed bool, err error) {
	var rec store.FlowStep
	err = e.DB.Read(ctx, func(tx *store.Tx) error {
		rec, err = e.stepRecord(tx, run, s)
		return err
	})
	if err != nil {
		return false, err
	}
	var waiting request
	if rec.State == "started" && rec.Input != "{}" {
		if err := json.Unmarshal([]byte(rec.Input), &waiting); err != nil {
			return false, err
		}
		if waiting.ApprovalID == 0 {
			return true, nil // past the gate already: no policy asked
		}
		r, err := e.DB.ApprovalRequest(ctx, waiting.ApprovalID)
		if err != nil {
			return false, err
		}
		switch r.State {
		case parley.ApprovalApproved:
			return true, nil
		case parley.ApprovalPending:
			if waiting.Until != nil && !e.DB.Now().Before(*waiting.Until) {
				return false, e.fail(ctx, run, s, fmt.Sprintf("no one approved it within %s (approval request %d: %s)",
					s.Approve.timeout, r.ID, r.Reason))
			}
			if waiting.EscalateAt != nil && !waiting.Escalated && !e.DB.Now().Before(*waiting.EscalateAt) {
				return false, e.escalate(ctx, run, s, waiting)
			}
			return false, e.DB.Write(ctx, func(tx *store.Tx) error { return e.enqueueAt(tx, run.ID, nextLook(waiting)) })
		default:
			why := "it was " + string(r.State)
			if r.Note != "" {
				why += ": " + r.Note
			}
			return false, e.fail(ctx, run, s, fmt.Sprintf("not approved (approval request %d): %s", r.ID, why))
		}
	}
	if e.Approvals == nil {
		return false, e.fail(ctx, run, s, "this step asks for approval, and this Parley has no approval service")
	}
	req, err := render(s, env)
	if err != nil {
		return false, e.fail(ctx, run, s, err.Error())
	}
	text, err := s.texts["approve.text"].render(env, nil)
	if err != nil {
		return false, e.fail(ctx, run, s, err.Error())
	}
	aenv := approval.Env{Text: text}
	if t := s.texts["approve.amount"]; t != nil {
		v, err := t.render(env, nil)
		if err != nil {
			return false, e.fail(ctx, run, s, err.Error())
		}
		if v = strings.TrimSpace(v); v != "" {
			if aenv.Amount, err = strconv.ParseFloat(v, 64); err != nil {
				return false, e.fail(ctx, run, s, fmt.Sprintf("the amount %q is not a number", v))
			}
		}
	}
	if t := s.texts["approve.currency"]; t != nil {
		if aenv.Currency, err = t.render(env, nil); err != nil {
			return false, e.fail(ctx, run, s, err.Error())
		}
	}
	req.Key = idempotencyKey(run.ID, rec.Seq)
	var conv int64
	if run.ConversationID != nil {
		conv = *run.ConversationID
	}
	// The request and the step's record of waiting for it commit together:
	// a decision made at once (a rejection wakes the run) finds the step
	// waiting on this request, never about to ask again.
	until := e.DB.Now().Add(s.Approve.timeout)
	if esc := s.Approve.Escalate; esc != nil {
		at := e.DB.Now().Add(esc.after)
		req.EscalateAt = &at
	}
	asked, err := e.Approvals.Gate(ctx, approval.Subject{Kind: KindStep, ConversationID: conv, Actor: inbox.System,
		Payload: stepApproval{RunID: run.ID, Seq: rec.Seq, Step: s.ID, Text: text, Request: req}, Env: aenv,
		Also: func(tx *store.Tx, asked parley.ApprovalRequest) error {
			cur, rec, err := e.atStep(tx, run.ID, s)
			if err != nil {
				return err
			}
			req.ApprovalID, req.Until = asked.ID, &until
			rec.Input, rec.State, rec.Error = jsonText(req), "started", "waiting for approval: "+asked.Reason
			e.count(tx, func(m Meter) { m.ApprovalWait() })
			if err := e.stepEvent(tx, cur, s, "waiting", s.ID+": waiting for approval ("+asked.Reason+")"); err != nil {
				return err
			}
			if err := tx.SaveFlowStep(&rec); err != nil {
				return err
			}
			return e.enqueueAt(tx, run.ID, nextLook(req))
		}})
	return asked == nil && err == nil, err
}

// nextLook is when a run waiting for approval looks again (besides when
// someone decides): at its escalation, then at its timeout.
func nextLook(r request) time.Time {
	if r.EscalateAt != nil && !r.Escalated && r.EscalateAt.Before(*r.Until) {
		return *r.EscalateAt
	}
	return *r.Until
}

// escalate hands a request no one decided in time to the step's
// escalation agent as well, says so on the conversation's timeline, and
// waits on to the timeout. An agent who is gone or deactivated is said
// too; the request waits for its approvers.
func (e *Engine) escalate(ctx context.Context, run store.FlowRun, s *Step, waiting request) error {
	esc := s.Approve.Escalate
	agent, _, err := e.DB.AgentByEmail(ctx, esc.To)
	if err != nil && parley.ErrorCode(err) != parley.ENOTFOUND {
		return err
	}
	return e.DB.Write(ctx, func(tx *store.Tx) error {
		cur, rec, err := e.atStep(tx, run.ID, s)
		if err != nil {
			return err
		}
		summary := fmt.Sprintf("%s: no decision in %s; escalated to %s", s.ID, esc.After, esc.To)
		switch {
		case agent.ID == 0 || !agent.Active:
			summary = fmt.Sprintf("%s: no decision in %s, and %s is not an active agent to escalate to; it waits for its approvers", s.ID, esc.After, esc.To)
		default:
			if _, err := e.Approvals.Escalate(tx, waiting.ApprovalID, agent, fmt.Sprintf("escalated to %s after %s", esc.To, esc.After)); err != nil {
				if parley.ErrorCode(err) == parley.ECONFLICT {
					return e.enqueue(tx, run.ID) // decided meanwhile: read the decision
				}
				return err
			}
		}
		waiting.Escalated = true
		rec.Input = jsonText(waiting)
		if err := tx.SaveFlowStep(&rec); err != nil {
			return err
		}
		if err := e.stepEvent(tx, cur, s, "waiting", summary); err != nil {
			return err
		}
		return e.enqueueAt(tx, run.ID, *waiting.Until)
	})
}

func idempotencyKey(runID, seq int64) string { return fmt.Sprintf("parley-run-%d-step-%d", runID, seq) }

// runDraft writes a reply for a person to send: it waits in the approval
// queue whatever the policies say (a matching policy decides who may
// approve it; with none, owners and admins), and is sent only when
// someone approves it, as they may edit it first. The proposal and the
// step's record commit together, so a retried step drafts once. The run
// goes on at once: the draft is the team's now.
func (e *Engine) runDraft(ctx context.Context, run store.FlowRun, d *Definition, s *Step, env map[string]any) error {
	if run.ConversationID == nil {
		return e.fail(ctx, run, s, "a draft needs a conversation, and this run has none")
	}
	if e.Approvals == nil {
		return e.fail(ctx, run, s, "this Parley has no approval queue to hold a draft in")
	}
	text, err := s.texts["text"].render(env, nil)
	if err != nil {
		return e.fail(ctx, run, s, err.Error())
	}
	if text, err = parley.ValidateText(text, 0); err != nil {
		return e.fail(ctx, run, s, parley.ErrorMessage(err))
	}
	name := ""
	if d.Name != "" {
		name = " " + d.Name
	}
	subject := approval.ReplySubject(inbox.System, *run.ConversationID, inbox.Outgoing{Text: text})
	subject.Also = func(tx *store.Tx, r parley.ApprovalRequest) error {
		return e.record(tx, run.ID, s, map[string]any{"text": text}, map[string]any{"approval_id": r.ID}, d.after(s))
	}
	_, err = e.Approvals.Propose(ctx, subject, "drafted by the workflow"+name+": a person reads it, may edit it, and sends it")
	if err != nil && !errors.Is(err, errStale) && parley.ErrorCode(err) != parley.EINTERNAL {
		return e.fail(ctx, run, s, parley.ErrorMessage(err))
	}
	return err
}
