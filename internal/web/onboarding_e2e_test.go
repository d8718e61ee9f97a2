package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/parley"
)

// TestBrowserOnboarding: from a fresh Parley with only its owner, the
// checklist walks the owner to a working team in the browser: online,
// a website chat inbox (with its snippet), a teammate, business hours,
// and a test message written in the chat; then it is gone.
func TestBrowserOnboarding(t *testing.T) {
	e := &env{Env: apptest.Start(t, "sqlite", nil), t: t}
	e.ownerID = e.mustAgent("owner@example.com", "Olivia Owner", parley.RoleOwner)
	ctx := browserAs(t, e, "owner@example.com")
	done := func(n int) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(e.URL+"/app/"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=conversation-list]`))); err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("%d of 6 done", n)
		if n == 6 {
			if !waitJS(t, ctx, `!document.querySelector('[data-testid=onboarding]')`, 3*time.Second) {
				t.Fatal("the checklist stays when everything is done")
			}
			return
		}
		if !waitJS(t, ctx, has("[data-testid=onboarding]", want), 3*time.Second) {
			got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('[data-testid=onboarding]')||{}).innerText||'none'`))
			t.Fatalf("want %q: %s", want, got)
		}
	}
	done(0)
	// Online, from the top bar.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function(){var s=document.querySelector('#availability-select'); s.value='online'; s.dispatchEvent(new Event('change',{bubbles:true})); return true})()`)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	done(1)
	// A website chat inbox, from the checklist's link.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=onboarding-inbox] a`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=new-channel-type]`)),
		chromedp.SendKeys(chromedp.CSS(`form[action="/app/admin/inboxes"] input[name=name]`), "Website"),
		chromedp.Click(chromedp.CSS(`form[action="/app/admin/inboxes"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=widget-snippet]`))); err != nil {
		t.Fatal(err)
	}
	done(3)
	if !waitJS(t, ctx, `!!document.querySelector('[data-testid=onboarding-snippet]')`, time.Second) {
		t.Fatal("no snippet once the chat exists")
	}
	// A teammate.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=onboarding-team] a`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=invite-form]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=invite-form] input[name=name]`), "Andy Agent"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=invite-form] input[name=email]`), "andy@example.com"),
		chromedp.Click(chromedp.CSS(`[data-testid=invite-form] button[type=submit]`))); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	done(4)
	// Business hours, with the form.
	inboxes, _ := e.App.DB.Inboxes(bg)
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/app/admin/inboxes/%d", e.URL, inboxes[0].ID)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=hours-form]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=hours-set]`))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function(){document.querySelector('[data-testid=hours-tz]').value='Europe/Lisbon'; return true})()`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=inbox-save]`))); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	done(5)
	// A test message, written in the chat's own page.
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/widget/%d", e.URL, inboxes[0].ID)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=message-input]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=message-input]`), "Testing, testing"), chromedp.Click(chromedp.CSS(`[data-testid=send]`))); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	done(6)
}
