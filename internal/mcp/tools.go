package mcp

import (
	"context"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/parleyhq/parley/internal/api"
	"github.com/parleyhq/parley/internal/parley"
)

// addTool adds a typed tool to srv acting as ss. The SDK validates the
// arguments against In's schema and returns Out as structured content
// (and as its JSON in a text block, for clients that read only text):
// data, never prose a model could take for instructions. write marks a
// tool that changes something: read tokens are refused it, with a tool
// error that says so.
func addTool[In, Out any](s *Server, srv *sdk.Server, ss session, write bool, t *sdk.Tool,
	h func(ctx context.Context, c api.Caller, in In) (Out, error)) {
	sdk.AddTool(srv, t, func(ctx context.Context, _ *sdk.CallToolRequest, in In) (*sdk.CallToolResult, Out, error) {
		var zero Out
		c, err := ss.current(ctx)
		if err != nil {
			return nil, zero, failed(err)
		}
		if write && c.Scope != parley.ScopeFull {
			return nil, zero, failed(parley.Errorf(parley.EFORBIDDEN,
				"this API token is read-only: %s changes Parley, so it needs a full token (read tokens may call search_conversations, get_conversation, search_knowledge and draft_reply)", t.Name))
		}
		out, err := h(ctx, c, in)
		if err != nil {
			if parley.ErrorCode(err) == parley.EINTERNAL {
				s.logf("mcp: tool failed", "tool", t.Name, "err", err)
			}
			return nil, zero, failed(err)
		}
		return nil, out, nil
	})
}
