package widget_test

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
)

// hostPage serves a business's page that embeds the widget, from an
// origin other than Parley's (localhost against Parley's 127.0.0.1), and
// adds that origin to the sites the inbox allows.
// ?user= and ?hash= add identity verification.
func hostPage(t *testing.T, f *fixture) string {
	t.Helper()
	host := servePage(t, f, "")
	f.allowOrigins(append(f.allowed(), host)...)
	return host
}

// servePage serves the host page, with extra HTML at the end of its body,
// without touching the inbox's allowed sites.
func servePage(t *testing.T, f *fixture, extra template.HTML) string {
	t.Helper()
	page := template.Must(template.New("").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme Outdoor</title>
<style>
 body{margin:0;font:16px/1.5 Georgia,serif;color:#233;background:#fbf8f3}
 header{padding:18px 32px;background:#1f3b2d;color:#fff;font-size:22px;letter-spacing:.5px}
 main{max-width:720px;padding:40px 32px}
 h1{font-size:34px;margin:0 0 12px} button{font:inherit;background:hotpink}
 .card{background:#fff;border:1px solid #e6dfd3;border-radius:12px;padding:20px;margin:20px 0}
</style></head>
<body><header>Acme Outdoor</header>
<main><h1>Trail-ready tents</h1><p>Lightweight shelters for every season. Free shipping on orders over €80.</p>
<div class="card"><strong>Summit 2P</strong><br>1.4 kg · sets up in 3 minutes · €249</div>
<div class="card"><strong>Ridge 3P</strong><br>2.1 kg · storm-tested · €329</div></main>
<script src="{{.Src}}" data-inbox="{{.Inbox}}"{{if .User}} data-user-id="{{.User}}" data-user-hash="{{.Hash}}" data-user-name="Dana" data-user-email="dana@example.com"{{end}} async></script>
{{.Extra}}</body></html>`))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page.Execute(w, map[string]any{"Src": f.env.URL + "/widget.js", "Inbox": f.inbox.ID,
			"User": r.URL.Query().Get("user"), "Hash": r.URL.Query().Get("hash"), "Extra": extra})
	}))
	t.Cleanup(srv.Close)
	return strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
}

// chat drives the widget's iframe. Chromium runs a cross-site iframe as
// its own target when site isolation is on (then ctx is attached to it and
// node is nil); the headless shell may keep it in the page's process (then
// queries start from node, the iframe element, and polls run in inner).
type chat struct {
	t           *testing.T
	ctx         context.Context
	node, inner *chromedp.Node
}

func (c chat) opts() []chromedp.QueryOption {
	if c.node == nil {
		return nil
	}
	return []chromedp.QueryOption{chromedp.FromNode(c.node)}
}

func (c chat) do(actions ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	if err := chromedp.Do(c.ctx, actions...); err != nil {
		c.t.Fatal(err)
	}
}

func (c chat) write(text string) {
	c.t.Helper()
	c.do(chromedp.SendKeys(chromedp.CSS("#input"), text, c.opts()...), chromedp.Click(chromedp.CSS("#send"), c.opts()...))
}

func (c chat) text(sel string) string {
	c.t.Helper()
	txt, err := chromedp.Run(c.ctx, chromedp.Text(chromedp.CSS(sel), c.opts()...))
	if err != nil {
		c.t.Fatal(err)
	}
	return txt
}

// poll waits until the JavaScript expression is true inside the iframe.
func (c chat) poll(expr string, within time.Duration) error {
	opts := []chromedp.PollOption{chromedp.WithPollingTimeout(within)}
	if c.inner != nil {
		opts = append(opts, chromedp.WithPollingInFrame(c.inner))
	}
	_, err := chromedp.Run(c.ctx, chromedp.Poll[bool](expr, opts...))
	return err
}

// waitText waits until a message with text shows in the chat.
func (c chat) waitText(text string, within time.Duration) {
	c.t.Helper()
	expr := fmt.Sprintf(`[...document.querySelectorAll('[data-testid=message]')].some(e => e.textContent.includes(%q))`, text)
	if err := c.poll(expr, within); err != nil {
		c.t.Fatalf("%q not shown within %v: %v", text, within, err)
	}
}

// frame finds the widget's iframe on the page in ctx, once it is ready.
func frame(t *testing.T, ctx context.Context, f *fixture) chat {
	t.Helper()
	prefix := fmt.Sprintf("%s/widget/%d", f.env.URL, f.inbox.ID)
	iframe := chromedp.CSS("iframe[data-testid=parley-frame]")
	if err := chromedp.Do(ctx, chromedp.WaitReady(iframe)); err != nil {
		t.Fatal(err)
	}
	infos, err := chromedp.Targets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range infos {
		if info.Type == "iframe" && strings.HasPrefix(info.URL, prefix) {
			fctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID))
			t.Cleanup(cancel)
			c := chat{t: t, ctx: fctx}
			c.do(chromedp.WaitVisible(chromedp.CSS("#input")))
			return c
		}
	}
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(iframe))
	if err != nil {
		t.Fatal(err)
	}
	c := chat{t: t, ctx: ctx, node: nodes[0]}
	c.do(chromedp.WaitVisible(chromedp.CSS("#input"), c.opts()...))
	inner, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("#log"), c.opts()...))
	if err != nil {
		t.Fatal(err)
	}
	c.inner = inner[0]
	return c
}

func (f *fixture) apiConversations() []parley.Conversation {
	var out struct {
		Conversations []parley.Conversation `json:"conversations"`
	}
	f.env.JSON("GET", fmt.Sprintf("/api/v1/conversations?inbox_id=%d", f.inbox.ID), nil, http.StatusOK, &out)
	return out.Conversations
}

func (f *fixture) apiMessages(conv int64) []parley.Message {
	var out struct {
		Messages []parley.Message `json:"messages"`
	}
	f.env.JSON("GET", fmt.Sprintf("/api/v1/conversations/%d/messages", conv), nil, http.StatusOK, &out)
	return out.Messages
}

func TestBrowserCustomerChat(t *testing.T) {
	f := start(t, "sqlite", nil, nil)
	host := hostPage(t, f)
	ctx := apptest.Browser(t)
	launcher := chromedp.CSS("[data-testid=parley-launcher]")

	// (a) The customer opens the host page, clicks the launcher and writes
	// at once, inside the iframe.
	if err := chromedp.Do(ctx, chromedp.Navigate(host), chromedp.Click(launcher)); err != nil {
		t.Fatal(err)
	}
	c := frame(t, ctx, f)
	if txt := c.text("[data-testid=greeting]"); !strings.Contains(txt, "Ask us anything") {
		t.Fatalf("greeting = %q", txt)
	}
	c.write("Does the Summit 2P fit two adults?")
	c.waitText("Does the Summit 2P fit two adults?", 5*time.Second)
	var convs []parley.Conversation
	for deadline := time.Now().Add(5 * time.Second); len(convs) == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		convs = f.apiConversations()
	}
	if len(convs) != 1 {
		t.Fatalf("conversations = %+v", convs)
	}
	conv := convs[0].ID
	if ms := f.apiMessages(conv); len(ms) != 1 || ms[0].Text != "Does the Summit 2P fit two adults?" || ms[0].Direction != parley.Incoming {
		t.Fatalf("stored messages = %+v", ms)
	}

	// The agent's reply shows up live, within a second.
	time.Sleep(300 * time.Millisecond) // let the stream connect
	f.agentSays(conv, "notes", "Internal: check stock")
	f.agentSays(conv, "messages", "Yes! Two adults with room for packs.")
	c.waitText("Yes! Two adults with room for packs.", time.Second)
	if txt := c.text("#log"); strings.Contains(txt, "Internal") {
		t.Fatal("a note shows in the widget")
	}

	// (d) With the chat closed, a new reply puts an unread badge on the launcher.
	if err := chromedp.Do(ctx, chromedp.Click(launcher)); err != nil {
		t.Fatal(err)
	}
	f.agentSays(conv, "messages", "PS: it's on sale this week.")
	badge := `(() => { const b = document.querySelector('[data-testid=parley-unread]'); return b && getComputedStyle(b).display !== 'none' && b.textContent === '1'; })()`
	// How fast a reply arrives is asserted above; this asks only that
	// the badge comes. CI, with other packages and PostgreSQL on the same
	// two cores, once took longer than 3 s.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](badge, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("no unread badge: %v", err)
	}

	// (b) The customer leaves and comes back (same browser): the whole
	// history is there, and opening the chat clears the badge.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank"), chromedp.Navigate(host)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](badge, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Fatalf("no unread badge after coming back: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(launcher)); err != nil {
		t.Fatal(err)
	}
	c = frame(t, ctx, f)
	for _, text := range []string{"Does the Summit 2P fit two adults?", "Yes! Two adults with room for packs.", "PS: it's on sale this week."} {
		c.waitText(text, 5*time.Second)
	}
	cleared := `getComputedStyle(document.querySelector('[data-testid=parley-unread]')).display === 'none'`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](cleared, chromedp.WithPollingTimeout(3*time.Second))); err != nil {
		t.Fatalf("badge not cleared on open: %v", err)
	}
	if len(f.apiConversations()) != 1 {
		t.Fatal("coming back started another conversation")
	}
}

func TestBrowserVerifiedUser(t *testing.T) {
	f := start(t, "sqlite", nil, nil)
	host := hostPage(t, f)
	launcher := chromedp.CSS("[data-testid=parley-launcher]")
	good := f.userVisitor("cust-7")

	// A wrong HMAC is refused and stores nothing.
	ctx := apptest.Browser(t)
	bad := host + "?" + url.Values{"user": {"cust-7"}, "hash": {strings.Repeat("ab", 32)}}.Encode()
	if err := chromedp.Do(ctx, chromedp.Navigate(bad), chromedp.Click(launcher)); err != nil {
		t.Fatal(err)
	}
	c := frame(t, ctx, f)
	c.write("let me in")
	if err := c.poll(`!document.getElementById('error').hidden`, 5*time.Second); err != nil {
		t.Fatalf("no error shown for a wrong HMAC: %v", err)
	}
	if n := len(f.apiConversations()); n != 0 {
		t.Fatalf("a refused user has %d conversations", n)
	}

	// With the right one the user writes in one browser and finds the same
	// history in another (another device).
	ok := host + "?" + url.Values{"user": {"cust-7"}, "hash": {good.hash}}.Encode()
	ctx1 := apptest.Browser(t)
	if err := chromedp.Do(ctx1, chromedp.Navigate(ok), chromedp.Click(launcher)); err != nil {
		t.Fatal(err)
	}
	c1 := frame(t, ctx1, f)
	c1.write("Where is order 1234?")
	c1.waitText("Where is order 1234?", 5*time.Second)
	ctx2 := apptest.Browser(t)
	if err := chromedp.Do(ctx2, chromedp.Navigate(ok), chromedp.Click(launcher)); err != nil {
		t.Fatal(err)
	}
	frame(t, ctx2, f).waitText("Where is order 1234?", 5*time.Second)
	convs := f.apiConversations()
	if len(convs) != 1 {
		t.Fatalf("conversations = %+v", convs)
	}
	contact, err := f.env.App.DB.Contact(context.Background(), convs[0].ContactID)
	if err != nil || contact.Name != "Dana" || contact.Email != "dana@example.com" {
		t.Fatalf("contact = %+v, %v", contact, err)
	}
}

// TestScreenshot writes docs/screenshots/widget.png: the host page with
// the widget open on a short conversation. PARLEY_SCREENSHOTS=1 runs it.
func TestScreenshot(t *testing.T) {
	if os.Getenv("PARLEY_SCREENSHOTS") != "1" {
		t.Skip("set PARLEY_SCREENSHOTS=1 to write docs/screenshots/widget.png")
	}
	f := start(t, "sqlite", nil, func(in *parley.Inbox) {
		in.Name = "Acme Outdoor"
		in.Greeting = "Hi! Questions about gear or an order? Ask away."
	})
	agent := f.agentNamed("Maya")
	host := hostPage(t, f)
	ctx := apptest.Browser(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1100, 760), chromedp.Navigate(host), chromedp.Click(chromedp.CSS("[data-testid=parley-launcher]"))); err != nil {
		t.Fatal(err)
	}
	c := frame(t, ctx, f)
	c.write("Hi! Does the Summit 2P fit two adults and their packs?")
	c.waitText("Summit 2P", 5*time.Second)
	conv := f.apiConversations()[0].ID
	time.Sleep(300 * time.Millisecond)
	f.agentReplies(agent, conv, "It does! The vestibules hold two 50 L packs, and the inner tent is 132 cm wide.")
	c.waitText("vestibules", 3*time.Second)
	c.do(chromedp.SendKeys(chromedp.CSS("#input"), "Perfect, thank you!", c.opts()...))
	time.Sleep(300 * time.Millisecond)
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if out := os.Getenv("PARLEY_SCREENSHOT_PHONE"); out != "" { // a check of the phone layout, not kept in docs
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 760)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		phone, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(out, phone, 0o644)
	}
	if err := os.MkdirAll("../../docs/screenshots", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("../../docs/screenshots/widget.png", png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// agentNamed creates an agent who chose to be online, with Parley open.
func (f *fixture) agentNamed(name string) int64 {
	f.t.Helper()
	ctx := context.Background()
	a, _, err := f.env.App.Inbox.CreateAgent(ctx, inbox.System, parley.Agent{Name: name, Email: strings.ToLower(name) + "@acme.test", Role: parley.RoleAgent}, "")
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.env.App.Inbox.SetAvailability(ctx, inbox.System, a.ID, parley.Online, "test"); err != nil {
		f.t.Fatal(err)
	}
	return a.ID
}

func (f *fixture) agentReplies(agentID, conv int64, text string) {
	f.t.Helper()
	_, err := f.env.App.Inbox.Reply(context.Background(), inbox.Actor{AgentID: &agentID, Role: parley.RoleAgent}, conv, inbox.Outgoing{Text: text})
	if err != nil {
		f.t.Fatal(err)
	}
}
