package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// TestBrowserReports: an admin opens Reports over conversations seeded
// through the inbox service and sees the cards and the three SVG charts
// drawn (no script needed), with the agents table.
func TestBrowserReports(t *testing.T) {
	var clk clock
	clk.shift(-3 * time.Hour)
	e := startAt(t, "sqlite", clk.Now)
	seedReport(t, e, &clk)
	if _, err := e.App.Inbox.Receive(bg, e.inboxID, inbox.Incoming{Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "cust-b", Name: "Binh"},
		Text: "Is the shop open on Sunday?"}); err != nil {
		t.Fatal(err)
	}
	ctx := browserAs(t, e, "owner@example.com")
	if err := chromedp.Do(ctx, chromedp.Navigate(e.URL+"/app/"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=nav-reports]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=nav-reports]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=metric-conversations]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, has(`[data-testid=metric-conversations] [data-testid=metric-value]`, "3")+" && "+
		has(`[data-testid=metric-resolution_time] [data-testid=metric-value]`, "10m")+" && "+
		has(`[data-testid=metric-first_response_time] [data-testid=metric-value]`, "1m"), 2*time.Second) {
		txt, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(".metric-grid").innerText`))
		t.Fatalf("cards = %q", txt)
	}
	// Each chart is laid out at a real size, with bars or lines drawn by
	// the stylesheet's colours.
	for _, id := range []string{"chart-hours", "chart-channels", "chart-backlog", "chart-daily", "chart-daily-times"} {
		expr := `(function(){var s=document.querySelector("[data-testid=` + id + `]"); if(!s) return false; var r=s.getBoundingClientRect();
			return r.width > 200 && r.height > 50 && s.querySelector("title").textContent.length > 0;})()`
		if !waitJS(t, ctx, expr, time.Second) {
			t.Errorf("%s is not drawn", id)
		}
	}
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function(){
		var bars=[].slice.call(document.querySelectorAll("[data-testid=chart-hours] rect.bar")).filter(function(b){return b.getBBox().height > 0;});
		var fill=getComputedStyle(bars[0]).fill;
		var line=document.querySelector("[data-testid=chart-backlog] .s-open polyline");
		return bars.length >= 1 && fill !== "" && fill !== "rgb(0, 0, 0)" && !!line && getComputedStyle(line).stroke !== "none" &&
			document.querySelectorAll("[data-testid=chart-channels] rect.bar").length === 1 &&
			document.querySelectorAll("[data-testid=agent-row]").length === 2;})()`))
	if err != nil || !ok {
		t.Errorf("charts or agents table not as expected (%v)", err)
	}
	// The period presets keep working as plain links.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.presets a:nth-child(2)`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=metric-conversations]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, `location.search === "?days=30" && !!document.querySelector(".presets a[aria-current]")`, 2*time.Second) {
		t.Error("the 30-day preset did not apply")
	}
	// A card opens the conversations behind it, under the same query.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=metric-resolution_time]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=drill-table]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, `location.pathname === "/app/reports/conversations" && location.search.indexOf("days=30") >= 0 &&
		document.querySelectorAll("[data-testid=drill-row]").length === 1`, 2*time.Second) {
		t.Error("the resolution card does not drill into its conversation")
	}
	// A reader in another time zone gets the report in theirs unless the
	// address names one.
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Ho_Chi_Minh"}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(e.URL+"/app/reports"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=metric-conversations]`))); err != nil {
		t.Fatal(err)
	}
	// (Chrome may name the zone by its older alias, Asia/Saigon.)
	if !waitJS(t, ctx, `(function(){var z=new URLSearchParams(location.search).get("tz")||"";
		return /^Asia\/(Ho_Chi_Minh|Saigon)$/.test(z) && document.querySelector("[data-testid=report-period]").textContent.indexOf(z) >= 0;})()`, 3*time.Second) {
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.search`))
		t.Errorf("the report did not move to the browser's zone: %q", got)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(e.URL+"/app/reports?tz=UTC"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=metric-conversations]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, `location.search === "?tz=UTC"`, time.Second) {
		t.Error("an explicit zone was replaced")
	}
}
