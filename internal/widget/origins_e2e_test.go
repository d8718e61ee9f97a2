package widget_test

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/parleyhq/parley/internal/app/apptest"
)

// forger serves a page, on an origin of its own, that keeps posting an
// "init" naming a verified user (with a valid hash, so that believing it
// would show) to every frame of the page holding it, or to the frame
// with the data-testid it is given, as a page on a site the inbox does
// not trust would.
func forger(t *testing.T, f *fixture, body string) string {
	t.Helper()
	v := f.userVisitor("cust-9")
	page := template.Must(template.New("").Parse(`<!doctype html><html><head><meta charset="utf-8"></head><body>` + body + `
<script>
var forged = {parley: 1, type: 'init', user: {id: 'cust-9', hash: '{{.Hash}}', name: 'Mallory', email: ''}};
setInterval(function () {
  var own = document.querySelector('iframe[data-testid=parley-frame]');
  var targets = own ? [own.contentWindow] : Array.prototype.slice.call(parent.frames);
  targets.forEach(function (w) { try { w.postMessage(forged, '*'); } catch (e) {} });
}, 50);
</script></body></html>`))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page.Execute(w, map[string]any{"Hash": v.hash})
	}))
	t.Cleanup(srv.Close)
	return strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
}

// childFrame returns the URL of the first frame inside the page, and the
// URL it could not show ("" when it shows it).
func childFrame(t *testing.T, ctx context.Context) (url, unreachable string) {
	t.Helper()
	tree, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) (*page.FrameTree, error) {
		r, err := cdp.Call(ctx, tg, page.GetFrameTree, cdp.Empty{})
		return r.FrameTree, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if tree == nil || len(tree.ChildFrames) == 0 {
		return "", ""
	}
	fr := tree.ChildFrames[0].Frame
	return fr.URL, fr.UnreachableURL
}

// noForgedUser fails the test if any stored contact is the forged user.
func (f *fixture) noForgedUser() {
	f.t.Helper()
	convs := f.apiConversations()
	if len(convs) == 0 {
		f.t.Fatal("nothing was stored")
	}
	for _, c := range convs {
		contact, err := f.env.App.DB.Contact(context.Background(), c.ContactID)
		if err != nil {
			f.t.Fatal(err)
		}
		if contact.Name == "Mallory" {
			f.t.Fatalf("the widget believed a forged init: contact %+v", contact)
		}
	}
}

func TestBrowserAllowedOrigins(t *testing.T) {
	f := start(t, "sqlite", nil, nil)
	launcher := chromedp.CSS("[data-testid=parley-launcher]")
	widgetURL := fmt.Sprintf("%s/widget/%d", f.env.URL, f.inbox.ID)

	// An allowed site embeds the widget and chats. An ad frame from
	// another site on the same page tries to hand the widget a user.
	ad := forger(t, f, "")
	allowed := servePage(t, f, template.HTML(`<iframe src="`+ad+`" title="ad" width="300" height="60"></iframe>`))
	f.allowOrigins(allowed)
	ctx := apptest.Browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(allowed), chromedp.Click(launcher)); err != nil {
		t.Fatal(err)
	}
	c := frame(t, ctx, f)
	time.Sleep(300 * time.Millisecond) // the ad has posted a few times
	c.write("Hello from an allowed site")
	c.waitText("Hello from an allowed site", 5*time.Second)
	f.noForgedUser()
	// The chat talks to its host page: its close button closes the frame.
	c.do(chromedp.Click(chromedp.CSS("#close"), c.opts()...))
	closed := `getComputedStyle(document.querySelector('[data-testid=parley-frame]')).display === 'none'`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](closed, chromedp.WithPollingTimeout(3*time.Second))); err != nil {
		t.Fatalf("the host page did not hear the chat's close: %v", err)
	}

	// A site the inbox does not list cannot frame the chat at all.
	stranger := servePage(t, f, "")
	ctx2 := apptest.Browser(t)
	if err := chromedp.Do(ctx2, chromedp.Navigate(stranger), chromedp.Click(launcher)); err != nil {
		t.Fatal(err)
	}
	var url, unreachable string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if url, unreachable = childFrame(t, ctx2); unreachable != "" || strings.HasPrefix(url, widgetURL) {
			break
		}
	}
	if !strings.HasPrefix(unreachable, widgetURL) || strings.HasPrefix(url, widgetURL) {
		t.Fatalf("a site the inbox does not allow framed the chat: frame %q (unreachable %q)", url, unreachable)
	}

	// With any site allowed, a page that frames the chat while naming
	// another site as its own is not listened to: the chat hears only
	// the origin it was told, and the page's forged user is ignored.
	f.allowOrigins("*")
	liar := forger(t, f, `<iframe data-testid="parley-frame" src="`+widgetURL+`?origin=`+template.URLQueryEscaper(allowed)+`" width="380" height="600"></iframe>`)
	ctx3 := apptest.Browser(t)
	if err := chromedp.Do(ctx3, chromedp.Navigate(liar)); err != nil {
		t.Fatal(err)
	}
	c3 := frame(t, ctx3, f)
	time.Sleep(300 * time.Millisecond)
	c3.write("Hello from a page that lied")
	c3.waitText("Hello from a page that lied", 5*time.Second)
	f.noForgedUser()
}
