package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
)

// TestBrowserActivityLines: assignments, snoozes, resolutions and
// reopenings are lines of the timeline, with who did it, shown live
// whoever made the change; and a conversation resolved from its own view
// leaves the "All open" list at once, without a reload.
func TestBrowserActivityLines(t *testing.T) {
	e := start(t, "sqlite")
	other := e.incoming("cust-2", "Bao Tran", "A second open conversation")
	ctx := browserAs(t, e, "agent@example.com")
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/app/conversations/%d", e.URL, e.convID)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=resolve]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, `!!window.parleyStream && window.parleyStream.readyState === 1`, 5*time.Second) {
		t.Fatal("live stream did not connect")
	}
	row := func(id int64) string {
		return fmt.Sprintf(`!!document.querySelector('#rows [data-testid=conversation-row][data-id="%d"]')`, id)
	}
	if !waitJS(t, ctx, row(e.convID)+" && "+row(other), time.Second) {
		t.Fatal("both open conversations should be listed at first")
	}
	// Someone else (the owner, through the use case) assigns it: the line
	// appears on this agent's open timeline without a reload.
	owner := inbox.Actor{AgentID: &e.ownerID, Role: parley.RoleOwner}
	to := e.agentID
	if _, err := e.App.Inbox.Update(bg, owner, e.convID, inbox.Change{AssigneeID: &to}); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, has("#timeline", "Assigned to Andy Agent by Olivia Owner"), 3*time.Second) {
		t.Fatal("the assignment left no line on the timeline")
	}
	// Resolve it here, with the live stream down (a proxy cut it, it is
	// reconnecting): a line with who, and the row leaves "All open".
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.parleyStream.close(); true`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=resolve]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, has("#timeline", "Resolved by Andy Agent"), 3*time.Second) {
		t.Fatal("the resolution left no line on the timeline")
	}
	if !waitJS(t, ctx, "!"+row(e.convID)+" && "+row(other), 3*time.Second) {
		html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#rows').innerText`))
		t.Fatalf("the resolved conversation stays in All open: %q", html)
	}
	// Back to a live page for the rest.
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/app/conversations/%d", e.URL, e.convID)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=reopen]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, `!!window.parleyStream && window.parleyStream.readyState === 1`, 5*time.Second) {
		t.Fatal("live stream did not connect")
	}
	// The customer writes again: reopened, said as such; snoozed by the owner.
	e.incoming("cust-1", "Ana Pham", "One more thing")
	if !waitJS(t, ctx, has("#timeline", "Reopened: the customer wrote"), 3*time.Second) {
		t.Fatal("the reopening left no line on the timeline")
	}
	until := time.Now().Add(3 * time.Hour)
	if _, err := e.App.Inbox.Snooze(bg, owner, e.convID, &until); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, has("#timeline", "Snoozed by Olivia Owner until"), 3*time.Second) {
		t.Fatal("the snooze left no line on the timeline")
	}
	// In time order, after the messages they followed.
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#timeline').innerText`))
	if err != nil {
		t.Fatal(err)
	}
	order := []string{"my order #1234", "Assigned to Andy Agent", "Resolved by Andy Agent", "One more thing", "Reopened", "Snoozed by"}
	at := 0
	for _, s := range order {
		i := strings.Index(text[at:], s)
		if i < 0 {
			t.Fatalf("%q missing or out of order in the timeline:\n%s", s, text)
		}
		at += i
	}
}

// TestBrowserActionWhileHeaderRefreshes: the agent clicks Resolve just as
// a live refresh replaces the header (someone else changed the
// conversation a moment before). htmx then answers on a button no longer
// in the page: its swap and its "changed" signal go nowhere. The page
// must still show the resolution, on the timeline and in the list. Found
// as a flaky TestBrowserActivityLines on a loaded machine; here the
// header is replaced on purpose while the request is slowed.
func TestBrowserActionWhileHeaderRefreshes(t *testing.T) {
	e := start(t, "sqlite")
	other := e.incoming("cust-2", "Bao Tran", "A second open conversation")
	ctx := browserAs(t, e, "agent@example.com")
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/app/conversations/%d", e.URL, e.convID)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=resolve]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, `!!window.parleyStream && window.parleyStream.readyState === 1`, 5*time.Second) {
		t.Fatal("live stream did not connect")
	}
	// No live events from here: only the action's own answer can update
	// the page.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.parleyStream.close(); true`)); err != nil {
		t.Fatal(err)
	}
	slowNetwork(t, ctx, 300*time.Millisecond)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=resolve]`))); err != nil {
		t.Fatal(err)
	}
	// The header is re-rendered while the request is in flight.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const m = document.querySelector("#meta"); m.outerHTML = m.outerHTML; return true; })()`)); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, has("#timeline", "Resolved by Andy Agent"), 5*time.Second) {
		t.Fatal("the resolution never showed on the timeline")
	}
	row := func(id int64) string {
		return fmt.Sprintf(`!!document.querySelector('#rows [data-testid=conversation-row][data-id="%d"]')`, id)
	}
	if !waitJS(t, ctx, "!"+row(e.convID)+" && "+row(other), 5*time.Second) {
		t.Fatal("the resolved conversation stays in All open")
	}
	if !waitJS(t, ctx, `!!document.querySelector("[data-testid=reopen]")`, 5*time.Second) {
		t.Fatal("the header still offers Resolve for a resolved conversation")
	}
}
