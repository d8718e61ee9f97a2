package web_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
)

// TestScreenshotsVisual writes docs/screenshots/onboarding.png (the
// first-run checklist halfway through), capture.png (a screenshot being
// marked in the composer) and recording.png (a recording and a marked
// screenshot in the timeline, with the recording's length). Run with
// PARLEY_SCREENSHOTS=1.
func TestScreenshotsVisual(t *testing.T) {
	if os.Getenv("PARLEY_SCREENSHOTS") != "1" {
		t.Skip("set PARLEY_SCREENSHOTS=1 to write docs/screenshots")
	}
	dir := filepath.Join("..", "..", "docs", "screenshots")
	// A fresh Parley: only its owner, online, with a chat inbox.
	fresh := &env{Env: apptest.Start(t, "sqlite", nil), t: t}
	fresh.ownerID = fresh.mustAgent("owner@example.com", "Olivia Owner", parley.RoleOwner)
	ctx := browserAs(t, fresh, "owner@example.com")
	owner := inbox.Actor{AgentID: &fresh.ownerID, Role: parley.RoleOwner}
	if _, err := fresh.App.Inbox.CreateInbox(bg, owner, parley.Inbox{Name: "Website chat", ChannelType: parley.ChannelWidget}, nil); err != nil {
		t.Fatal(err)
	}
	shootAt(t, ctx, 1280, 900, fresh.URL+"/app/", filepath.Join(dir, "onboarding.png"))

	// The composer: a (synthetic) screen is captured and marked.
	e := start(t, "sqlite")
	ctx = browserAs(t, e, "agent@example.com")
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(fmt.Sprintf("%s/app/conversations/%d", e.URL, e.convID)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=composer-text]`))); err != nil {
		t.Fatal(err)
	}
	// A page that looks like a shop's checkout, drawn on a canvas and
	// offered as the shared screen.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function(){
	  var c = document.createElement('canvas'); c.width = 960; c.height = 540;
	  var g = c.getContext('2d'), n = 0;
	  function draw(){ g.fillStyle = '#f6f7fb'; g.fillRect(0, 0, 960, 540);
	    g.fillStyle = '#1f2a44'; g.fillRect(0, 0, 960, 56); g.fillStyle = '#fff'; g.font = 'bold 22px sans-serif'; g.fillText('Acme Shop — Checkout', 24, 36);
	    g.fillStyle = '#1f2a44'; g.font = '18px sans-serif'; g.fillText('Blender X200', 60, 130); g.fillText('€89.00', 760, 130);
	    g.fillStyle = '#d9dce5'; g.fillRect(60, 150, 840, 2);
	    g.fillStyle = '#1f2a44'; g.fillText('Discount code', 60, 210); g.strokeStyle = '#9aa1b2'; g.strokeRect(220, 188, 300, 34);
	    g.fillStyle = '#2f6fed'; g.fillRect(700, 420, 200, 48); g.fillStyle = '#fff'; g.font = 'bold 18px sans-serif'; g.fillText('Pay now', 760, 450);
	    g.fillStyle = 'hsl(' + (n++ * 9 % 360) + ',60%,55%)'; g.fillRect(920, 500, 20, 20); }
	  draw(); setInterval(draw, 60);
	  navigator.mediaDevices.getDisplayMedia = function(){ return Promise.resolve(c.captureStream(15)); };
	  return true })()`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#composer [data-testid=record]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=record-stop]`))); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2200 * time.Millisecond)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=record-stop]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=record-attach]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=record-attach]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, `!!document.querySelector('#composer [data-testid=stored-file] input[name=upload_id]')`, 5*time.Second) {
		t.Fatal("the recording did not upload")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#composer [data-testid=screenshot]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=shot-canvas]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=shot-arrow]`))); err != nil {
		t.Fatal(err)
	}
	// An arrow to the discount box, and a box round the button.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function(){var c=document.querySelector('[data-testid=shot-canvas]'),r=c.getBoundingClientRect(),k=r.width/960;
	  function ev(t,x,y){c.dispatchEvent(new MouseEvent(t,{clientX:r.left+x*k,clientY:r.top+y*k,bubbles:true}));}
	  ev('mousedown',620,330); ev('mousemove',530,215); window.dispatchEvent(new MouseEvent('mouseup',{bubbles:true}));
	  document.querySelector('[data-testid=shot-box]').click();
	  ev('mousedown',690,410); ev('mousemove',910,478); window.dispatchEvent(new MouseEvent('mouseup',{bubbles:true}));
	  document.querySelector('[data-testid=shot-canvas]').scrollIntoView({block:'center'}); return true})()`)); err != nil {
		t.Fatal(err)
	}
	capture(t, ctx, filepath.Join(dir, "capture.png"))
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=shot-attach]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, `document.querySelectorAll('#composer [data-testid=stored-file] input[name=upload_id]').length === 2`, 5*time.Second) {
		t.Fatal("the screenshot did not upload")
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`[data-testid=composer-text]`), "Hi! The discount code goes in the box the arrow points at, before you press Pay now — here is a short recording of the whole checkout, too."),
		chromedp.Click(chromedp.CSS(`[data-testid=send]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, `!!document.querySelector('#timeline [data-testid=video-length]') && !!document.querySelector('#timeline .file-image img')`, 5*time.Second) {
		t.Fatal("the timeline does not show the recording and the screenshot")
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function(){document.querySelector('#timeline video').scrollIntoView({block:'center'}); return true})()`)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.querySelector('#timeline video').readyState >= 2`, 5*time.Second) // the first frame, not a spinner
	time.Sleep(time.Second)
	capture(t, ctx, filepath.Join(dir, "recording.png"))
}
