package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
)

// waitAvailability polls the database until the agent's availability is
// want.
func waitAvailability(t *testing.T, e *env, id int64, want parley.Availability) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for a := e.agent(id); a.Availability != want; a = e.agent(id) {
		if time.Now().After(deadline) {
			t.Fatalf("availability = %q, want %q", a.Availability, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBrowserAvailability: the top bar's select changes the agent's
// availability in the database without a reload, and a change made by an
// admin shows up in the open page.
func TestBrowserAvailability(t *testing.T) {
	e := start(t, "sqlite")
	if err := e.App.Inbox.TouchPresence(bg, e.agentID); err != nil { // seen now: the idle timer leaves them be
		t.Fatal(err)
	}
	ctx := browserAs(t, e, "agent@example.com")
	if err := chromedp.Do(ctx, chromedp.Navigate(e.URL+"/app/"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=availability]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, `!!window.parleyStream && window.parleyStream.readyState === 1`, 5*time.Second) {
		t.Fatal("live stream did not connect")
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__marker = true`)); err != nil {
		t.Fatal(err)
	}
	choose(t, ctx, "availability", "online")
	waitAvailability(t, e, e.agentID, parley.Online)
	if !waitJS(t, ctx, `document.querySelector("[data-testid=availability]").value === "online" && !!document.querySelector("#availability .avail-dot.avail-online")`, 3*time.Second) {
		t.Fatal("the dot did not turn online")
	}
	choose(t, ctx, "availability", "away")
	waitAvailability(t, e, e.agentID, parley.Away)
	if !waitJS(t, ctx, `!!document.querySelector("#availability .avail-dot.avail-away")`, 3*time.Second) {
		t.Fatal("the dot did not turn away")
	}
	// An admin sets them offline: the open page follows.
	owner := inbox.Actor{AgentID: &e.ownerID, Role: parley.RoleOwner}
	if err := e.App.Inbox.SetAvailability(bg, owner, e.agentID, parley.Offline, "admin"); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, `document.querySelector("[data-testid=availability]").value === "offline" && !!document.querySelector("#availability .avail-dot.avail-offline")`, 3*time.Second) {
		t.Fatal("the admin's change did not show")
	}
	if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__marker === true`)); !ok {
		t.Fatal("the page reloaded")
	}
}

// TestBrowserSLAAndQueue: a conversation waiting for an agent under an SLA
// shows its badges in the list and its header, and the Queue view lists
// it with its position; a second one joins the open view live.
func TestBrowserSLAAndQueue(t *testing.T) {
	e := start(t, "sqlite")
	r := routedSetup(t, e)
	ctx := browserAs(t, e, "agent@example.com")
	row := fmt.Sprintf(`[data-testid=conversation-row][data-id="%d"]`, r.conv)
	if err := chromedp.Do(ctx, chromedp.Navigate(e.URL+"/app/"), chromedp.WaitVisible(chromedp.CSS(row))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, has(row+" [data-testid=sla-badge].sla-ok", "due in 2")+" && "+has(row+" [data-testid=queue-badge]", "Queued #1"), 2*time.Second) {
		txt, _ := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).innerText`, row)))
		t.Fatalf("row badges missing: %q", txt)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=view-queue]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=list-title]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, has(`[data-testid=count-queue]`, "1")+" && "+has(row, "Queued #1")+
		` && document.querySelectorAll("[data-testid=conversation-row]").length === 1`, 2*time.Second) {
		t.Fatal("the Queue view does not list the queued conversation alone")
	}
	if !waitJS(t, ctx, `!!window.parleyStream && window.parleyStream.readyState === 1`, 5*time.Second) {
		t.Fatal("live stream did not connect")
	}
	second := e.incomingTo(r.inbox.ID, "cust-q2", "Second Customer", "Anyone there?")
	if !waitJS(t, ctx, has(fmt.Sprintf(`[data-testid=conversation-row][data-id="%d"]`, second), "Queued #2")+" && "+has(`[data-testid=count-queue]`, "2"), 3*time.Second) {
		t.Fatal("the second queued conversation did not join the Queue view live")
	}
	// The header shows the same, with the promise once the acknowledgement
	// was sent.
	deadline := time.Now().Add(5 * time.Second)
	for e.conversation(r.conv).PromisedReplyBy == nil {
		if time.Now().After(deadline) {
			t.Fatal("no promise recorded")
		}
		e.App.Jobs.RunDue(bg)
		time.Sleep(10 * time.Millisecond)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(row+" a")), chromedp.WaitVisible(chromedp.CSS(`#meta [data-testid=sla-badge]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, has(`#meta`, "Queued #1")+" && "+has(`#meta [data-testid=promise]`, "Promised reply by"), 2*time.Second) {
		txt, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#meta").innerText`))
		t.Fatalf("header = %q", txt)
	}
}

// TestBrowserUrgentToast: a double charge arriving through the API while
// an online agent has the inbox open raises a toast naming the customer
// and the rule, without a reload.
func TestBrowserUrgentToast(t *testing.T) {
	e := start(t, "sqlite")
	e.goOnline(e.agentID, 10)
	ctx := browserAs(t, e, "agent@example.com")
	if err := chromedp.Do(ctx, chromedp.Navigate(e.URL+"/app/"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=conversation-list]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, `!!window.parleyStream && window.parleyStream.readyState === 1 && document.querySelector("[data-testid=availability]").value === "online"`, 5*time.Second) {
		t.Fatal("live stream did not connect, or the agent is not shown online")
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__marker = true`)); err != nil {
		t.Fatal(err)
	}
	conv := e.incoming("cust-urgent", "Binh <i>Le</i>", "I was charged twice")
	toast := fmt.Sprintf(`[data-testid=urgent-toast][data-conv="%d"]`, conv)
	if !waitJS(t, ctx, has(toast, "Urgent: Binh <i>Le</i> — Charged twice"), 3*time.Second) {
		txt, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#alerts").innerText`))
		t.Fatalf("no urgent toast; alerts = %q", txt)
	}
	if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__marker === true && document.querySelectorAll("[data-testid=urgent-toast]").length === 1 && !document.querySelector("#alerts i")`)); !ok {
		t.Fatal("the page reloaded, the toast repeated, or the name became markup")
	}
	href, _ := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).getAttribute("href")`, toast+" a")))
	if href != fmt.Sprintf("/app/conversations/%d", conv) {
		t.Errorf("toast links to %q", href)
	}
	// The list shows it urgent, and the toast can be dismissed.
	if !waitJS(t, ctx, has(fmt.Sprintf(`[data-testid=conversation-row][data-id="%d"] [data-testid=priority-badge]`, conv), "urgent"), 2*time.Second) {
		t.Error("the row is not marked urgent")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(toast+" [data-action=dismiss-alert]"))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, `!document.querySelector("[data-testid=urgent-toast]")`, time.Second) {
		t.Error("the toast was not dismissed")
	}
}
