package app_test

import (
	"testing"

	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/llm"
	"github.com/parleyhq/parley/internal/llm/llmtest"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestAIModelKeySealed: the model's API key, saved through the API, is
// read back whole but never reaches the database in clear (the raw
// files and rows are searched for it); nor does the base URL, which is
// sealed with it.
func TestAIModelKeySealed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := apptest.Start(t, dialect, nil)
		const key = "sk-sealed-4f3e2d1c0b9a8f7e6d5c"
		const base = "https://models.internal-example.net/v1"
		e.JSON("PUT", "/api/v1/settings/ai-model", map[string]any{"base_url": base, "model": "fake-model", "api_key": key}, 200, nil)
		cfg, _, ok, err := llm.Load(bg, e.App.DB)
		if err != nil || !ok || cfg.APIKey != key || cfg.BaseURL != base {
			t.Fatalf("Load = %+v %v %v", cfg, ok, err)
		}
		assertNotStored(t, e.App.Config, key, "models.internal-example.net")
	})
}

// TestLLMMetrics: a model call through the app's provider shows in
// /metrics as tokens per feature and inbox and a request per outcome.
func TestLLMMetrics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := apptest.Start(t, dialect, nil)
		srv := llmtest.New(t)
		if _, err := e.App.LLM.Save(bg, parley.RoleOwner, llm.Settings{Enabled: true, BaseURL: srv.URL, Model: "fake-model", TimeoutSeconds: 5}, false); err != nil {
			t.Fatal(err)
		}
		c, _, err := e.App.LLM.Client(bg)
		if err != nil || c == nil {
			t.Fatalf("Client = %v, %v", c, err)
		}
		srv.Push(llmtest.Reply{Content: "The customer wants a refund for order A-1042."}, llmtest.Reply{Status: 500, ErrorMessage: "boom"})
		req := llm.Request{Feature: "summary", InboxID: 4, Messages: []llm.Message{llm.System("Summarise."), llm.Data("customer_messages", []string{"Refund A-1042"})}}
		if _, err := c.Chat(bg, req); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Chat(bg, req); err == nil {
			t.Fatal("the 500 was not an error")
		}
		rec := srv.Requests()[0]
		code, text := getMetrics(t, e, nil)
		if code != 200 {
			t.Fatalf("/metrics = %d", code)
		}
		for series, want := range map[string]float64{
			`parley_llm_tokens_total{feature="summary",inbox="4",kind="prompt"}`:     float64(rec.PromptTokens),
			`parley_llm_tokens_total{feature="summary",inbox="4",kind="completion"}`: float64(rec.CompletionTokens),
			`parley_llm_requests_total{feature="summary",outcome="ok"}`:              1,
			`parley_llm_requests_total{feature="summary",outcome="error"}`:           1,
		} {
			if got, ok := sample(text, series); !ok || got != want {
				t.Errorf("%s = %v (found %v), want %v", series, got, ok, want)
			}
		}
		if rec.PromptTokens == 0 {
			t.Fatal("the fake reported no tokens: nothing was checked")
		}
	})
}
