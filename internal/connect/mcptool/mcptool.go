// Package mcptool is Parley as an MCP client: a workflow's mcp step calls
// one tool of an MCP server (streamable HTTP) through the official
// go-sdk, so a business's own MCP server is a connector with no glue. The
// call goes through Parley's outbound guard and into the agent-call
// audit; what the tool answers is untrusted data.
package mcptool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/parleyhq/parley/internal/store"
)

// Caller calls tools.
type Caller struct {
	DB *store.DB // for the audit; nil: none
	// HTTP is a client through the outbound guard.
	HTTP *http.Client
	// Version is Parley's, told to servers as the client's.
	Version string
}

// Call is one tool call: the server's endpoint, headers to send (an
// Authorization with a secret), the tool and its arguments, and the
// idempotency key the step sends on every try (in _meta, where a server
// that acts outside may honour it).
type Call struct {
	Endpoint  string
	Headers   map[string]string
	Tool      string
	Arguments map[string]any
	Key       string
}

// Result is what a tool answered: its text content joined, its
// structured content, and whether it reported an error.
type Result struct {
	Text    string `json:"text"`
	Data    any    `json:"data,omitempty"`
	IsError bool   `json:"is_error,omitempty"`
}

// ErrUnavailable marks a server that could not be reached or failed at
// the protocol level: a step retries it with backoff. A tool that
// answers with isError is a Result, not this.
var ErrUnavailable = errors.New("mcptool: the server is unavailable")

type unavailableError struct{ err error }

func (e *unavailableError) Error() string   { return clip(e.err.Error()) }
func (e *unavailableError) Unwrap() []error { return []error{ErrUnavailable, e.err} }

// Call connects, calls the tool and closes.
func (c *Caller) Call(ctx context.Context, call Call) (res Result, err error) {
	began := time.Now()
	defer func() { c.audit(ctx, call, err, res, began) }()
	hc := c.HTTP
	if len(call.Headers) > 0 {
		hc = &http.Client{Transport: headers{h: call.Headers, next: transportOf(c.HTTP)}, Timeout: c.HTTP.Timeout, CheckRedirect: c.HTTP.CheckRedirect}
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "parley", Version: c.Version}, nil)
	session, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: call.Endpoint, HTTPClient: hc, MaxRetries: -1,
		DisableStandaloneSSE: true}, nil)
	if err != nil {
		return res, &unavailableError{fmt.Errorf("connecting to %s: %w", call.Endpoint, err)}
	}
	defer session.Close()
	params := &mcp.CallToolParams{Name: call.Tool, Arguments: call.Arguments}
	if call.Key != "" {
		params.Meta = mcp.Meta{"parley/idempotency_key": call.Key}
	}
	out, err := session.CallTool(ctx, params)
	if err != nil {
		return res, &unavailableError{fmt.Errorf("calling %s on %s: %w", call.Tool, call.Endpoint, err)}
	}
	var texts []string
	for _, ct := range out.Content {
		if t, ok := ct.(*mcp.TextContent); ok && strings.TrimSpace(t.Text) != "" {
			texts = append(texts, t.Text)
		}
	}
	res = Result{Text: clipLong(strings.Join(texts, "\n")), IsError: out.IsError}
	if out.StructuredContent != nil {
		// Re-decoded so a workflow reads plain maps and numbers.
		b, _ := json.Marshal(out.StructuredContent)
		_ = json.Unmarshal(b, &res.Data)
	}
	return res, nil
}

func (c *Caller) audit(ctx context.Context, call Call, err error, res Result, began time.Time) {
	if c.DB == nil {
		return
	}
	a := store.AgentCall{Direction: "out", Protocol: "mcp", Method: "tools/call", Remote: call.Endpoint, Subject: call.Tool,
		Outcome: "ok", DurationUS: time.Since(began).Microseconds()}
	switch {
	case err != nil:
		a.Outcome, a.Error = "error", err.Error()
	case res.IsError:
		a.Outcome, a.Error = "error", "the tool reported an error: "+clip(res.Text)
	}
	_ = c.DB.RecordAgentCall(context.WithoutCancel(ctx), a)
}

type headers struct {
	h    map[string]string
	next http.RoundTripper
}

func (h headers) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h.h {
		r.Header.Set(k, v)
	}
	return h.next.RoundTrip(r)
}

func transportOf(c *http.Client) http.RoundTripper {
	if c.Transport != nil {
		return c.Transport
	}
	return http.DefaultTransport
}

func clip(s string) string {
	if r := []rune(s); len(r) > 300 {
		return string(r[:300]) + "…"
	}
	return s
}

func clipLong(s string) string {
	if r := []rune(s); len(r) > 8000 {
		return string(r[:8000]) + "…"
	}
	return s
}
