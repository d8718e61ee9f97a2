package flow

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/parleyhq/parley/internal/connect/mcptool"
	"github.com/parleyhq/parley/internal/outbound"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

type orderIn struct {
	OrderID string `json:"order_id" jsonschema:"the order's id"`
}

type orderOut struct {
	OrderID string  `json:"order_id"`
	Status  string  `json:"status"`
	Amount  float64 `json:"amount"`
}

// shopMCP is a business's MCP server (the official go-sdk's), with one
// tool that looks an order up, checking the bearer token and counting
// the idempotency keys it was sent.
func shopMCP(t *testing.T) (url string, keys *atomic.Int64) {
	keys = new(atomic.Int64)
	srv := mcp.NewServer(&mcp.Implementation{Name: "shop", Version: "1"}, nil)
	mcp.AddTool(srv, &mcp.Tool{Name: "lookup_order", Description: "Looks an order up."},
		func(ctx context.Context, req *mcp.CallToolRequest, in orderIn) (*mcp.CallToolResult, orderOut, error) {
			if req.Params.Meta["parley/idempotency_key"] != nil {
				keys.Add(1)
			}
			if in.OrderID == "Z9999" {
				return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: "no order Z9999"}}}, orderOut{}, nil
			}
			return nil, orderOut{OrderID: in.OrderID, Status: "paid", Amount: 249}, nil
		})
	h := mcp.NewStreamableHTTPHandler(func(r *http.Request) *mcp.Server {
		if r.Header.Get("Authorization") != "Bearer shop-mcp-token" {
			return nil
		}
		return srv
	}, nil)
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return hs.URL, keys
}

// TestMCPStep: a workflow calls a tool of the business's MCP server with
// a secret in a header and uses its structured answer; a tool error
// fails the step with its words; a server that is not there is retried,
// then fails with the reason.
func TestMCPStep(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		r := newRig(t, dialect)
		ctx := context.Background()
		url, keys := shopMCP(t)
		guard, err := outbound.New(outbound.Options{Allow: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		r.engine.Tools = &mcptool.Caller{DB: r.db, HTTP: guard.HTTPClient(0), Version: "test"}
		if err := r.engine.SetSecret(ctx, "shop_mcp", "shop-mcp-token"); err != nil {
			t.Fatal(err)
		}
		r.run(t)
		doc := `
name: Look up
trigger: {event: manual}
steps:
  - id: order
    kind: mcp
    url: "{{ input.mcp }}"
    headers: {Authorization: "Bearer {{ secrets.shop_mcp }}"}
    tool: lookup_order
    arguments: {order_id: "{{ input.order_id }}"}
  - id: tell
    kind: note
    text: "Order {{ steps.order.data.order_id }} is {{ steps.order.data.status }} ({{ steps.order.data.amount }})."
`
		run := waitRun(t, r.db, r.start(t, doc, "t/mcp", map[string]any{"mcp": url, "order_id": "A1001"}).ID)
		msgs, _ := r.db.Messages(ctx, []int64{r.conv})
		if run.Status != "succeeded" || msgs[len(msgs)-1].Text != "Order A1001 is paid (249)." || keys.Load() != 1 {
			t.Fatalf("run %+v, note %q, keys %d", run, msgs[len(msgs)-1].Text, keys.Load())
		}
		steps, _ := r.db.FlowSteps(ctx, run.ID)
		if strings.Contains(steps[0].Input, "shop-mcp-token") {
			t.Fatal("the secret was stored with the run")
		}
		run = waitRun(t, r.db, r.start(t, strings.Replace(doc, "name: Look up", "name: Look up 2", 1), "t/mcp-err", map[string]any{"mcp": url, "order_id": "Z9999"}).ID)
		if run.Status != "failed" || !strings.Contains(run.Error, "the tool lookup_order answered with an error: no order Z9999") {
			t.Fatalf("a tool error: %+v", run)
		}
		run = waitRun(t, r.db, r.start(t, strings.Replace(doc, "name: Look up", "name: Look up 3", 1), "t/mcp-down", map[string]any{"mcp": "http://127.0.0.1:1/mcp", "order_id": "A1001"}).ID)
		if run.Status != "failed" || !strings.Contains(run.Error, "gave up after") {
			t.Fatalf("a server that is not there: %+v", run)
		}
		calls, _ := r.db.AgentCalls(ctx, store.AgentCallFilter{Protocol: "mcp"})
		if len(calls) < 3 || calls[len(calls)-1].Subject != "lookup_order" || calls[len(calls)-1].Outcome != "ok" {
			t.Fatalf("audit: %+v", calls)
		}
	})
}
