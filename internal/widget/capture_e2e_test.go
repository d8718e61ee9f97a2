package widget_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/parley"
)

// syntheticScreen stands in for the screen a customer would share: an
// animated canvas, as the browser's getDisplayMedia would give.
const syntheticScreen = `(function(){
  var c = document.createElement('canvas'); c.width = 640; c.height = 360;
  var g = c.getContext('2d'), n = 0;
  setInterval(function(){ g.fillStyle = 'hsl(' + (n++ * 12 % 360) + ',70%,50%)'; g.fillRect(0, 0, 640, 360);
    g.fillStyle = '#fff'; g.font = '40px sans-serif'; g.fillText('Checkout button ' + n, 40, 180); }, 60);
  navigator.mediaDevices.getDisplayMedia = function(){ return Promise.resolve(c.captureStream(15)); };
  return true;
})()`

// TestBrowserScreenRecording: in the chat, a customer records a (synthetic)
// screen clip, previews it, attaches it and sends it, then takes a
// screenshot, draws a box on it and sends that: the conversation holds a
// playable recording and a PNG, and the chat plays the recording inline.
// The recording goes up in pieces, and the connection drops on the second
// one: the chat asks where the upload stands and finishes it.
func TestBrowserScreenRecording(t *testing.T) {
	f := start(t, "sqlite", nil, nil)
	f.env.App.Widget.Resumable.PieceBytes = 16 << 10
	ctx := apptest.Browser(t)
	var patches, heads atomic.Int32
	// Listen's func must not send commands itself: the answers go from
	// a goroutine of their own.
	if err := chromedp.Listen(ctx, func(ev any) {
		e, ok := ev.(*fetch.EventRequestPaused)
		if !ok {
			return
		}
		go func() {
			switch e.Request.Method {
			case "PATCH":
				if patches.Add(1) == 2 {
					chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: e.RequestID, ErrorReason: network.ErrorReasonConnectionReset})
					return
				}
			case "HEAD":
				heads.Add(1)
			}
			chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: e.RequestID})
		}()
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/uploads/resumable/*"}}}); err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("%s/widget/%d", f.env.URL, f.inbox.ID)
	if err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(`[data-testid=message-input]`))); err != nil {
		t.Fatal(err)
	}
	eval := func(js string) bool {
		t.Helper()
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return ok
	}
	wait := func(js string, within time.Duration) bool {
		for deadline := time.Now().Add(within); ; time.Sleep(50 * time.Millisecond) {
			if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err == nil && ok {
				return true
			}
			if time.Now().After(deadline) {
				return false
			}
		}
	}
	eval(syntheticScreen)
	// A first message, so there is a conversation.
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`[data-testid=message-input]`), "The checkout button does nothing"),
		chromedp.Click(chromedp.CSS(`[data-testid=send]`))); err != nil {
		t.Fatal(err)
	}
	if !wait(`getComputedStyle(document.querySelector('[data-testid=record]')).display !== 'none'`, 3*time.Second) {
		t.Fatal("no record button where the browser can capture the screen")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=record]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=record-stop]`))); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=record-stop]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=record-preview]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=record-attach]`))); err != nil {
		t.Fatal(err)
	}
	if !wait(`document.querySelector('#pending').textContent.indexOf('screen-recording') >= 0`, 10*time.Second) {
		t.Fatal("the recording was not attached")
	}
	if patches.Load() < 3 || heads.Load() < 1 {
		t.Fatalf("%d PATCHes and %d HEADs: the recording was not sent in pieces, or not resumed after the drop", patches.Load(), heads.Load())
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`[data-testid=message-input]`), "Here is what happens"),
		chromedp.Click(chromedp.CSS(`[data-testid=send]`))); err != nil {
		t.Fatal(err)
	}
	if !wait(`!!document.querySelector('[data-testid=video]')`, 5*time.Second) {
		t.Fatal("the chat does not play the recording it sent")
	}
	// Its length is shown at once (read from the file by Parley: the
	// recording itself does not tell the player), and its first frame.
	if !wait(`/^▶ 0:0[1-3]$/.test((document.querySelector('[data-testid=video-length]') || {}).textContent || '') &&
	  /#t=0\.1$/.test(document.querySelector('[data-testid=video]').getAttribute('src'))`, 3*time.Second) {
		t.Fatal("the recording's length or poster frame is not shown")
	}
	// A screenshot with a box drawn on it.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=screenshot]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=shot-canvas]`))); err != nil {
		t.Fatal(err)
	}
	eval(`(function(){var c=document.querySelector('[data-testid=shot-canvas]'),r=c.getBoundingClientRect();
	  function ev(t,x,y){c.dispatchEvent(new MouseEvent(t,{clientX:r.left+x,clientY:r.top+y,bubbles:true}));}
	  ev('mousedown',20,20); ev('mousemove',120,80); window.dispatchEvent(new MouseEvent('mouseup',{bubbles:true})); return true})()`)
	if !eval(`window.parleyShot.shapes.length === 1 && window.parleyShot.shapes[0].tool === 'box'`) {
		t.Fatal("the box was not drawn")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=shot-attach]`))); err != nil {
		t.Fatal(err)
	}
	if !wait(`document.querySelector('#pending').textContent.indexOf('screenshot.png') >= 0`, 5*time.Second) {
		t.Fatal("the screenshot was not attached")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=send]`))); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		kinds = nil
		for _, c := range f.apiConversations() {
			for _, m := range f.apiMessages(c.ID) {
				for _, a := range m.Attachments {
					kinds = append(kinds, a.ContentType+" "+fmt.Sprint(a.Size > 1000))
					if a.ContentType == "video/webm" && (a.DurationMS < 1000 || a.DurationMS > 4000) {
						t.Errorf("the recording's stored length: %d ms for about 1.5 s", a.DurationMS)
					}
				}
			}
		}
		if len(kinds) == 2 {
			break
		}
	}
	if strings.Join(kinds, ",") != "video/webm true,image/png true" {
		t.Fatalf("attachments stored: %v", kinds)
	}
	// The agent, in a browser of their own, plays the recording (with its
	// length) and sees the marked screenshot.
	agent := apptest.Browser(t)
	f.signIn(agent, "lan@example.com", "Lan", parley.RoleAgent)
	convs := f.apiConversations()
	if err := chromedp.Do(agent, chromedp.Navigate(fmt.Sprintf("%s/app/conversations/%d", f.env.URL, convs[0].ID)),
		chromedp.WaitVisible(chromedp.CSS(`#timeline`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(agent, `(function(){ var v = document.querySelector('#timeline video.file-video'), i = document.querySelector('#timeline .file-image img');
	  return !!v && v.readyState >= 1 && !!i && i.complete && i.naturalWidth > 0 &&
	    /^0:0[1-3]$/.test((document.querySelector('#timeline [data-testid=video-length]') || {}).textContent || '') })()`, 5*time.Second) {
		t.Fatal("the agent does not see the customer's recording (playable, with its length) and screenshot")
	}
}
