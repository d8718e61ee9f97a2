package mcp

import (
	"context"
	"fmt"
	"io"
	"net/http"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/parleyhq/parley/internal/api"
	"github.com/parleyhq/parley/internal/parley"
)

// ServeStdio serves MCP on in and out (newline-delimited JSON-RPC, the
// stdio transport a desktop client starts `parley mcp` with) as the API
// token token, until the client closes in or ctx ends. A token that does
// not work, or whose scope MCP does not serve, is refused before anything
// is read. The token is checked again before every call, as the HTTP
// endpoint checks it on every request: a revoked token stops working
// within the API's token cache time, however long the client stays.
func (s *Server) ServeStdio(ctx context.Context, token string, in io.Reader, out io.Writer) error {
	s.init()
	check := func(ctx context.Context) (api.Caller, error) { return s.callerFor(ctx, token) }
	c, err := check(ctx)
	if err == nil {
		err = mayConnect(c.Scope)
	}
	if code := parley.ErrorCode(err); code == parley.EUNAUTHORIZED || code == parley.EFORBIDDEN {
		return parley.Errorf(code, "the token in PARLEY_TOKEN: %s", parley.ErrorMessage(err))
	} else if err != nil {
		return fmt.Errorf("mcp: checking the token in PARLEY_TOKEN: %w", err)
	}
	srv := s.newServer(session{caller: c, check: check})
	t := &sdk.IOTransport{Reader: io.NopCloser(in), Writer: nopWriteCloser{out}}
	if err := srv.Run(ctx, t); err != nil && ctx.Err() == nil {
		return fmt.Errorf("mcp: stdio: %w", err)
	}
	return nil
}

// callerFor checks token as the API checks a request's bearer token.
func (s *Server) callerFor(ctx context.Context, token string) (api.Caller, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, Path, nil)
	if err != nil {
		return api.Caller{}, err
	}
	r.Header.Set("Authorization", "Bearer "+token)
	return s.Callers.Caller(discard{}, r)
}

// discard is a ResponseWriter for checking a token outside a request:
// the challenge header it would set has nowhere to go.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// nopWriteCloser keeps the transport from closing the process's stdout.
type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
