package web_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserComposerRecording: an agent records a (synthetic) screen
// clip from the composer and sends it with a reply: the reply carries
// the recording, and the timeline plays it. The clip goes up through
// the resumable upload before the reply is sent.
func TestBrowserComposerRecording(t *testing.T) {
	e := start(t, "sqlite")
	ctx := browserAs(t, e, "agent@example.com")
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/app/conversations/%d", e.URL, e.convID)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=composer-text]`))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function(){
	  var c = document.createElement('canvas'); c.width = 640; c.height = 360;
	  var g = c.getContext('2d'), n = 0;
	  setInterval(function(){ g.fillStyle = 'hsl(' + (n++ * 12 % 360) + ',70%,50%)'; g.fillRect(0, 0, 640, 360); }, 60);
	  navigator.mediaDevices.getDisplayMedia = function(){ return Promise.resolve(c.captureStream(15)); };
	  return true })()`)); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, `getComputedStyle(document.querySelector('#composer [data-testid=record]')).display !== 'none'`, 3*time.Second) {
		t.Fatal("no record button in the composer")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#composer [data-testid=record]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=record-stop]`))); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1200 * time.Millisecond)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=record-stop]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=record-attach]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=record-attach]`))); err != nil {
		t.Fatal(err)
	}
	// The clip is uploaded at once, in pieces (resumable.js), and waits
	// in the form as the stored file's id.
	if !waitJS(t, ctx, `(function(){ var c = document.querySelector('#composer [data-testid=stored-file]');
	  return !!c && c.textContent.indexOf('screen-recording') >= 0 && /^[0-9a-f]{64}$/.test(c.querySelector('input[name=upload_id]').value) })()`, uploadWait) {
		t.Fatalf("the recording is not among the composer's files (toast: %q)", toastText(ctx))
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`[data-testid=composer-text]`), "Here is where to click"),
		chromedp.Click(chromedp.CSS(`[data-testid=send]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, `!!document.querySelector('#timeline video.file-video')`, 15*time.Second) {
		t.Fatal("the timeline does not play the recording")
	}
	if !waitJS(t, ctx, `/^0:0[1-3]$/.test((document.querySelector('#timeline [data-testid=video-length]') || {}).textContent || '')`, 2*time.Second) {
		t.Fatal("the timeline does not show the recording's length")
	}
	if !waitJS(t, ctx, `!document.querySelector('#composer [data-testid=stored-file]')`, 2*time.Second) {
		t.Fatal("the sent recording is still in the composer")
	}
	msgs, _ := e.App.DB.Messages(bg, []int64{e.convID})
	last := msgs[len(msgs)-1]
	if len(last.Attachments) != 1 || last.Attachments[0].ContentType != "video/webm" {
		t.Fatalf("the reply's attachments: %+v", last.Attachments)
	}
}

// TestBrowserCannedClip: an owner takes a (synthetic) screenshot inside
// the new canned response's form and saves it as the response's clip;
// an agent who inserts that response gets the clip among the reply's
// files, and the reply carries it.
func TestBrowserCannedClip(t *testing.T) {
	e := start(t, "sqlite")
	ctx := browserAs(t, e, "owner@example.com")
	if err := chromedp.Do(ctx, chromedp.Navigate(e.URL+"/app/admin/canned"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=canned-new]`))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function(){
	  var c = document.createElement('canvas'); c.width = 640; c.height = 360;
	  var g = c.getContext('2d'); g.fillStyle = '#2a6'; g.fillRect(0, 0, 640, 360);
	  setInterval(function(){ g.fillRect(0, 0, 1, 1); }, 60);
	  navigator.mediaDevices.getDisplayMedia = function(){ return Promise.resolve(c.captureStream(15)); };
	  return true })()`)); err != nil {
		t.Fatal(err)
	}
	form := `[data-testid=canned-new] `
	if !waitJS(t, ctx, `getComputedStyle(document.querySelector('[data-testid=canned-new] [data-testid=clip-screenshot]')).display !== 'none'`, 3*time.Second) {
		t.Fatal("no screenshot button in the canned form")
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(form+`input[name=shortcut]`), "where"),
		chromedp.SendKeys(chromedp.CSS(form+`input[name=title]`), "Where to click"),
		chromedp.SendKeys(chromedp.CSS(form+`textarea[name=body]`), "The button is marked in the screenshot."),
		chromedp.Click(chromedp.CSS(form+`[data-testid=clip-screenshot]`)),
		chromedp.WaitVisible(chromedp.CSS(form+`[data-testid=shot-attach]`)),
		chromedp.Click(chromedp.CSS(form+`[data-testid=shot-attach]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, `(function(){ var c = document.querySelector('[data-testid=canned-new] .stored-files [data-testid=stored-file]');
	  return !!c && /^[0-9a-f]{64}$/.test(c.querySelector('input[name=upload_id]').value) })()`, uploadWait) {
		t.Fatalf("the screenshot is not in the canned form (toast: %q)", toastText(ctx))
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(form+`button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=clip-current]`))); err != nil {
		t.Fatal(err)
	}
	// The agent inserts it: text and clip together, the clip once.
	ctx = browserAs(t, e, "agent@example.com")
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/app/conversations/%d", e.URL, e.convID)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=composer-text]`))); err != nil {
		t.Fatal(err)
	}
	pick := `(function(){ var s = document.querySelector('#canned-select'), o = document.querySelector('#canned-select option[data-shortcut=where]');
	  s.value = o.value; s.dispatchEvent(new Event('change', {bubbles: true})); return true })()`
	for range 2 {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](pick)); err != nil {
			t.Fatal(err)
		}
	}
	if !waitJS(t, ctx, `document.querySelectorAll('#composer [data-testid=stored-file]').length === 1 &&
	  document.querySelector('#composer-text').value.indexOf('marked in the screenshot') >= 0`, 3*time.Second) {
		t.Fatal("inserting the canned response did not attach its clip once")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=send]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, `!!document.querySelector('#timeline .file-image img')`, 15*time.Second) {
		t.Fatal("the timeline does not show the clip")
	}
	msgs, _ := e.App.DB.Messages(bg, []int64{e.convID})
	last := msgs[len(msgs)-1]
	if len(last.Attachments) != 1 || last.Attachments[0].ContentType != "image/png" || last.Attachments[0].Filename != "screenshot.png" {
		t.Fatalf("the reply's attachments: %+v", last.Attachments)
	}
}

// uploadWait bounds a capture's way into a form: capture.js and
// resumable.js fetched on first use, the frame encoded, the pieces
// uploaded. Seconds on a quiet machine; CI, with other packages' tests
// and PostgreSQL on the same two cores, once took longer than five.
const uploadWait = 20 * time.Second

// toastText is what the page last told the user, to say why a capture
// never arrived.
func toastText(ctx context.Context) string {
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('#toast') || {}).textContent || ''`))
	return s
}
