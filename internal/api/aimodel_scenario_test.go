package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/llm/llmtest"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// aiModelJSON is GET /api/v1/settings/ai-model's answer.
type aiModelJSON struct {
	Enabled        bool   `json:"enabled"`
	BaseURL        string `json:"base_url"`
	Model          string `json:"model"`
	APIKeySet      bool   `json:"api_key_set"`
	TimeoutSeconds int    `json:"timeout_seconds"`
	MaskContacts   bool   `json:"mask_contacts"`
	Configured     bool   `json:"configured"`
}

// TestAIModelAPI: owners and admins read, replace and test the model
// settings; the key is write-only; bad settings are refused whole. The
// Parley runs with no outbound allow-list: the model on loopback is
// reachable because the admin configured it, and only by the model
// client (a webhook to the same address is still refused, see
// TestWebhookGuarded).
func TestAIModelAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		c := &testClock{}
		e := &env{Env: apptest.StartWith(t, dialect, c.now, func(cfg *config.Config) { cfg.OutboundAllow = "" }), t: t, clock: c}
		_, agentTok := e.agentToken("agent@example.com", parley.RoleAgent)
		_, adminTok := e.agentToken("admin@example.com", parley.RoleAdmin)
		srv := llmtest.New(t)
		const key = "sk-api-7a6b5c4d3e2f1a0b9c8d"
		srv.Key = key
		const path = "/api/v1/settings/ai-model"

		var got aiModelJSON
		e.call("GET", path, nil, 200, &got)
		if got != (aiModelJSON{TimeoutSeconds: 20, MaskContacts: true}) {
			t.Fatalf("defaults = %+v", got)
		}
		good := map[string]any{"base_url": srv.URL, "model": "fake-model", "api_key": key, "timeout_seconds": 5}
		for _, sc := range []struct {
			method string
			path   string
			body   any
		}{{"GET", path, nil}, {"PUT", path, good}, {"POST", path + "/test", nil}} {
			if r := e.send(sc.method, sc.path, nil, sc.body, agentTok); r.status != 403 {
				t.Errorf("agent %s %s = %s", sc.method, sc.path, r)
			}
		}
		e.call("POST", path+"/test", nil, 400, nil) // nothing saved yet

		for _, bad := range []map[string]any{
			{"base_url": "file:///etc/passwd", "model": "m"},
			{"base_url": "http://169.254.169.254/latest", "model": "m"},
			{"base_url": srv.URL, "model": ""},
			{"base_url": srv.URL, "model": "m", "timeout_seconds": 9999},
			{"base_url": srv.URL, "model": "m", "api_key": "two words"},
			{"base_url": srv.URL, "model": "m", "temperature": 0.2},
		} {
			r := e.send("PUT", path, nil, bad, "")
			if r.status != 400 || strings.Contains(string(r.body), key) {
				t.Errorf("PUT %v = %s, want 400", bad, r)
			}
		}
		e.call("GET", path, nil, 200, &got)
		if got.Configured || got.BaseURL != "" {
			t.Fatalf("a refused PUT changed the settings: %+v", got)
		}

		r := e.send("PUT", path, nil, good, adminTok)
		if r.status != 200 || strings.Contains(string(r.body), key) {
			t.Fatalf("PUT = %s", r)
		}
		json.Unmarshal(r.body, &got)
		if got != (aiModelJSON{Enabled: true, BaseURL: srv.URL, Model: "fake-model", APIKeySet: true, TimeoutSeconds: 5, MaskContacts: true, Configured: true}) {
			t.Fatalf("saved = %+v", got)
		}
		if r := e.call("GET", path, nil, 200, nil); strings.Contains(string(r.body), key) || strings.Contains(string(r.body), "api_key\"") {
			t.Fatalf("GET shows the key: %s", r)
		}

		// The test call reaches the model on loopback, with the key.
		srv.Push(llmtest.Reply{Content: "OK"})
		var res struct {
			OK        bool   `json:"ok"`
			Reply     string `json:"reply"`
			Model     string `json:"model"`
			Error     string `json:"error"`
			Status    int    `json:"status"`
			Outcome   string `json:"outcome"`
			LatencyMS *int64 `json:"latency_ms"`
		}
		e.call("POST", path+"/test", nil, 200, &res)
		if !res.OK || res.Reply != "OK" || res.Model != "fake-model" || res.Outcome != "ok" || res.LatencyMS == nil {
			t.Fatalf("test = %+v", res)
		}
		if last := srv.Last(t); last.Authorization != "Bearer "+key || last.Status != 200 {
			t.Fatalf("the fake got %+v", last)
		}

		// Without api_key the key stays; masking can be turned off; a
		// provider error is a 200 that says what went wrong.
		e.call("PUT", path, map[string]any{"base_url": srv.URL + "/", "model": "fake-model", "mask_contacts": false}, 200, &got)
		if !got.APIKeySet || got.MaskContacts || got.BaseURL != srv.URL {
			t.Fatalf("after a PUT without api_key: %+v", got)
		}
		srv.Push(llmtest.Reply{Status: 429, ErrorMessage: "Rate limit reached for requests"})
		r = e.call("POST", path+"/test", nil, 200, &res)
		if res.OK || res.Status != 429 || res.Outcome != "error" || !strings.Contains(res.Error, "Rate limit reached") || strings.Contains(string(r.body), key) {
			t.Fatalf("test against a 429 = %s", r)
		}

		// "" removes the key: the fake, which wants one, refuses.
		e.call("PUT", path, map[string]any{"base_url": srv.URL, "model": "fake-model", "api_key": ""}, 200, &got)
		if got.APIKeySet {
			t.Fatalf("the key was not removed: %+v", got)
		}
		e.call("POST", path+"/test", nil, 200, &res)
		if res.OK || res.Status != 401 {
			t.Fatalf("test without the key = %+v", res)
		}
		for _, rec := range srv.Requests() {
			if rec.Status == 400 {
				t.Errorf("the fake refused a request's shape: %s", rec.Problem)
			}
		}
	})
}
