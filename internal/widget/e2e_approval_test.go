package widget_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
)

// TestBrowserApprovedRefund: an agent writes a refund reply above the
// approval policy in the composer; it is not sent but waits, with a banner
// saying why; a supervisor (an admin, in another browser) approves it from
// the Approvals queue; the customer then sees it in the widget, and it was
// sent as the agent's.
func TestBrowserApprovedRefund(t *testing.T) {
	f := start(t, "sqlite", nil, nil)
	host := hostPage(t, f)
	customer := apptest.Browser(t)
	agent := apptest.Browser(t)
	boss := apptest.Browser(t)
	ctx := context.Background()

	if _, err := f.env.App.Approvals.CreatePolicy(ctx, inbox.System, parley.ApprovalPolicy{Name: "Refunds over 100",
		Condition: `action == "reply" && amount > 100`, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	agentID := f.signIn(agent, "lan@example.com", "Lan", parley.RoleAgent)
	f.signIn(boss, "mai@example.com", "Mai", parley.RoleAdmin)

	// The customer asks in the widget.
	if err := chromedp.Do(customer, chromedp.Navigate(host), chromedp.Click(chromedp.CSS("[data-testid=parley-launcher]"))); err != nil {
		t.Fatal(err)
	}
	c := frame(t, customer, f)
	c.write("My tent arrived torn. I paid 249 EUR, I want my money back.")
	var convID int64
	for deadline := time.Now().Add(5 * time.Second); convID == 0; time.Sleep(50 * time.Millisecond) {
		if convs := f.apiConversations(); len(convs) == 1 {
			convID = convs[0].ID
		} else if time.Now().After(deadline) {
			t.Fatal("the customer's conversation never appeared")
		}
	}

	// The agent writes a refund above the policy: it waits.
	answer := "I'm so sorry, Ana. We will refund 249.00 EUR to your card today, and you can keep the tent."
	if err := chromedp.Do(agent,
		chromedp.Navigate(fmt.Sprintf("%s/app/conversations/%d", f.env.URL, convID)),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=composer-text]")),
		chromedp.SendKeys(chromedp.CSS("[data-testid=composer-text]"), answer),
		chromedp.Click(chromedp.CSS("[data-testid=send]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=approval-banner][data-state=pending]")),
	); err != nil {
		t.Fatal(err)
	}
	banner, err := chromedp.Run(agent, chromedp.Evaluate[string](`document.querySelector("[data-testid=approval-banner]").innerText`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(banner, "Waiting for approval by an owner or admin") || !strings.Contains(banner, "refund of 249.00 EUR > 100") {
		t.Errorf("banner = %q", banner)
	}
	time.Sleep(500 * time.Millisecond)
	for _, m := range f.apiMessages(convID) {
		if m.Direction == parley.Outgoing {
			t.Fatalf("the held reply was sent: %+v", m)
		}
	}
	seen := `[...document.querySelectorAll('[data-testid=message]')].some(e => e.textContent.includes("refund 249.00"))`
	if err := c.poll(seen, 300*time.Millisecond); err == nil {
		t.Fatal("the customer sees the held reply")
	}

	// The supervisor approves it from the queue.
	if err := chromedp.Do(boss,
		chromedp.Navigate(f.env.URL+"/app/"),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=pending-approvals]")),
		chromedp.Click(chromedp.CSS("[data-testid=nav-approvals]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=approval-item][data-state=pending]")),
	); err != nil {
		t.Fatal(err)
	}
	item, err := chromedp.Run(boss, chromedp.Evaluate[string](`document.querySelector("[data-testid=approval-item]").innerText`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(item, "Lan") || !strings.Contains(item, answer) || !strings.Contains(item, "Refunds over 100") {
		t.Errorf("queue item = %q", item)
	}
	if err := chromedp.Do(boss, chromedp.Click(chromedp.CSS("[data-testid=approve]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=approvals-empty]"))); err != nil {
		t.Fatal(err)
	}

	// The customer sees it; it was sent once, as the agent's; the agent's
	// banner is gone.
	c.waitText(answer, 5*time.Second)
	var sent []parley.Message
	for _, m := range f.apiMessages(convID) {
		if m.Direction == parley.Outgoing {
			sent = append(sent, m)
		}
	}
	if len(sent) != 1 || strings.TrimSpace(sent[0].Text) != answer || sent[0].AuthorAgentID == nil || *sent[0].AuthorAgentID != agentID {
		t.Fatalf("sent = %+v", sent)
	}
	if !waitJS(agent, `!document.querySelector("[data-testid=approval-banner]")`, 5*time.Second) {
		t.Errorf("the agent's banner stayed after the approval")
	}
}
