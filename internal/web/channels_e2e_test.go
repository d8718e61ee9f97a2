package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/internal/channel/sms"
	"github.com/parleyhq/parley/internal/channel/twilio/twiliotest"
	"github.com/parleyhq/parley/internal/channel/whatsapp/whatsapptest"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/simulate"
)

// channelEnv adds a WhatsApp and an SMS inbox, each talking to a fake
// provider, and a conversation from a WhatsApp customer.
func channelEnv(t *testing.T) (e *env, conv int64, wa, smsInbox parley.Inbox, waFake *whatsapptest.Server, twFake *twiliotest.Server) {
	e = start(t, "sqlite")
	waFake = whatsapptest.New(t, "v23.0", "1098", "wa-token")
	twFake = twiliotest.New(t, "AC0123456789abcdef0123456789abcdef", "tw-token")
	var err error
	wa, err = e.App.Inbox.CreateInbox(bg, inbox.System, parley.Inbox{Name: "WhatsApp", ChannelType: parley.ChannelWhatsApp,
		Settings: map[string]string{"phone_number_id": "1098", "api_version": "v23.0", "base_url": waFake.URL,
			"templates": "order_shipped|en_US|Hi {{1}}, order {{2}} has shipped."}},
		map[string]string{"access_token": "wa-token", "app_secret": "wa-secret", "verify_token": "vt"})
	if err != nil {
		t.Fatal(err)
	}
	smsInbox, err = e.App.Inbox.CreateInbox(bg, inbox.System, parley.Inbox{Name: "SMS", ChannelType: parley.ChannelSMS,
		Settings: map[string]string{"account_sid": twFake.AccountSID, "from": "+15550100200", "base_url": twFake.URL, "price_per_segment": "0.0079", "currency": "USD"}},
		map[string]string{"auth_token": "tw-token"})
	if err != nil {
		t.Fatal(err)
	}
	hook := simulate.WhatsApp{AppSecret: "wa-secret", PhoneNumberID: "1098"}.Messages(simulate.Message{ID: "wamid.1", From: "+15550001234", Name: "Ben Carter", Text: "Where is my parcel?"})
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/hooks/whatsapp/%d", e.URL, wa.ID), bytes.NewReader(hook.Body))
	req.Header = hook.Header
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("webhook: %v %v", resp, err)
	}
	resp.Body.Close()
	page, err := e.App.DB.Conversations(bg, parley.ConversationFilter{InboxID: wa.ID, Limit: 1})
	if err != nil || len(page.Conversations) != 1 {
		t.Fatalf("conversation: %v %v", page, err)
	}
	return e, page.Conversations[0].ID, wa, smsInbox, waFake, twFake
}

// TestBrowserChannelComposer: the composer shows the WhatsApp window, sends
// a template with its values, counts SMS segments and cost as the agent
// types, and continues the conversation by SMS.
func TestBrowserChannelComposer(t *testing.T) {
	e, conv, _, smsInbox, waFake, twFake := channelEnv(t)
	ctx := browserAs(t, e, "agent@example.com")
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/app/conversations/%d", e.URL, conv)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=channel-bar]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, has(`[data-testid=channel-info]:not([hidden]) [data-testid=window]`, "closes in 23h"), time.Second) {
		txt, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("[data-testid=channel-bar]").innerText`))
		t.Errorf("window not shown: %q", txt)
	}

	// The segment counter agrees with Go's, character for character.
	samples := []string{"", "Hello", "Price: 10€ [promo]", strings.Repeat("a", 160), strings.Repeat("a", 161), strings.Repeat("€", 80),
		"Xin chào, đơn hàng của bạn", "Ok 👍", strings.Repeat("😀", 35), strings.Repeat("ab", 100) + "😀", "Line\nbreak ^ {x} ~ \\ |"}
	for _, s := range samples {
		want := sms.Segments(s)
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`JSON.stringify(window.parleySMS(%s))`, jsString(s))))
		if err != nil {
			t.Fatal(err)
		}
		var js map[string]any
		json.Unmarshal([]byte(raw), &js)
		if js["encoding"] != want.Encoding || int(js["units"].(float64)) != want.Units || int(js["segments"].(float64)) != want.Segments ||
			int(js["perSegment"].(float64)) != want.PerSegment {
			t.Errorf("parleySMS(%q) = %s, Go says %+v", s, raw, want)
		}
	}

	// A template with its values.
	choose(t, ctx, "template-select", "order_shipped")
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("[data-testid=template-param]").length`)); n != 2 {
		t.Fatalf("%d template inputs, want 2", n)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`[data-testid=template-param]:nth-child(1)`), "Ben"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=template-param]:nth-child(2)`), "#1042"),
		chromedp.Click(chromedp.CSS(`[data-testid=send]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, has("#timeline", "Hi Ben, order #1042 has shipped."), 3*time.Second) {
		t.Fatal("the template message did not appear")
	}

	// Switch to SMS: the counter shows segments, encoding and cost.
	choose(t, ctx, "via-select", fmt.Sprint(smsInbox.ID))
	smsText := "Your refund of 49€ was approved today and reaches your card within 5 business days. We also added a 10€ voucher to your account for the trouble. Thanks for your patience, Ben!"
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`[data-testid=composer-text]`), smsText)); err != nil {
		t.Fatal(err)
	}
	info := sms.Segments(smsText)
	if info.Segments != 2 || info.Encoding != sms.GSM7 {
		t.Fatalf("test text: %+v, want 2 GSM-7 segments", info)
	}
	wantMeter := fmt.Sprintf("2 segments · GSM-7 · %d/306 · ≈ 0.0158 USD", info.Units)
	if !waitJS(t, ctx, has(`[data-testid=sms-meter]`, wantMeter), time.Second) {
		txt, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("[data-testid=sms-meter]").innerText`))
		t.Errorf("meter = %q, want %q", txt, wantMeter)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=send]`))); err != nil {
		t.Fatal(err)
	}
	if !waitJS(t, ctx, has("#timeline", "via SMS"), 3*time.Second) {
		t.Fatal("the SMS reply is not marked as sent via SMS")
	}
	// Both went out through their providers.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && (len(waFake.Requests()) < 1 || len(twFake.Requests()) < 1) {
		e.App.Jobs.RunDue(bg)
		time.Sleep(20 * time.Millisecond)
	}
	if len(waFake.Requests()) < 1 || len(twFake.Requests()) != 1 || waFake.Requests()[0].JSON["type"] != "template" {
		t.Fatalf("WhatsApp got %d, Twilio %d requests", len(waFake.Requests()), len(twFake.Requests()))
	}
	if to := twFake.Requests()[0].Form.Get("To"); to != "+15550001234" {
		t.Errorf("SMS went to %q", to)
	}
	if os.Getenv("PARLEY_SCREENSHOTS") == "1" {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(fmt.Sprintf("%s/app/conversations/%d", e.URL, conv)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=channel-bar]`))); err != nil {
			t.Fatal(err)
		}
		choose(t, ctx, "via-select", fmt.Sprint(smsInbox.ID))
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`[data-testid=composer-text]`), "Hi Ben, the courier has your parcel: it goes out for delivery tomorrow morning. Reply here if another day suits you better."),
			chromedp.Sleep(300*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		img, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("..", "..", "docs", "screenshots", "channels.png"), img, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// choose picks an option of a select as a user would, firing change.
func choose(t *testing.T, ctx context.Context, testid, value string) {
	t.Helper()
	js := fmt.Sprintf(`(function(){var s=document.querySelector("[data-testid=%s]");s.value=%s;return s.dispatchEvent(new Event("change",{bubbles:true}));})()`, testid, jsString(value))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err != nil {
		t.Fatal(err)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
