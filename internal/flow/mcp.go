package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/parleyhq/parley/internal/connect/mcptool"
	"github.com/parleyhq/parley/internal/store"
)

// ToolCaller calls a tool of an MCP server (connect/mcptool.Caller).
type ToolCaller interface {
	Call(ctx context.Context, call mcptool.Call) (mcptool.Result, error)
}

// runMCP calls one tool of an MCP server, as an http step calls an API:
// the call (endpoint, tool, arguments, idempotency key) is recorded as
// started before it is made, and a retry after a crash makes the same
// call with the same key (sent in _meta, for a server that acts outside
// to honour). A server that cannot be reached is retried with backoff; a
// tool that reports an error fails the step with its words.
func (e *Engine) runMCP(ctx context.Context, j store.Job, run store.FlowRun, d *Definition, s *Step, env map[string]any) error {
	if e.Tools == nil {
		return e.fail(ctx, run, s, "this Parley cannot call MCP servers")
	}
	req, err := e.startCall(ctx, run, s, env)
	if err != nil || req == nil {
		return err
	}
	secret, err := e.secretHeaders(ctx, *req, env)
	if err != nil {
		return e.fail(ctx, run, s, err.Error())
	}
	headers := maps.Clone(req.Headers)
	if headers == nil {
		headers = map[string]string{}
	}
	maps.Copy(headers, secret)
	args, _ := req.Body.(map[string]any)
	res, callErr := e.Tools.Call(ctx, mcptool.Call{Endpoint: req.URL, Headers: headers, Tool: req.Tool, Arguments: args, Key: req.Key})
	if e.afterCall != nil {
		e.afterCall(run, s)
	}
	switch {
	case errors.Is(callErr, mcptool.ErrUnavailable):
		if j.Attempts >= j.MaxAttempts {
			return e.fail(ctx, run, s, fmt.Sprintf("gave up after %d attempts: %v", j.Attempts, callErr))
		}
		e.noteAttempt(ctx, run, s, callErr.Error())
		if e.Meter != nil {
			e.Meter.StepFinished(s.Kind, "retry")
		}
		return callError{callErr.Error()}
	case callErr != nil:
		return e.fail(ctx, run, s, callErr.Error())
	case res.IsError:
		return e.fail(ctx, run, s, fmt.Sprintf("the tool %s answered with an error: %s", req.Tool, clip(res.Text)))
	}
	out := map[string]any{"text": res.Text, "data": res.Data}
	return e.DB.Write(ctx, func(tx *store.Tx) error { return e.record(tx, run.ID, s, nil, out, d.after(s)) })
}

// startCall records a call step as started with its rendered request
// (rendering it the first time, reusing it after); nil with no error
// means the run failed on a template.
func (e *Engine) startCall(ctx context.Context, run store.FlowRun, s *Step, env map[string]any) (*request, error) {
	var req request
	failed, err := e.startStep(ctx, run, s, &req, func(_ *store.Tx, seq int64) (err error) {
		if req, err = render(s, env); err == nil {
			req.Key = idempotencyKey(run.ID, seq)
		}
		return err
	})
	if failed || err != nil {
		return nil, err
	}
	return &req, nil
}

// startStep records a step that reaches outside Parley as started, with
// what it will send: made by fresh the first time, read back into into
// on every later attempt, so a retry or a crash sends the same thing
// (the same idempotency key, the same message ids). failed reports that
// fresh could not make it and the run has failed with its words.
func (e *Engine) startStep(ctx context.Context, run store.FlowRun, s *Step, into any, fresh func(tx *store.Tx, seq int64) error) (failed bool, err error) {
	var freshErr error
	err = e.DB.Write(ctx, func(tx *store.Tx) error {
		_, rec, err := e.atStep(tx, run.ID, s)
		if err != nil {
			return err
		}
		if rec.State == "started" && rec.Input != "{}" {
			if err := json.Unmarshal([]byte(rec.Input), into); err != nil {
				return err
			}
		} else {
			if freshErr = fresh(tx, rec.Seq); freshErr != nil {
				return nil
			}
			rec.Input, rec.State = jsonText(into), "started"
		}
		rec.Attempts++
		rec.Error = ""
		return tx.SaveFlowStep(&rec)
	})
	if err != nil {
		return false, err
	}
	if freshErr != nil {
		return true, e.fail(ctx, run, s, freshErr.Error())
	}
	return false, nil
}

// checkMCP checks an mcp step: an endpoint, a tool and its arguments.
func (c *checker) checkMCP(s *Step, line func(string) int, field string, tmpl func(name, text string)) {
	if s.URL == "" {
		c.add(line("url"), field+".url", "is required: the MCP server's streamable HTTP endpoint")
	} else if !strings.HasPrefix(s.URL, "http://") && !strings.HasPrefix(s.URL, "https://") && !strings.HasPrefix(s.URL, "{{") {
		c.add(line("url"), field+".url", "must start with http:// or https:// (or a {{ }} that gives one)")
	}
	tmpl("url", s.URL)
	c.checkHeaders(s, line, field)
	if strings.TrimSpace(s.Tool) == "" {
		c.add(line("tool"), field+".tool", "is required: the name of the tool to call")
	}
	walkStrings(s.Arguments, "arguments", tmpl)
}
