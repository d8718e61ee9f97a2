package flow

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/connect/agents"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Asker asks remote agents (connect/agents.Service).
type Asker interface {
	Ask(ctx context.Context, name string, q agents.Question) (agents.Answer, error)
	Check(ctx context.Context, name, taskID string) (agents.Answer, error)
}

// Ask is one question of an agent step that asks several agents at
// once: its name (the key of its answer), the agent, the text and data.
type Ask struct {
	Name  string         `yaml:"name"`
	Agent string         `yaml:"agent"`
	Text  string         `yaml:"text"`
	Data  map[string]any `yaml:"data"`
}

// agentCall is one question as the step records it before asking: the
// message id it is sent under (the same on every retry), then the task
// the agent opened, then its final answer.
type agentCall struct {
	Name      string         `json:"name,omitempty"`
	Agent     string         `json:"agent"`
	MessageID string         `json:"message_id"`
	Text      string         `json:"text"`
	Data      map[string]any `json:"data,omitempty"`
	TaskID    string         `json:"task_id,omitempty"`
	Answer    *agents.Answer `json:"answer,omitempty"`
}

type agentInput struct {
	Calls    []agentCall `json:"calls"`
	Deadline time.Time   `json:"deadline"`
}

// agentPoll is how long a step waits before reading again a task an
// agent is still working on.
var agentPoll = 2 * time.Second

// asks returns the step's questions: its ask list, or its one agent.
func (s *Step) asks() []Ask {
	if len(s.Asks) > 0 {
		return s.Asks
	}
	return []Ask{{Agent: s.Agent, Text: s.Text, Data: s.Data}}
}

// runAgent asks one or more remote agents (in parallel) and waits for
// their answers, durably: the questions, with the message ids they go
// under, are recorded before any is sent; each task an agent opens is
// recorded as soon as it is known, and read again (GetTask) rather than
// asked again; a crash before that re-sends the same message id, which
// an agent that dedupes (Parley's own do) answers with the same task.
// An agent still working is looked at again later by a new job, so a
// slow agent holds no worker.
func (e *Engine) runAgent(ctx context.Context, j store.Job, run store.FlowRun, d *Definition, s *Step, env map[string]any) error {
	if e.Agents == nil {
		return e.fail(ctx, run, s, "this Parley cannot ask remote agents")
	}
	var in agentInput
	failed, err := e.startStep(ctx, run, s, &in, func(tx *store.Tx, seq int64) (err error) {
		if in.Calls, err = renderAsks(s, env, run.ID, seq); err == nil {
			in.Deadline = tx.Now().Add(s.timeout)
		}
		return err
	})
	if failed || err != nil {
		return err
	}
	if !e.DB.Now().Before(in.Deadline) {
		var waiting []string
		for _, c := range in.Calls {
			if c.Answer == nil || !c.Answer.Done() {
				waiting = append(waiting, c.Agent)
			}
		}
		return e.fail(ctx, run, s, fmt.Sprintf("no final answer within %s from %s", s.timeout, strings.Join(waiting, ", ")))
	}
	errs := make([]error, len(in.Calls))
	var wg sync.WaitGroup
	for i := range in.Calls {
		c := &in.Calls[i]
		if c.Answer != nil && c.Answer.Done() {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ans agents.Answer
			var err error
			if c.TaskID != "" {
				ans, err = e.Agents.Check(ctx, c.Agent, c.TaskID)
			} else {
				ans, err = e.Agents.Ask(ctx, c.Agent, agents.Question{MessageID: c.MessageID, Text: c.Text, Data: c.Data})
			}
			if err == nil {
				c.Answer = &ans
				if ans.TaskID != "" {
					c.TaskID = ans.TaskID
				}
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	// What was learnt is kept first, so a retry or a crash reads the
	// tasks instead of asking again.
	if err := e.saveAgentInput(ctx, run, s, in); err != nil {
		return err
	}
	var retry []string
	for i, err := range errs {
		c := in.Calls[i]
		switch {
		case err == nil:
		case errors.Is(err, agents.ErrUnavailable):
			retry = append(retry, err.Error())
		default:
			return e.fail(ctx, run, s, parley.ErrorMessage(err))
		}
		if c.Answer != nil && c.Answer.Failed() {
			return e.fail(ctx, run, s, fmt.Sprintf("the agent %s could not answer (%s): %s", c.Agent, shortState(c.Answer.State), clip(c.Answer.Text)))
		}
	}
	if len(retry) > 0 {
		reason := strings.Join(retry, "; ")
		if j.Attempts >= j.MaxAttempts {
			return e.fail(ctx, run, s, fmt.Sprintf("gave up after %d attempts: %s", j.Attempts, reason))
		}
		e.noteAttempt(ctx, run, s, reason)
		if e.Meter != nil {
			e.Meter.StepFinished(s.Kind, "retry")
		}
		return callError{reason}
	}
	for _, c := range in.Calls {
		if c.Answer == nil || !c.Answer.Done() {
			// Still working: look again soon, as a new job.
			return e.DB.Write(ctx, func(tx *store.Tx) error {
				if _, _, err := e.atStep(tx, run.ID, s); err != nil {
					return err
				}
				return e.enqueueAt(tx, run.ID, tx.Now().Add(agentPoll))
			})
		}
	}
	out := map[string]any{}
	if len(s.Asks) == 0 {
		out = answerOutput(in.Calls[0])
	} else {
		for _, c := range in.Calls {
			out[c.Name] = answerOutput(c)
		}
	}
	return e.DB.Write(ctx, func(tx *store.Tx) error { return e.record(tx, run.ID, s, nil, out, d.after(s)) })
}

func (e *Engine) saveAgentInput(ctx context.Context, run store.FlowRun, s *Step, in agentInput) error {
	return e.DB.Write(ctx, func(tx *store.Tx) error {
		_, rec, err := e.atStep(tx, run.ID, s)
		if err != nil {
			return err
		}
		rec.Input = jsonText(in)
		return tx.SaveFlowStep(&rec)
	})
}

func answerOutput(c agentCall) map[string]any {
	out := map[string]any{"agent": c.Agent, "task_id": c.TaskID, "state": shortState(c.Answer.State), "text": c.Answer.Text}
	data := map[string]any{}
	for k, v := range c.Answer.Data {
		data[k] = v
	}
	out["data"] = data
	return out
}

// shortState is a task state as a workflow reads it: "completed", not
// "TASK_STATE_COMPLETED".
func shortState(s string) string {
	return strings.ToLower(strings.TrimPrefix(s, "TASK_STATE_"))
}

// renderAsks renders the step's questions with their message ids.
func renderAsks(s *Step, env map[string]any, runID, seq int64) ([]agentCall, error) {
	var calls []agentCall
	for _, a := range s.asks() {
		prefix := ""
		if a.Name != "" {
			prefix = "ask." + a.Name + "."
		}
		text, err := s.texts[prefix+"text"].render(env, nil)
		if err != nil {
			return nil, err
		}
		c := agentCall{Name: a.Name, Agent: a.Agent, Text: text, MessageID: fmt.Sprintf("parley-run-%d-step-%d", runID, seq)}
		if a.Name != "" {
			c.MessageID += "-" + a.Name
		}
		if a.Data != nil {
			v, err := fill(a.Data, prefix+"data", s.texts, env)
			if err != nil {
				return nil, err
			}
			c.Data, _ = v.(map[string]any)
		}
		calls = append(calls, c)
	}
	return calls, nil
}

// checkAgent checks an agent step: one agent with a text, or a list of
// named asks (at most five), each a known agent name and a text.
func (c *checker) checkAgent(s *Step, line func(string) int, field string, tmpl func(name, text string)) {
	switch {
	case len(s.Asks) > 0 && (s.Agent != "" || s.Text != "" || s.Data != nil):
		c.add(line("ask"), field+".ask", "ask several agents with ask, or one with agent and text, not both")
		return
	case len(s.Asks) == 0 && (s.Agent == "" || strings.TrimSpace(s.Text) == ""):
		c.add(line("agent"), field+".agent", "an agent step names the agent (Settings → Agents) and the text to ask it, or lists several under ask")
		return
	case len(s.Asks) > 5:
		c.add(line("ask"), field+".ask", "at most 5 agents at once")
		return
	}
	seen := map[string]bool{}
	for i, a := range s.asks() {
		prefix, f := "", field
		if len(s.Asks) > 0 {
			f = fmt.Sprintf("%s.ask[%d]", field, i)
			if !idPattern.MatchString(a.Name) || seen[a.Name] {
				c.add(line("ask"), f+".name", "each ask has a name of its own: lower-case letters, digits and _ (its answer is steps.<step>.<name>)")
				continue
			}
			seen[a.Name] = true
			prefix = "ask." + a.Name + "."
			if strings.TrimSpace(a.Text) == "" {
				c.add(line("ask"), f+".text", "is required: what to ask the agent")
			}
		}
		if !idPattern.MatchString(a.Agent) {
			c.add(line("agent"), f+".agent", "the name of a remote agent (Settings → Agents): lower-case letters, digits and _")
		}
		tmpl(prefix+"text", a.Text)
		walkStrings(a.Data, prefix+"data", tmpl)
	}
	s.timeout = 10 * time.Minute
	if s.Timeout != "" {
		d, err := parseWait(s.Timeout)
		if err != nil {
			c.add(line("timeout"), field+".timeout", err.Error())
		}
		s.timeout = d
	}
}
