package web_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserKnowledge: an admin writes an article in Settings →
// Knowledge base and finds it by search; an agent inserts its link into
// a reply at the cursor with the composer's picker; the admin deletes
// it after confirming.
func TestBrowserKnowledge(t *testing.T) {
	e := start(t, "sqlite")
	admin := browserAs(t, e, "owner@example.com")
	err := chromedp.Do(admin,
		chromedp.Navigate(e.URL+"/app/admin/agents"),
		chromedp.Click(chromedp.CSS(`[data-testid=nav-knowledge]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=kb-form]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=kb-title]`), "Refund policy"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=kb-body]`), "We refund any order within **30 days**."),
		chromedp.SendKeys(chromedp.CSS(`input[name=tags]`), "billing, refunds"),
		chromedp.Click(chromedp.CSS(`[data-testid=kb-save]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=kb-public-url]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	public, err := chromedp.Run(admin, chromedp.Text(chromedp.CSS(`[data-testid=kb-public-url]`)))
	if err != nil || !strings.HasSuffix(public, "/help/articles/refund-policy") {
		t.Fatalf("public URL %q, %v", public, err)
	}
	err = chromedp.Do(admin,
		chromedp.Navigate(e.URL+"/app/admin/knowledge"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=kb-search]`), "refunds\n"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=kb-article]`)),
	)
	if err != nil || !waitJS(t, admin, has(`[data-testid=kb-list]`, "Refund policy"), 2*time.Second) {
		t.Fatalf("search in settings: %v", err)
	}

	// The agent's picker, in the composer of a conversation.
	agent := browserAs(t, e, "agent@example.com")
	err = chromedp.Do(agent,
		chromedp.Navigate(e.URL+"/app/conversations/"+strconv.FormatInt(e.convID, 10)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=composer-text]`)))
	if err != nil {
		t.Fatal(err)
	}
	// The cursor stands after "Here it is." in what the agent wrote.
	if _, err := chromedp.Run(agent, chromedp.Evaluate[bool](`(function(){var ta=document.getElementById("composer-text");ta.value="Hello! Here it is. Best, Andy";ta.focus();ta.setSelectionRange(18,18);return true})()`)); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(agent,
		chromedp.Click(chromedp.CSS(`[data-testid=kb-picker] summary`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=kb-picker-q]`), "refund"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=kb-picker-q]`), "\r"), // Enter searches; it must not send the reply
		chromedp.Sleep(600*time.Millisecond),                               // both searches answered and swapped in
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=kb-picker-result]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=kb-picker-result]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(agent, chromedp.Value(chromedp.CSS(`[data-testid=composer-text]`)))
	if err != nil {
		t.Fatal(err)
	}
	want := "Hello! Here it is. Refund policy: " + public + " Best, Andy"
	if text != want {
		t.Fatalf("composer:\n got %q\nwant %q", text, want)
	}
	if msgs := e.messages(e.convID); len(msgs) != 1 {
		t.Fatalf("Enter in the picker sent a reply: %d messages", len(msgs))
	}

	// Deleting asks first.
	err = chromedp.Do(admin,
		chromedp.Navigate(public[:strings.Index(public, "/help/")]+"/app/admin/knowledge"),
		chromedp.Click(chromedp.CSS(`[data-testid=kb-article] a`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=kb-delete]`)))
	if err != nil {
		t.Fatal(err)
	}
	// Declining the confirmation keeps the article.
	asked, err := chromedp.Run(admin, chromedp.Evaluate[string](`window.__asked = ""; window.confirm = function (m) { window.__asked = m; return false; }; "ok"`))
	if err != nil || asked != "ok" {
		t.Fatal(err)
	}
	if err := chromedp.Do(admin, chromedp.Click(chromedp.CSS(`[data-testid=kb-delete]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, admin, `window.__asked.indexOf("Delete this article?") === 0`, 2*time.Second) {
		t.Fatal("no confirmation asked")
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := e.App.DB.ArticleBySlug(bg, "refund-policy"); err != nil {
		t.Fatalf("deleted without confirmation: %v", err)
	}
	if _, err := chromedp.Run(admin, chromedp.Evaluate[bool](`window.confirm = function () { return true; }; true`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(admin, chromedp.Click(chromedp.CSS(`[data-testid=kb-delete]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, admin, `location.pathname === "/app/admin/knowledge" && document.body.innerText.indexOf("No articles yet.") >= 0`, 3*time.Second) {
		t.Fatal("not deleted")
	}
}
