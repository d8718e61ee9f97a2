package web_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserPhone: at 375 px wide an agent can switch views, read and
// answer a conversation, reach its actions and read the reports, with
// nothing wider than the screen. PARLEY_PHONE_SHOTS=DIR keeps a
// screenshot of each page there.
func TestBrowserPhone(t *testing.T) {
	e := start(t, "sqlite")
	conv := e.incoming("phone-1", "Ana Phone", "My order never arrived, can you check?")
	ctx := browserAs(t, e, "owner@example.com")
	pages := []struct{ name, path, visible string }{
		{"inbox", "/app/", `[data-testid=view-switch]`},
		{"conversation", fmt.Sprintf("/app/conversations/%d", conv), `[data-testid=composer]`},
		{"reports", "/app/reports", `[data-testid=report-form]`},
		{"approvals", "/app/approvals", `[data-testid=approvals-page]`},
		{"settings", "/app/admin/inboxes", `main`},
	}
	for _, p := range pages {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(375, 812), chromedp.Navigate(e.URL+p.path), chromedp.WaitVisible(chromedp.CSS(p.visible))); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		time.Sleep(200 * time.Millisecond)
		if dir := os.Getenv("PARLEY_PHONE_SHOTS"); dir != "" {
			img, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			if err == nil {
				os.WriteFile(filepath.Join(dir, "phone-"+p.name+".png"), img, 0o644)
			}
		}
		wide, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(function(){
			// Inside a box that scrolls sideways (a tab strip, a wide
			// table), wide content is reached by scrolling, as intended.
			function scrolls(el) {
				for (var p = el.parentElement; p; p = p.parentElement) {
					var o = getComputedStyle(p).overflowX;
					if (o === "auto" || o === "scroll") return true;
				}
				return false;
			}
			var out = [];
			document.querySelectorAll("body *").forEach(function (el) {
				var r = el.getBoundingClientRect(), st = getComputedStyle(el);
				if (r.width > 0 && r.right > 376 && st.position !== "fixed" && !el.closest("[hidden], .table, .chart, pre, .code") && !scrolls(el)) out.push(el.tagName + "." + el.className + " " + Math.round(r.right));
			});
			return document.documentElement.scrollWidth + " " + out.slice(0, 8).join(" | ");
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		var width int
		fmt.Sscan(wide, &width)
		if width > 375 {
			t.Errorf("%s is %s px wide at 375", p.name, wide)
		}
	}
	// Switching views from the list, with no sidebar.
	if err := chromedp.Do(ctx, chromedp.Navigate(e.URL+"/app/"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=view-switch]`))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function(){var s=document.querySelector("[data-testid=view-switch]"); s.value=s.querySelector("option[data-view=unassigned]").value; s.dispatchEvent(new Event("change",{bubbles:true})); return true})()`)); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, `location.search.indexOf("view=unassigned") >= 0`, 3*time.Second) {
		t.Fatal("the view switch did not switch")
	}
	// Answering from the phone.
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/app/conversations/%d", e.URL, conv)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=composer] textarea`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=composer] textarea`), "Checking it now, Ana: one moment."),
		chromedp.Click(chromedp.CSS(`[data-testid=composer] button[type=submit]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, has("#timeline", "Checking it now, Ana"), 5*time.Second) {
		t.Fatal("the reply typed on a phone did not show")
	}
}
