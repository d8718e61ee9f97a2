package widget_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
)

// signIn creates an agent and signs the browser b in as them (the session
// cookie the sign-in form would set). Returns the agent's id.
func (f *fixture) signIn(b context.Context, email, name string, role parley.Role) int64 {
	f.t.Helper()
	const password = "correct horse battery"
	ctx := context.Background()
	a, _, err := f.env.App.Inbox.CreateAgent(ctx, inbox.System, parley.Agent{Email: email, Name: name, Role: role}, password)
	if err != nil {
		f.t.Fatal(err)
	}
	session, err := f.env.App.Inbox.SignIn(ctx, email, password, "e2e")
	if err != nil {
		f.t.Fatal(err)
	}
	u, _ := url.Parse(f.env.URL)
	httpOnly := true
	if _, err := chromedp.Call(b, network.SetCookie, network.SetCookieParams{Name: "parley_session", Value: session.Secret, URL: u.String(), HTTPOnly: &httpOnly}); err != nil {
		f.t.Fatal(err)
	}
	return a.ID
}

// waitJS waits until the expression is true in the browser b's page.
func waitJS(b context.Context, expr string, within time.Duration) bool {
	for deadline := time.Now().Add(within); ; time.Sleep(30 * time.Millisecond) {
		if ok, err := chromedp.Run(b, chromedp.Evaluate[bool](expr)); err == nil && ok {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// TestBrowserDraftAndCoach is the assistant as an agent uses it: a
// customer explains a broken blender over several widget messages; the
// agent opens the conversation and sees the summary with the order
// number, asks for drafts, gets three citing the knowledge article,
// picks one, edits it into something curt, sees the tone hint, takes the
// suggested wording and sends; the customer sees it in the widget, and
// Parley records which draft was sent and how much it was edited.
func TestBrowserDraftAndCoach(t *testing.T) {
	f := start(t, "sqlite", nil, nil)
	ctx := context.Background()
	if _, err := f.env.App.Knowledge.CreateArticle(ctx, parley.RoleOwner, parley.Article{
		Title: "My item arrived broken or damaged", Slug: "damaged-item", Tags: []string{"broken", "damaged", "cracked"},
		Body: "We are sorry if something arrived broken. Report it within 30 days of delivery.\n\n" +
			"1. Take a photo of the damaged item and, if you still have it, of the box.\n" +
			"2. Reply to us with the photo and your order number.\n" +
			"3. We send a free replacement, or a full refund if you prefer, usually the same day we receive the photo.\n\n" +
			"You do not need to send the broken item back unless we ask for it."}); err != nil {
		t.Fatal(err)
	}
	host := hostPage(t, f)
	customer := apptest.Browser(t)
	agent := apptest.Browser(t)
	f.signIn(agent, "lan@example.com", "Lan", parley.RoleAgent)

	if err := chromedp.Do(customer, chromedp.Navigate(host), chromedp.Click(chromedp.CSS("[data-testid=parley-launcher]"))); err != nil {
		t.Fatal(err)
	}
	c := frame(t, customer, f)
	for _, m := range []string{"Hi, I ordered a blender last week.", "It arrived broken: the jar is cracked and it leaks.",
		"My order number is #10234.", "What can you do?"} {
		c.write(m)
		c.waitText(m, 3*time.Second)
	}
	convs := f.apiConversations()
	if len(convs) != 1 {
		t.Fatalf("conversations = %+v", convs)
	}
	conv := convs[0].ID
	if err := chromedp.Do(agent, chromedp.Navigate(fmt.Sprintf("%s/app/conversations/%d", f.env.URL, conv)),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=composer-text]"))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(agent, `(document.querySelector("[data-testid=summary]")||{textContent:""}).textContent.includes("10234")`, 5*time.Second) {
		t.Fatal("the summary with the order number never showed")
	}
	// The summary follows each message live; wait until it covers all
	// four, so no late refresh moves the buttons under the clicks below.
	if !waitJS(agent, `(document.querySelector("[data-testid=summary]")||{textContent:""}).textContent.includes("(4 messages")`, 10*time.Second) {
		t.Fatal("the summary never covered the whole conversation")
	}

	// Three drafts, citing the article by its public page.
	if err := chromedp.Do(agent, chromedp.Click(chromedp.CSS("[data-testid=make-drafts]"))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(agent, `document.querySelectorAll("[data-testid=draft]").length === 3`, 5*time.Second) {
		html, _ := chromedp.Run(agent, chromedp.Evaluate[string](`(document.querySelector("#assist-drafts")||{outerHTML:""}).outerHTML`))
		t.Fatalf("three drafts never showed: %.2000s", html)
	}
	if !waitJS(agent, `[...document.querySelectorAll("[data-testid=draft-sources] a")].some(a => a.href.endsWith("/help/articles/damaged-item"))`, time.Second) {
		t.Fatal("no draft cites the damaged-item article")
	}

	// Pick the first, then make it curt: the tone hint shows. The page
	// above the drafts still settles after they appear (the button was
	// seen to move up by 218 px), and a click at a moving button's old
	// place lands on whatever took it: wait until it has stayed put for
	// a while.
	if !waitJS(agent, `(() => { const r = document.querySelector("[data-testid=use-draft]").getBoundingClientRect(), k = r.top + "," + r.left + "," + window.scrollY;
		if (window.__useDraftAt !== k) { window.__useDraftAt = k; window.__useDraftSame = 0; return false; }
		return ++window.__useDraftSame >= 10; })()`, 5*time.Second) {
		t.Fatal("the draft's button never stopped moving")
	}
	if err := chromedp.Do(agent, chromedp.Click(chromedp.CSS("[data-testid=use-draft]"))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(agent, `document.querySelector("#composer-text").value.length > 40 && document.querySelector("#draft-set").value !== ""`, 5*time.Second) {
		state, _ := chromedp.Run(agent, chromedp.Evaluate[string](`JSON.stringify({text: document.querySelector("#composer-text").value, set: document.querySelector("#draft-set").value, drafts: document.querySelectorAll("[data-testid=draft]").length})`))
		t.Fatalf("picking a draft did not fill the composer: %s", state)
	}
	if _, err := chromedp.Run(agent, chromedp.Evaluate[bool](`(() => { const b = document.querySelector("#composer-text"); b.focus(); b.setSelectionRange(b.value.length, b.value.length); return true; })()`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(agent, chromedp.SendKeys(chromedp.CSS("#composer-text"), " As I said, read the FAQ.")); err != nil {
		t.Fatal(err)
	}
	if !waitJS(agent, `!!document.querySelector('[data-testid=finding][data-check="tone.curt"]')`, 5*time.Second) {
		t.Fatal("no tone hint for a curt reply")
	}
	if err := chromedp.Do(agent, chromedp.Click(chromedp.CSS(`[data-check="tone.curt"] [data-testid=apply-suggestion]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(agent, `!document.querySelector("#composer-text").value.toLowerCase().includes("as i said") && !document.querySelector('[data-check="tone.curt"]')`, 5*time.Second) {
		t.Fatal("the suggested wording did not replace the curt one")
	}
	final, err := chromedp.Run(agent, chromedp.Evaluate[string](`document.querySelector("#composer-text").value`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(agent, chromedp.Click(chromedp.CSS("[data-testid=send]"))); err != nil {
		t.Fatal(err)
	}

	// The customer sees it; Parley knows which draft it was.
	longest := ""
	for _, l := range strings.Split(final, "\n") {
		if len(l) > len(longest) {
			longest = strings.TrimSpace(l)
		}
	}
	c.waitText(longest, 5*time.Second)
	ms := f.apiMessages(conv)
	last := ms[len(ms)-1]
	// A form sends a textarea's line breaks as CRLF.
	if last.Direction != parley.Outgoing || strings.ReplaceAll(strings.TrimSpace(last.Text), "\r\n", "\n") != strings.TrimSpace(final) {
		t.Fatalf("last message = %+v, want the composer's text %q", last, final)
	}
	// The summary follows the conversation live: a new message, a new
	// summary, without a reload.
	c.write("Also my other order #55555 is late.")
	if !waitJS(agent, `(document.querySelector("[data-testid=summary]")||{textContent:""}).textContent.includes("55555")`, 5*time.Second) {
		t.Fatal("the summary did not follow a new message")
	}
	stats, err := f.env.App.DB.DraftStats(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(stats) != 1 || stats[0].Sets != 1 || stats[0].Shown != 3 || stats[0].Used != 1 || stats[0].MeanRatio <= 0 {
		t.Fatalf("draft stats = %+v", stats)
	}
}
