package mcp

import (
	"context"
	"errors"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/parleyhq/parley/internal/api"
	"github.com/parleyhq/parley/internal/store"
)

// audit records every tools/call in the agent-call audit, whatever
// became of it: a tool's success or failure, a refusal, an unknown tool,
// arguments that did not match the schema. It wraps the whole method,
// not each tool, so that nothing a client calls escapes it.
func (s *Server) audit(c api.Caller) sdk.Middleware {
	return func(next sdk.MethodHandler) sdk.MethodHandler {
		return func(ctx context.Context, method string, req sdk.Request) (sdk.Result, error) {
			if method != "tools/call" {
				return next(ctx, method, req)
			}
			start := time.Now()
			res, err := next(ctx, method, req)
			call := store.AgentCall{Direction: "in", Protocol: "mcp", Method: method, AgentID: c.AgentID,
				Outcome: "ok", DurationUS: time.Since(start).Microseconds()}
			if c.TokenID != 0 {
				id := c.TokenID
				call.TokenID = &id
			}
			if p, ok := req.GetParams().(*sdk.CallToolParamsRaw); ok {
				call.Subject = p.Name
			}
			if failure := callError(res, err); failure != "" {
				call.Outcome, call.Error = "error", failure
			}
			// Recorded even when the client went away: the call happened.
			if aerr := s.DB.RecordAgentCall(context.WithoutCancel(ctx), call); aerr != nil {
				s.logf("mcp: recording a call in the audit", "tool", call.Subject, "err", aerr)
			}
			return res, err
		}
	}
}

// callError is what went wrong with a call, for the audit ("" when
// nothing did): the whole error, internal details included, since only
// Parley's own people read the audit.
func callError(res sdk.Result, err error) string {
	if err != nil {
		return err.Error()
	}
	r, ok := res.(*sdk.CallToolResult)
	if !ok || r == nil || !r.IsError {
		return ""
	}
	if e := r.GetError(); e != nil {
		var te *toolError
		if errors.As(e, &te) {
			return te.err.Error()
		}
		return e.Error()
	}
	for _, c := range r.Content {
		if t, ok := c.(*sdk.TextContent); ok {
			return t.Text
		}
	}
	return "the tool reported an error"
}
