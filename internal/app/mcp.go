package app

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
)

// `parley mcp` serves MCP on stdin and stdout (internal/mcp), acting as
// the API token in PARLEY_TOKEN: a desktop client starts it as a child
// process, so the token comes from the client's configuration, not a
// flag that other users could read in the process list. Nothing but the
// protocol may go to stdout; logs go to stderr.

// mcpNoToken is the refusal without a token: what to do about it.
const mcpNoToken = "set PARLEY_TOKEN to an API token to act as (parley token create --name claude --agent-email you@example.com; --scope read for the read tools only)"

// mcpStdin is what `parley mcp` reads: the process's stdin.
var mcpStdin io.Reader = os.Stdin

// serveMCP runs the stdio server until the client closes stdin or ctx
// ends. Beside it run the two loops that keep this process's caches
// true: the event hub and the change watcher, so that a token revoked
// in the server (or an agent deactivated, or masking switched on) holds
// here from the next call, as on every node, not after the token cache's
// minute.
func (a *App) serveMCP(ctx context.Context, token string, stdout io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := a.Hub.Run(ctx); err != nil && ctx.Err() == nil {
			slog.Error("mcp: the event hub stopped", "err", err)
		}
	}()
	go func() { defer wg.Done(); a.changes.Run(ctx) }()
	err := a.MCP.ServeStdio(ctx, token, mcpStdin, stdout)
	cancel()
	wg.Wait()
	return err
}
