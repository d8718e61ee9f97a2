package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestBulkForm: the list's bulk form resolves the selected conversations,
// says how many, lists the one that could not be (and why), and its Undo
// puts them back.
func TestBulkForm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		c := e.login("agent@example.com")
		var ids []string
		for i := range 4 {
			ids = append(ids, fmt.Sprint(e.incoming(fmt.Sprintf("bulk-%d", i), "", "Hello")))
		}
		_, page, _ := c.do("GET", "/app/", nil, false)
		if !strings.Contains(page, `data-testid="bulk-bar"`) || !strings.Contains(page, `name="ids" value="`+ids[0]+`" form="bulk-form"`) {
			t.Fatalf("the list has no bulk form: %.1500s", page)
		}
		status, body, _ := c.do("POST", "/app/conversations/bulk", url.Values{"action": {"resolve"}, "ids": append(ids, "999999")}, true)
		if status != 200 || !strings.Contains(body, "Resolved 4 of 5; 1 could not be") || !strings.Contains(body, "#999999:") || !strings.Contains(body, `data-testid="bulk-undo"`) {
			t.Fatalf("bulk resolve = %d %s", status, body)
		}
		for _, id := range ids {
			var n int64
			fmt.Sscan(id, &n)
			if conv, _ := e.App.DB.Conversation(bg, n); conv.Status != parley.StatusResolved {
				t.Fatalf("conversation %s is %s", id, conv.Status)
			}
		}
		undo := body[strings.Index(body, `name="undo" value="`)+len(`name="undo" value="`):]
		undo = strings.ReplaceAll(undo[:strings.Index(undo, `"`)], "&#34;", `"`)
		status, body, _ = c.do("POST", "/app/conversations/bulk/undo", url.Values{"undo": {undo}}, true)
		if status != 200 || !strings.Contains(body, "Put back 4 of 4") {
			t.Fatalf("undo = %d %s", status, body)
		}
		var first int64
		fmt.Sscan(ids[0], &first)
		if conv, _ := e.App.DB.Conversation(bg, first); conv.Status != parley.StatusOpen {
			t.Fatalf("after undo: %s", conv.Status)
		}
		if status, body, _ := c.do("POST", "/app/conversations/bulk", url.Values{"action": {"fly"}, "ids": ids}, true); status != 400 || !strings.Contains(body, "choose what to do") {
			t.Fatalf("an unknown action = %d %s", status, body)
		}
	})
}

// TestBrowserBulkResolve: in a real browser, an agent shows 50 open
// conversations, selects them all, resolves them at once, and is told so
// with an Undo; all 50 are resolved, one event each.
func TestBrowserBulkResolve(t *testing.T) {
	e := start(t, "sqlite")
	for i := range 50 {
		e.incoming(fmt.Sprintf("bulk-b-%d", i), fmt.Sprintf("Customer %d", i), "Is my order on its way?")
	}
	before, _ := e.App.DB.LastEventSeq(bg)
	ctx := browserAs(t, e, "agent@example.com")
	if err := chromedp.Do(ctx, chromedp.Navigate(e.URL+"/app/"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=load-more]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=load-more]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, `document.querySelectorAll("[data-testid=conversation-row]").length === 50`, 5*time.Second) {
		t.Fatal("50 rows were not shown")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=select-all]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=bulk-bar]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, `document.querySelector("[data-testid=bulk-count]").textContent === "50 selected"`, 2*time.Second) {
		t.Fatal("the bar does not count 50")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=bulk-apply]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, has("#bulk-result", "Resolved 50 of 50."), 10*time.Second) || !waitJS(t, ctx, `!!document.querySelector("[data-testid=bulk-undo]")`, time.Second) {
		t.Fatal("no result with an Undo")
	}
	page, err := e.App.DB.Conversations(bg, parley.ConversationFilter{Status: parley.StatusResolved, Limit: 100})
	if err != nil || len(page.Conversations) != 50 {
		t.Fatalf("%d resolved, %v", len(page.Conversations), err)
	}
	events, _ := e.App.DB.Events(bg, before, 1000)
	resolved := 0
	for _, ev := range events {
		if strings.Contains(ev.Type, "status") || strings.Contains(ev.Type, "resolved") {
			resolved++
		}
	}
	if resolved != 50 {
		t.Fatalf("%d status events for 50 conversations", resolved)
	}
}
