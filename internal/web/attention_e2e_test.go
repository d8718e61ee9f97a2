package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/internal/inbox"
)

// TestBrowserAttention: a customer's new message marks its conversation
// unread in the list, counts in the tab's title and notifies the agent
// (the page's notice event); opening it clears both. A message in a
// conversation assigned to someone else marks it, but does not notify.
func TestBrowserAttention(t *testing.T) {
	e := start(t, "sqlite")
	ctx := browserAs(t, e, "agent@example.com")
	if err := chromedp.Do(ctx, chromedp.Navigate(e.URL+"/app/"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=conversation-list]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, `!!window.parleyStream && window.parleyStream.readyState === 1`, 5*time.Second) {
		t.Fatal("live stream did not connect")
	}
	requests := `performance.getEntriesByType('resource').filter(function(r){ return r.name.indexOf('/app/') >= 0 }).length`
	before, _ := chromedp.Run(ctx, chromedp.Evaluate[int](requests))
	conv := e.incoming("attn-1", "Ana", "Hello, is anyone there?")
	if !waitJS(t, ctx, fmt.Sprintf(`!!document.querySelector('[data-testid=conversation-row][data-id="%d"] [data-testid=unread]')`, conv), 5*time.Second) {
		t.Fatal("no unread marker")
	}
	// The title counts the unread conversations of the list.
	countsUnread := `document.title.indexOf("(" + document.querySelectorAll("#rows .row.unread").length + ") ") === 0`
	if !waitJS(t, ctx, countsUnread, 3*time.Second) {
		title, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.title`))
		t.Fatalf("the title: %q", title)
	}
	if !waitJS(t, ctx, fmt.Sprintf(`window.parleyNotices.length === 1 && window.parleyNotices[0].conversation_id === %d`, conv), 3*time.Second) {
		t.Fatal("no notice for the new message")
	}
	// The whole live update (the list, its marker, the views' counts) was
	// one fragment request.
	time.Sleep(500 * time.Millisecond)
	after, _ := chromedp.Run(ctx, chromedp.Evaluate[int](requests))
	if after-before != 1 {
		names, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`performance.getEntriesByType('resource').filter(function(r){ return r.name.indexOf('/app/') >= 0 }).slice(-4).map(function(r){return r.name}).join(' ')`))
		t.Fatalf("one new message cost %d requests: %s", after-before, names)
	}
	// Someone else's conversation: marked, not announced.
	other := e.incoming("attn-2", "Bo", "A question")
	owner := e.ownerID
	if _, err := e.App.Inbox.Update(bg, inbox.System, other, inbox.Change{AssigneeID: &owner}); err != nil {
		t.Fatal(err)
	}
	e.incoming("attn-2", "Bo", "Another question")
	if !waitJS(t, ctx, fmt.Sprintf(`!!document.querySelector('[data-testid=conversation-row][data-id="%d"] [data-testid=unread]')`, other), 5*time.Second) ||
		!waitJS(t, ctx, countsUnread, 3*time.Second) {
		t.Fatal("the second unread conversation is not marked and counted")
	}
	time.Sleep(300 * time.Millisecond)
	if notices, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.parleyNotices.length`)); err != nil || notices != 2 {
		// the first message of Bo's conversation (unassigned then) notified; the one after the assignment did not
		t.Fatalf("%d notices, want 2 (Ana's, and Bo's first while unassigned)", notices)
	}
	// Opening Ana's conversation reads it.
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/app/conversations/%d", e.URL, conv)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=composer]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, fmt.Sprintf(`!document.querySelector('[data-testid=conversation-row][data-id="%d"] [data-testid=unread]')`, conv), 3*time.Second) {
		t.Fatal("the open conversation is still unread")
	}
	reads, _ := e.App.DB.ReadTimes(bg, e.agentID, []int64{conv, other})
	if _, ok := reads[conv]; !ok || len(reads) != 1 {
		t.Fatalf("reads %v", reads)
	}
	if !waitJS(t, ctx, countsUnread, 3*time.Second) {
		title, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.title`))
		t.Fatalf("the title after reading one: %q", title)
	}
}
