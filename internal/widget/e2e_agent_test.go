package widget_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/parley"
)

// TestBrowserCustomerAndAgent is the whole loop in two browsers, as two
// people would use it: a customer writes in the widget on a shop's page;
// the agent, signed in to the inbox in another browser, sees it arrive
// without reloading within a second, opens it and replies from the
// composer; the customer sees the reply arrive in the widget.
func TestBrowserCustomerAndAgent(t *testing.T) {
	f := start(t, "sqlite", nil, nil)
	host := hostPage(t, f)
	customer := apptest.Browser(t)
	agent := apptest.Browser(t)

	// The agent signs in (a session cookie, as the sign-in form would set)
	// and watches the inbox.
	f.signIn(agent, "lan@example.com", "Lan", parley.RoleAgent)
	if err := chromedp.Do(agent, chromedp.Navigate(f.env.URL+"/app/"), chromedp.WaitVisible(chromedp.CSS("[data-testid=conversation-list]"))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(agent, `typeof EventSource !== "undefined"`, time.Second) {
		t.Fatal("no EventSource in the agent's page")
	}
	time.Sleep(300 * time.Millisecond) // the inbox's live stream connects

	// The customer writes from the shop's page, inside the widget's iframe.
	if err := chromedp.Do(customer, chromedp.Navigate(host), chromedp.Click(chromedp.CSS("[data-testid=parley-launcher]"))); err != nil {
		t.Fatal(err)
	}
	c := frame(t, customer, f)
	question := "Is the Ridge 3P in stock in green?"
	c.write(question)
	sent := time.Now()
	inList := fmt.Sprintf(`document.querySelector("[data-testid=conversation-list]").textContent.includes(%q)`, question)
	if !waitJS(agent, inList, 5*time.Second) {
		t.Fatal("the customer's message never appeared in the agent's inbox")
	}
	if took := time.Since(sent); took > time.Second {
		t.Errorf("the message took %v to appear in the agent's inbox, want under 1s", took)
	}

	// The agent opens it and replies from the composer.
	convs := f.apiConversations()
	if len(convs) != 1 {
		t.Fatalf("conversations = %+v", convs)
	}
	answer := "Yes, two left in green. Shall I hold one for you?"
	if err := chromedp.Do(agent,
		chromedp.Navigate(fmt.Sprintf("%s/app/conversations/%d", f.env.URL, convs[0].ID)),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=composer-text]")),
		chromedp.SendKeys(chromedp.CSS("[data-testid=composer-text]"), answer),
		chromedp.Click(chromedp.CSS("[data-testid=send]")),
	); err != nil {
		t.Fatal(err)
	}

	// The customer sees it, live.
	c.waitText(answer, 3*time.Second)
	ms := f.apiMessages(convs[0].ID)
	if len(ms) != 2 || ms[1].Direction != parley.Outgoing || strings.TrimSpace(ms[1].Text) != answer || ms[1].AuthorAgentID == nil {
		t.Fatalf("stored messages = %+v", ms)
	}
}
