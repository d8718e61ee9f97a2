package widget_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestBrowserOfflineHeaderAndEmailPrompt: in a real browser, the widget's
// header and its email prompt follow the availability agents chose. With
// Maya online the header shows the inbox's reply time with a green dot and
// no email prompt; once she goes offline (her inbox tab still open) the
// header says nobody is there and when they will answer, the dot is off,
// and a visitor who writes is asked for an email to hear back.
func TestBrowserOfflineHeaderAndEmailPrompt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f := start(t, dialect, nil, func(in *parley.Inbox) { in.EmailAsk = parley.EmailAskOffline })
		maya := f.agentNamed("Maya")
		host := hostPage(t, f)
		launcher := chromedp.CSS("[data-testid=parley-launcher]")
		open := func() chat {
			t.Helper()
			ctx := apptest.Browser(t)
			if err := chromedp.Do(ctx, chromedp.Navigate(host), chromedp.Click(launcher)); err != nil {
				t.Fatal(err)
			}
			return frame(t, ctx, f)
		}
		const (
			dotOn     = `document.getElementById('dot').classList.contains('on')`
			dotOff    = `!document.getElementById('dot').classList.contains('on')`
			promptOn  = `!document.querySelector('[data-testid=email-form]').hidden`
			promptOff = `document.querySelector('[data-testid=email-form]').hidden`
		)

		c := open()
		if got := c.text("[data-testid=reply-time]"); got != "We usually reply within a few minutes" {
			t.Fatalf("header with Maya online = %q", got)
		}
		c.write("Is the Ridge 3P in stock?")
		c.waitText("Is the Ridge 3P in stock?", 5*time.Second)
		if err := c.poll(dotOn+" && "+promptOff, 3*time.Second); err != nil {
			t.Fatalf("with Maya online the dot is off or the email prompt shows: %v", err)
		}

		ctx := context.Background()
		if err := f.env.App.Inbox.SetAvailability(ctx, inbox.System, maya, parley.Offline, "test"); err != nil {
			t.Fatal(err)
		}
		if err := f.env.App.Inbox.TouchPresence(ctx, maya); err != nil { // her tab is still open
			t.Fatal(err)
		}
		c = open()
		if got := c.text("[data-testid=reply-time]"); got != "We're away right now. We'll reply as soon as we're back." {
			t.Fatalf("header with everyone offline = %q", got)
		}
		c.write("Hello? Anyone there?")
		c.waitText("Hello? Anyone there?", 5*time.Second)
		if err := c.poll(dotOff+" && "+promptOn, 3*time.Second); err != nil {
			t.Fatalf("with everyone offline the dot is on or no email prompt shows: %v", err)
		}
	})
}
