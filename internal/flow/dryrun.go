package flow

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// DryRun asks what a workflow would do, touching nothing: no call is
// made, no message written, no run stored. Outputs gives the answers
// calls would get (step id → output), to see each branch; a step whose
// answer is not given is shown with what it would send, and later steps
// see its output as empty.
type DryRun struct {
	ConversationID int64                     `json:"conversation_id"`
	Input          map[string]any            `json:"input"`
	Outputs        map[string]map[string]any `json:"outputs"`
}

// PlannedStep is one step a dry run passed, in order.
type PlannedStep struct {
	Step    string   `json:"step"`
	Kind    string   `json:"kind"`
	Would   string   `json:"would"`             // in words
	Request *request `json:"request,omitempty"` // an http step's request (secrets left as their names)
	Text    string   `json:"text,omitempty"`    // a note's or a reply's text
	Output  any      `json:"output,omitempty"`  // the output later steps see
	Problem string   `json:"problem,omitempty"` // what would fail here
}

// Plan is a dry run's answer.
type Plan struct {
	Version int64          `json:"version"`
	Starts  bool           `json:"starts"` // the trigger's condition holds for this input
	Why     string         `json:"why"`
	Input   map[string]any `json:"input"`
	Steps   []PlannedStep  `json:"steps"`
}

// DryRun plans the current version of workflow id against dr: with a
// conversation and a message trigger, its last customer message is the
// input, as if it had just arrived.
func (e *Engine) DryRun(ctx context.Context, id int64, dr DryRun) (Plan, error) {
	w, err := e.DB.Workflow(ctx, id)
	if err != nil {
		return Plan{}, err
	}
	d, err := e.definition(ctx, w.ID, w.Version)
	if err != nil {
		return Plan{}, err
	}
	p := Plan{Version: w.Version, Input: dr.Input}
	if p.Input == nil {
		p.Input = map[string]any{}
	}
	if dr.ConversationID != 0 {
		c, err := e.DB.Conversation(ctx, dr.ConversationID)
		if err != nil {
			return p, err
		}
		p.Input["conversation_id"], p.Input["contact_id"] = c.ID, c.ContactID
		if d.Trigger.Event == parley.EventMessageCreated {
			msgs, err := e.DB.Messages(ctx, []int64{c.ID})
			if err != nil {
				return p, err
			}
			for i := len(msgs) - 1; i >= 0; i-- {
				if m := msgs[i]; m.Direction == parley.Incoming {
					p.Input["message"] = map[string]any{"id": m.ID, "text": m.Text, "lower": strings.ToLower(m.Text), "attachments": len(m.Attachments)}
					break
				}
			}
		}
	}
	p.Starts, _ = d.matches(p.Input)
	switch {
	case d.Trigger.When == "":
		p.Why = "the trigger has no condition"
	case p.Starts:
		p.Why = "the trigger's condition holds: " + d.Trigger.When
	default:
		p.Why = "the trigger's condition does not hold: " + d.Trigger.When
	}
	vars := runVars{Input: p.Input, Steps: map[string]any{}, Vars: map[string]any{}}
	promise := ""
	if dr.ConversationID != 0 {
		promise = e.expectedReply(ctx, store.FlowRun{ConversationID: &dr.ConversationID})
	}
	env := func() map[string]any {
		m := vars.env(store.FlowRun{})
		if dr.ConversationID != 0 {
			m["conversation_id"] = dr.ConversationID
		}
		m["expected_reply"] = promise
		return m
	}
	for id := d.Steps[0].ID; id != ""; {
		s := d.Step(id)
		ps := PlannedStep{Step: s.ID, Kind: s.Kind}
		next := d.after(s)
		var out any
		switch s.Kind {
		case "http":
			req, err := render(s, env())
			if err != nil {
				ps.Problem = err.Error()
				break
			}
			ps.Request = &req
			ps.Would = fmt.Sprintf("call %s %s", req.Method, req.URL)
			if s.Approve != nil {
				ps.Would += ", after the approval policies allow it"
			}
			if given, ok := dr.Outputs[s.ID]; ok {
				out = given
			} else {
				out = map[string]any{}
				ps.Would += " (its answer is not known in a dry run: later steps see it empty)"
			}
		case "if":
			ok, err := evalBool(s.when, env())
			if err != nil {
				ps.Problem = err.Error()
				break
			}
			if ok && s.Then != "" {
				next = s.Then
			} else if !ok && s.Else != "" {
				next = s.Else
			}
			if next == "end" {
				next = ""
			}
			ps.Would, out = fmt.Sprintf("find %s true: go on to %s", map[bool]string{true: "it", false: "it not"}[ok], orEnd(next)), map[string]any{"result": ok}
		case "note", "reply", "email":
			text, err := s.texts["text"].render(env(), nil)
			if err != nil {
				ps.Problem = err.Error()
				break
			}
			ps.Text = text
			ps.Would = map[string]string{"note": "add a note", "reply": "send the customer this reply", "email": "email the customer this", "draft": "draft this reply for a person to send"}[s.Kind]
			if s.Kind == "email" {
				if _, err := e.emailInbox(ctx, s.Inbox); err != nil {
					ps.Problem = parley.ErrorMessage(err)
				}
			}
			if dr.ConversationID == 0 {
				ps.Problem = "a " + s.Kind + " needs a conversation"
			}
			out = map[string]any{}
		case "set":
			m := map[string]any{}
			for k := range s.Values {
				v, err := s.texts["values."+k].value(env(), nil)
				if err != nil {
					ps.Problem = err.Error()
					break
				}
				m[k] = v
			}
			maps.Copy(vars.Vars, m)
			ps.Would, out = "set "+strings.Join(sortedKeys(m), ", "), m
		case "classify", "extract":
			text, err := s.texts["text"].render(env(), nil)
			if err != nil {
				ps.Problem = err.Error()
				break
			}
			// Rules only: a dry run sends no customer words to a model.
			if s.Kind == "classify" {
				class, _ := (&Engine{}).classify(ctx, s, text)
				ps.Would, out = "classify it as "+class, map[string]any{"class": class, "by": "rules"}
			} else {
				m, _ := (&Engine{}).extractFields(ctx, s, text)
				m["by"] = "rules"
				ps.Would, out = strings.TrimPrefix(summarize(s, "", m), s.ID+": "), m
			}
			ps.Would += " (by its rules; with a model configured, a real run asks the model first)"
		case "mcp":
			req, err := render(s, env())
			if err != nil {
				ps.Problem = err.Error()
				break
			}
			ps.Request = &req
			ps.Would = fmt.Sprintf("call the tool %s at %s", s.Tool, req.URL)
			if given, ok := dr.Outputs[s.ID]; ok {
				out = given
			} else {
				out = map[string]any{}
				ps.Would += " (its answer is not known in a dry run: later steps see it empty)"
			}
		case "agent":
			calls, err := renderAsks(s, env(), 0, 0)
			if err != nil {
				ps.Problem = err.Error()
				break
			}
			var asked []string
			for _, c := range calls {
				asked = append(asked, fmt.Sprintf("ask the agent %s %q", c.Agent, c.Text))
			}
			ps.Would = strings.Join(asked, "; ")
			if given, ok := dr.Outputs[s.ID]; ok {
				out = given
			} else {
				out = map[string]any{}
				ps.Would += " (its answer is not known in a dry run: later steps see it empty)"
			}
		case "update":
			ps.Would, out = strings.TrimPrefix(summarize(s, "", nil), s.ID+": "), map[string]any{}
		case "wait":
			ps.Would = "wait " + s.For
			if s.Until == "reply" {
				ps.Would = "wait for the customer's reply, at most " + s.For
			}
			out = map[string]any{}
			if given, ok := dr.Outputs[s.ID]; ok {
				out = given
			}
		}
		ps.Output = out
		vars.Steps[s.ID] = out
		p.Steps = append(p.Steps, ps)
		if ps.Problem != "" {
			break // the run would fail here
		}
		id = next
	}
	return p, nil
}

func orEnd(id string) string {
	if id == "" {
		return "the end"
	}
	return id
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
