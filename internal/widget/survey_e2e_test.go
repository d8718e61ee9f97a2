package widget_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/parleyhq/parley/internal/app/apptest"
)

// The visitor answers the survey with the widget's buttons: effort, then
// satisfaction, then a comment, all recorded on the survey.
func TestBrowserSurvey(t *testing.T) {
	clock := &fakeClock{}
	f := start(t, "sqlite", clock.Now, nil)
	host := hostPage(t, f)
	ctx := apptest.Browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(host), chromedp.Click(chromedp.CSS("[data-testid=parley-launcher]"))); err != nil {
		t.Fatal(err)
	}
	c := frame(t, ctx, f)
	c.write("Can I change my delivery address?")
	c.waitText("Can I change my delivery address?", 5*time.Second)
	var conv int64
	for deadline := time.Now().Add(5 * time.Second); conv == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if list := f.apiConversations(); len(list) == 1 {
			conv = list[0].ID
		}
	}
	time.Sleep(300 * time.Millisecond) // let the stream connect
	f.agentSays(conv, "messages", "Done, it's changed.")
	c.waitText("Done, it's changed.", 2*time.Second)
	f.env.JSON("PATCH", fmt.Sprintf("/api/v1/conversations/%d", conv), map[string]any{"status": "resolved"}, http.StatusOK, nil)
	clock.Advance(6 * time.Minute)
	f.env.App.Jobs.Wake()

	// The question arrives live, with five buttons.
	if err := c.poll(`document.querySelectorAll('[data-testid^=survey-ces-]').length === 5`, 5*time.Second); err != nil {
		t.Fatalf("no effort buttons: %v", err)
	}
	// The question is shown once (the card asks it, the bubble does not
	// repeat it), and the message is Parley's, labelled as automatic.
	once := `document.body.innerText.split("How easy was it to get your issue solved?").length === 2`
	if err := c.poll(once, time.Second); err != nil {
		t.Errorf("the survey question is not shown exactly once: %v", err)
	}
	auto := `(function(){var r=document.querySelector('[data-automated=true]');return !!r && !!r.querySelector('[data-testid=survey]') && r.innerText.indexOf('Automatic message') >= 0 && r.innerText.indexOf('API') < 0;})()`
	if err := c.poll(auto, time.Second); err != nil {
		t.Errorf("the survey is not labelled as an automatic message: %v", err)
	}
	// Each tap is retried until the next question shows: a live update
	// that redraws the messages between finding a button and clicking it
	// would otherwise lose the click (answers are first-write-wins, so a
	// second tap changes nothing).
	if err := c.poll(tapUntil("survey-ces-2", `document.querySelectorAll('[data-testid^=survey-csat-]').length === 5`), 10*time.Second); err != nil {
		t.Fatalf("no satisfaction buttons after the effort answer: %v", err)
	}
	if err := c.poll(tapUntil("survey-csat-5", `!!document.querySelector('[data-testid=survey-comment]')`), 10*time.Second); err != nil {
		t.Fatalf("no comment box: %v", err)
	}
	c.do(chromedp.SendKeys(chromedp.CSS("[data-testid=survey-comment]"), "<b>Very</b> quick!", c.opts()...),
		chromedp.Click(chromedp.CSS("[data-testid=survey-comment-send]"), c.opts()...))
	if err := c.poll(`!document.querySelector('[data-testid=survey-comment]') && !!document.querySelector('[data-testid=survey-thanks]')`, 10*time.Second); err != nil {
		t.Fatalf("the comment was not taken: %v", err)
	}
	list, err := f.env.App.DB.Surveys(context.Background(), conv)
	if err != nil || len(list) != 1 || list[0].CES == nil || *list[0].CES != 2 || list[0].CSAT == nil || *list[0].CSAT != 5 || list[0].Comment != "<b>Very</b> quick!" {
		t.Fatalf("stored %+v %v", list, err)
	}
	// Nothing in the chat's log was reopened or sent by the answers.
	if cv, _ := f.env.App.DB.Conversation(context.Background(), conv); cv.Status != "resolved" {
		t.Errorf("status %s after answering", cv.Status)
	}
}

// tapUntil is a poll expression that is true once done is, clicking the
// button with testid at most every second until then.
func tapUntil(testid, done string) string {
	return `(function(){
		if (` + done + `) return true;
		var b = document.querySelector('[data-testid=` + testid + `]');
		var last = window.__tapped && window.__tapped['` + testid + `'] || 0;
		if (b && Date.now() - last > 1000) {
			window.__tapped = window.__tapped || {};
			window.__tapped['` + testid + `'] = Date.now();
			b.click();
		}
		return false;
	})()`
}
