package web_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/internal/connect/shop"
	"github.com/parleyhq/parley/internal/flow"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/simulate"
)

// TestBrowserWorkflowStory is the whole story. A customer writes on
// WhatsApp, with a photo, that the blender of order A1001 arrived broken;
// the damaged-item workflow checks the order and the stock, makes a return
// label, tells the warehouse and answers on WhatsApp with the label; the
// agent's timeline shows every step. The customer then asks where the
// refund of order A1002 (249 EUR) is; the missing-refund workflow answers
// with its findings, and the refund, above the 100 EUR policy, waits until
// the owner approves it in the inbox; then it is made once and confirmed.
func TestBrowserWorkflowStory(t *testing.T) {
	e, conv, wa, _, waFake, _ := channelEnv(t)
	s := shop.New()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	for _, tm := range flow.Templates() {
		if tm.Name == "Damaged item" || tm.Name == "Missing refund" {
			if _, err := e.App.Flow.Save(bg, strings.Replace(tm.Source, "http://127.0.0.1:8090", srv.URL, 1)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := e.App.Approvals.CreatePolicy(bg, inbox.System, parley.ApprovalPolicy{Name: "Refunds over 100",
		Condition: `action == "flow.step" && amount > 100`, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	customer := func(id, text string, media *simulate.Media) {
		t.Helper()
		hook := simulate.WhatsApp{AppSecret: "wa-secret", PhoneNumberID: "1098"}.Messages(simulate.Message{ID: id, From: "+15550001234", Name: "Ben Carter", Text: text, Media: media})
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/hooks/whatsapp/%d", e.URL, wa.ID), bytes.NewReader(hook.Body))
		req.Header = hook.Header
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("webhook: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	sentToCustomer := func(fragment string) bool {
		for _, r := range waFake.Requests() {
			if strings.Contains(string(r.Body), fragment) {
				return true
			}
		}
		return false
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s (shop %+v)", what, s.Counts())
			}
		}
	}

	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 200)...)
	waFake.AddMedia("5550002", "image/png", png)
	customer("wamid.story-1", "Hi, my blender from order A1001 arrived broken", &simulate.Media{ID: "5550002", MIMEType: "image/png"})
	waitFor("the label on WhatsApp", func() bool { return sentToCustomer("https://labels.shop.example/R") })
	if c := s.Counts(); c.Labels != 1 || c.Notices != 1 {
		t.Fatalf("shop after the damaged item: %+v", c)
	}

	agent := browserAs(t, e, "agent@example.com")
	if err := chromedp.Do(agent, chromedp.Navigate(fmt.Sprintf("%s/app/conversations/%d", e.URL, conv)),
		chromedp.WaitVisible(chromedp.CSS(`#timeline`))); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"Workflow “Damaged item”: started", "label: POST", "answered 201", "warehouse: POST", "replacement: replied to the customer", "Workflow “Damaged item”: finished"} {
		if !waitJS(t, agent, has("#timeline", line), 5*time.Second) {
			txt, _ := chromedp.Run(agent, chromedp.Text(chromedp.CSS(`#timeline`)))
			t.Fatalf("the timeline has no %q:\n%s", line, txt)
		}
	}

	customer("wamid.story-2", "And where is my refund for order A1002? It has been two weeks.", nil)
	waitFor("the findings on WhatsApp", func() bool { return sentToCustomer("I checked order A1002") })
	owner := browserAs(t, e, "owner@example.com")
	if err := chromedp.Do(owner, chromedp.Navigate(e.URL+"/app/approvals"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=approve]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, owner, has("body", "Refund 249 EUR for order A1002"), 3*time.Second) {
		t.Fatal("the approval does not say what it allows")
	}
	if s.Counts().Refunds != 0 {
		t.Fatalf("refunded before the approval: %+v", s.Counts())
	}
	if err := chromedp.Do(owner, chromedp.Click(chromedp.CSS(`[data-testid=approve]`))); err != nil {
		t.Fatal(err)
	}
	waitFor("the refund confirmed on WhatsApp", func() bool { return sentToCustomer("Your refund F") })
	if c := s.Counts(); c.Refunds != 1 {
		t.Fatalf("shop after the approval: %+v", c)
	}
	if !waitJS(t, agent, has("#timeline", "refund: POST"), 5*time.Second) {
		t.Fatal("the refund is not on the timeline")
	}
}
