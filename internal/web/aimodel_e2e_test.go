package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/internal/llm/llmtest"
)

// TestBrowserAIModel: an owner opens Settings → AI model from the
// settings menu, types a local model's address, tests the connection
// before saving, saves, and sees the key only as "set".
func TestBrowserAIModel(t *testing.T) {
	e := start(t, "sqlite")
	srv := llmtest.New(t)
	const key = "sk-browser-1a2b3c4d5e6f7a8b"
	srv.Key = key
	ctx := browserAs(t, e, "owner@example.com")
	err := chromedp.Do(ctx,
		chromedp.Navigate(e.URL+"/app/admin/agents"),
		chromedp.Click(`[data-testid=nav-ai-model]`),
		chromedp.WaitVisible(`[data-testid=aimodel-form]`),
		chromedp.SetValue(`[data-testid=aimodel-base-url]`, srv.URL),
		chromedp.SetValue(`[data-testid=aimodel-model]`, "fake-model"),
		chromedp.SendKeys(`[data-testid=aimodel-key]`, key),
		chromedp.Click(`[data-testid=aimodel-test-button]`),
		chromedp.WaitVisible(`[data-testid=aimodel-test]`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, has("[data-testid=aimodel-test]", "Connected."), 3*time.Second) {
		t.Fatal("the connection test did not say Connected")
	}
	// The typed values stay in the form after the test; the key does not.
	err = chromedp.Do(ctx,
		chromedp.SendKeys(`[data-testid=aimodel-key]`, key),
		chromedp.Click(`[data-testid=aimodel-enabled]`),
		chromedp.Click(`[data-testid=aimodel-save]`),
		chromedp.WaitVisible(`[data-testid=aimodel-key-state]`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, has("[data-testid=aimodel-key-state]", "API key: set"), 3*time.Second) {
		t.Fatal("the saved key is not shown as set")
	}
	html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{key, key[3:12]} {
		if strings.Contains(html, bad) {
			t.Fatalf("the page holds the key (%q)", bad)
		}
	}
	set, err := e.App.LLM.Settings(bg)
	if err != nil || !set.Configured() || set.APIKey != key || set.BaseURL != srv.URL || !set.MaskContacts {
		t.Fatalf("saved = %+v, %v", set, err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Fatalf("the model got %d requests, want the one test", n)
	}
}
