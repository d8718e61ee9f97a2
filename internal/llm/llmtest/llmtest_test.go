package llmtest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/llm"
	"github.com/parleyhq/parley/internal/llm/llmtest"
	"github.com/parleyhq/parley/internal/outbound"
)

func client(t *testing.T, srv *llmtest.Server, key string) *llm.Client {
	g, err := outbound.Strict().With("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return llm.New(llm.Config{BaseURL: srv.URL, Model: "fake-model", APIKey: key, Timeout: 5 * time.Second}, g.HTTPClient(0), nil)
}

// TestHandle: a handler computes answers from what the request carries,
// as a test of a feature does: here it answers a "summary" from the
// customer's messages it was given as data.
func TestHandle(t *testing.T) {
	srv := llmtest.New(t)
	srv.Handle(func(r llmtest.Request) llmtest.Reply {
		if r.SchemaName() != "summary" || !strings.Contains(r.System(), llm.DataRule) {
			return llmtest.Reply{Status: 400, ErrorMessage: "not a summary request"}
		}
		raw, ok := r.Data("customer_messages")
		var msgs []string
		if !ok || json.Unmarshal(raw, &msgs) != nil || len(msgs) == 0 {
			return llmtest.Reply{Content: `{"wants":""}`}
		}
		b, _ := json.Marshal(map[string]string{"wants": "answer to: " + msgs[len(msgs)-1]})
		return llmtest.Reply{Content: string(b)}
	})
	c := client(t, srv, "")
	schema := json.RawMessage(`{"type":"object","properties":{"wants":{"type":"string","minLength":1}},"required":["wants"],"additionalProperties":false}`)
	var out struct{ Wants string }
	req := llm.Request{Feature: "summary", Messages: []llm.Message{llm.System("Summarise."), llm.Data("customer_messages", []string{"Hi", "Where is A-1042?"})}}
	if _, err := c.JSON(context.Background(), req, schema, &out); err != nil || out.Wants != "answer to: Where is A-1042?" {
		t.Fatalf("JSON = %+v, %v", out, err)
	}
	// No data: the handler's empty "wants" breaks the schema's minLength.
	req.Messages = req.Messages[:1]
	if _, err := c.JSON(context.Background(), req, schema, &out); err == nil {
		t.Fatal("a schema-violating answer was accepted")
	}
	// A script comes before the handler.
	srv.Push(llmtest.Reply{Content: `{"wants":"scripted"}`})
	if _, err := c.JSON(context.Background(), req, schema, &out); err != nil || out.Wants != "scripted" {
		t.Fatalf("scripted = %+v, %v", out, err)
	}
}

// TestModels: GET /v1/models lists the model, behind the key.
func TestModels(t *testing.T) {
	srv := llmtest.New(t)
	srv.Key = "sk-models-123456789"
	for _, tc := range []struct {
		auth string
		want int
	}{{"", 401}, {"Bearer sk-models-123456789", 200}} {
		req, _ := http.NewRequest("GET", srv.URL+"/models", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Object string
			Data   []struct{ ID string }
			Error  *struct{ Message string }
		}
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Fatalf("%q: %d", tc.auth, resp.StatusCode)
		}
		if tc.want == 200 && (body.Object != "list" || len(body.Data) != 1 || body.Data[0].ID != "fake-model") {
			t.Fatalf("models = %+v", body)
		}
		if tc.want == 401 && (body.Error == nil || body.Error.Message == "") {
			t.Fatalf("401 without an OpenAI error body: %+v", body)
		}
	}
	// Unknown paths get the error shape too.
	resp, err := http.Post(srv.URL+"/completions", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("unknown path = %d", resp.StatusCode)
	}
}
