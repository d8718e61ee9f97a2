package web_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/internal/connect/shop"
)

// TestBrowserWorkflows: an owner starts from a template, breaks it and
// sees each problem with its line, saves it, and reads the step list; a
// run that failed at the shop is shown with its reason and retried from
// the page, and finishes.
func TestBrowserWorkflows(t *testing.T) {
	e := start(t, "sqlite")
	s := shop.New()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	ctx := browserAs(t, e, "owner@example.com")
	if err := chromedp.Do(ctx, chromedp.Navigate(e.URL+"/app/admin/workflows"),
		chromedp.Click(`[data-testid=workflow-template]`),
		chromedp.WaitVisible(`[data-testid=workflow-source]`)); err != nil {
		t.Fatal(err)
	}
	src, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`[data-testid=workflow-source]`)))
	if err != nil || !strings.HasPrefix(src, "name: ") {
		t.Fatalf("the template in the editor: %q %v", src, err)
	}
	// A mistake: an unknown step kind. The page names the line.
	broken := strings.Replace(src, "kind: http", "kind: telepathy", 1)
	if err := chromedp.Do(ctx, chromedp.SetValue(`[data-testid=workflow-source]`, broken),
		chromedp.Click(`[data-testid=workflow-save]`), chromedp.WaitVisible(`[data-testid=workflow-problem]`)); err != nil {
		t.Fatal(err)
	}
	problem, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid=workflow-problem]`)))
	if !strings.Contains(problem, "Line ") || !strings.Contains(problem, `unknown step kind "telepathy"`) {
		t.Fatalf("the problem shown: %q", problem)
	}
	// Fixed and pointed at the test's shop: saved, with its steps listed.
	fixed := strings.Replace(src, "http://127.0.0.1:8090", srv.URL, 1)
	if err := chromedp.Do(ctx, chromedp.SetValue(`[data-testid=workflow-source]`, fixed),
		chromedp.Click(`[data-testid=workflow-save]`), chromedp.WaitVisible(`[data-testid=workflow-steps]`)); err != nil {
		t.Fatal(err)
	}
	steps, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid=workflow-steps]`)))
	if !strings.Contains(steps, "http") || !strings.Contains(steps, "reply") {
		t.Fatalf("steps shown: %q", steps)
	}
	// A run that fails at the shop, retried from its page.
	list, err := e.App.DB.Workflows(context.Background())
	if err != nil || len(list) != 1 {
		t.Fatalf("workflows: %+v %v", list, err)
	}
	conv := e.incoming("cust-wf", "Wanda", "Hello") // not a message the template starts on
	s.FailNext("/orders/A1001", 400)                // the shop refuses once: the run fails at that step
	run, _, err := e.App.Flow.Start(context.Background(), list[0].ID, "browser-1",
		map[string]any{"message": map[string]any{"text": "My order A1001 arrived broken"}}, &conv)
	if err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("%s/app/admin/runs/%d", e.URL, run.ID)
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, _ := e.App.DB.FlowRun(context.Background(), run.ID)
		if got.Status != "running" || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitVisible(`[data-testid=run-status]`)); err != nil {
		t.Fatal(err)
	}
	status, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("[data-testid=run-status]").dataset.status`))
	if status != "failed" {
		t.Fatalf("the run's status on its page: %q", status)
	}
	if err := chromedp.Do(ctx, chromedp.Click(`[data-testid=run-retry]`), chromedp.WaitVisible(`[data-testid=run-status]`)); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		got, _ := e.App.DB.FlowRun(context.Background(), run.ID)
		if got.Status == "succeeded" && s.Counts().Labels == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after retry: %+v, shop %+v", got, s.Counts())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitVisible(`[data-testid=run-steps]`)); err != nil {
		t.Fatal(err)
	}
	rows, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("[data-testid=run-step]").length`))
	if rows < 7 {
		t.Fatalf("%d step rows on the run's page", rows)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(e.URL+"/app/admin/workflows"), chromedp.WaitVisible(`[data-testid=workflow-stats]`)); err != nil {
		t.Fatal(err)
	}
	stats, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid=workflow-stats]`)))
	if !strings.Contains(stats, "1 finished") {
		t.Fatalf("the figures: %q", stats)
	}
}
