package web_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// TestScreenshots seeds realistic data and writes docs/screenshots/inbox.png,
// conversation.png and reports.png at 1280x800. Run with PARLEY_SCREENSHOTS=1.
func TestScreenshots(t *testing.T) {
	if os.Getenv("PARLEY_SCREENSHOTS") != "1" {
		t.Skip("set PARLEY_SCREENSHOTS=1 to write docs/screenshots")
	}
	e := start(t, "sqlite")
	owner := inbox.Actor{AgentID: &e.ownerID, Role: parley.RoleOwner}
	lan, _, err := e.App.Inbox.CreateAgent(bg, inbox.System, parley.Agent{Email: "lan@example.com", Name: "Lan Nguyen", Role: parley.RoleAdmin}, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	minh := e.mustAgent("minh@example.com", "Minh Tran", parley.RoleAgent)
	team, _ := e.App.Inbox.CreateTeam(bg, owner, parley.Team{Name: "Billing"}, []int64{lan.ID})
	web, _ := e.App.Inbox.CreateInbox(bg, owner, parley.Inbox{Name: "Website chat", ChannelType: parley.ChannelWidget}, nil)
	app, _ := e.App.Inbox.CreateInbox(bg, owner, parley.Inbox{Name: "Mobile app", ChannelType: parley.ChannelAPI}, nil)
	e.App.Inbox.SaveCanned(bg, owner, store.CannedResponse{Shortcut: "refund", Title: "Refund on its way", Body: "Hi {{contact.first_name}}, your refund is on its way and should reach you in 3–5 business days."})
	e.App.Inbox.SaveCanned(bg, owner, store.CannedResponse{Shortcut: "thanks", Title: "Thanks for waiting", Body: "Thanks for your patience, {{contact.first_name}}!"})

	in := func(inboxID int64, ext, name, email, text string, atts ...inbox.AttachmentRef) int64 {
		r, err := e.App.Inbox.Receive(bg, inboxID, inbox.Incoming{Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: ext, Name: name, Email: email}, Text: text, Attachments: atts})
		if err != nil {
			t.Fatal(err)
		}
		return r.ConversationID
	}
	clock := time.Now().Add(-26 * time.Hour)
	tick := func(d time.Duration) { clock = clock.Add(d) }
	e.App.DB.Now = func() time.Time { return clock }
	reply := func(agent int64, conv int64, text string) {
		if _, err := e.App.Inbox.Reply(bg, inbox.Actor{AgentID: &agent, Role: parley.RoleAgent}, conv, inbox.Outgoing{Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	update := func(conv int64, ch inbox.Change) {
		if _, err := e.App.Inbox.Update(bg, owner, conv, ch); err != nil {
			t.Fatal(err)
		}
	}
	resolved, pending := parley.StatusResolved, parley.StatusPending
	high, urgent := parley.PriorityHigh, parley.PriorityUrgent

	c1 := in(web.ID, "v-101", "Hoa Pham", "hoa.pham@example.com", "Hi! I was charged twice for order #4821. Can you help?")
	tick(3 * time.Minute)
	update(c1, inbox.Change{AssigneeID: &lan.ID, TeamID: &team.ID, Priority: &high, Labels: &[]string{"billing", "refund"}})
	reply(lan.ID, c1, "Hi Hoa, sorry about that! Let me check the payment records for order #4821.")
	tick(2 * time.Minute)
	if _, err := e.App.Inbox.AddNote(bg, inbox.Actor{AgentID: &lan.ID, Role: parley.RoleAdmin}, c1, inbox.Outgoing{Text: "Stripe shows two captures 40 seconds apart — refunding the second one."}); err != nil {
		t.Fatal(err)
	}
	tick(4 * time.Minute)
	info, err := e.App.Blobs.Put(bytes.NewReader(receiptPNG()), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	e.App.DB.Write(bg, func(tx *store.Tx) error { return tx.RegisterBlob(info.SHA256, info.Size, info.ContentType) })
	in(web.ID, "v-101", "Hoa Pham", "", "Here is the bank statement, see https://bank.example.com/statement/4821", inbox.AttachmentRef{SHA256: info.SHA256, Filename: "statement.png"})
	tick(20 * time.Hour)

	c2 := in(app.ID, "u-77", "David Kim", "david@example.com", "The app crashes when I open my saved addresses on Android 14.")
	update(c2, inbox.Change{Priority: &urgent, Labels: &[]string{"bug", "android"}})
	tick(30 * time.Minute)
	c3 := in(web.ID, "v-205", "Sofia Rossi", "", "Do you deliver to Da Nang on weekends?")
	tick(10 * time.Minute)
	reply(minh, c3, "Yes! Weekend delivery to Da Nang is available for orders placed before Friday noon.")
	update(c3, inbox.Change{Status: &pending})
	tick(20 * time.Minute)
	c4 := in(web.ID, "v-309", "Thanh Nguyen", "thanh@example.com", "Can I change the size of my jacket order? It hasn't shipped yet.")
	update(c4, inbox.Change{AssigneeID: &minh, Labels: &[]string{"orders"}})
	tick(50 * time.Minute)
	c5 := in(app.ID, "u-12", "Emma Wilson", "", "Thanks, the discount code worked!")
	tick(6 * time.Minute)
	reply(lan.ID, c5, "Wonderful, enjoy your order Emma!")
	tick(4 * time.Minute)
	update(c5, inbox.Change{Status: &resolved})
	tick(15 * time.Minute)
	in(web.ID, "v-411", "Lucas Martin", "", "Hello, is anyone there? I need an invoice for my company.")
	tick(35 * time.Minute)
	in(app.ID, "u-90", "Mai Hoang", "mai.hoang@example.com", "My promo code SUMMER24 says it has expired but the banner says it runs until Sunday.")
	tick(12 * time.Minute)
	c8 := in(web.ID, "v-512", "Oliver Brown", "", "Where can I find the return label?")
	until := clock.Add(20 * time.Hour)
	if _, err := e.App.Inbox.Snooze(bg, owner, c8, &until); err != nil {
		t.Fatal(err)
	}
	// Sofia's question is settled: the survey goes out five minutes after
	// the resolution, and she answers it.
	update(c3, inbox.Change{Status: &resolved})
	tick(6 * time.Minute)
	if _, err := e.App.Jobs.RunDue(bg); err != nil {
		t.Fatal(err)
	}
	if list, err := e.App.DB.Surveys(bg, c3); err == nil && len(list) == 1 {
		one, five := 1, 5
		if _, err := e.App.Inbox.AnswerSurvey(bg, list[0].Token, web.ID, parley.SurveyAnswer{CES: &one, CSAT: &five, Comment: "Quick and clear, thank you!"}, inbox.ViaWidget); err != nil {
			t.Fatal(err)
		}
	}
	tick(5 * time.Minute)
	reply(lan.ID, c1, "Done — the duplicate charge of 1,250,000₫ has been refunded. You will see it in 3–5 business days.")
	tick(2 * time.Minute)
	e.App.DB.Now = func() time.Time { return time.Now().UTC() }
	e.App.Inbox.TouchPresence(bg, lan.ID)

	ctx := browserAs(t, e, "lan@example.com")
	dir := filepath.Join("..", "..", "docs", "screenshots")
	os.MkdirAll(dir, 0o755)
	shoot := func(path, name string) { shootAt(t, ctx, 1280, 800, e.URL+path, filepath.Join(dir, name)) }
	shoot("/app/", "inbox.png")
	shoot(fmt.Sprintf("/app/conversations/%d", c1), "conversation.png")
	shootAt(t, ctx, 1280, 1560, e.URL+"/app/reports", filepath.Join(dir, "reports.png"))
	// Phone-sized: the list with its view switch, and a conversation.
	shootAt(t, ctx, 375, 812, e.URL+"/app/", filepath.Join(dir, "phone.png"))
	shootAt(t, ctx, 375, 812, fmt.Sprintf("%s/app/conversations/%d", e.URL, c1), filepath.Join(dir, "phone-conversation.png"))
	// Bulk work: three conversations selected, the bar ready.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(e.URL+"/app/"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=row-select]`))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function(){var b=document.querySelectorAll("[data-testid=row-select]");for(var i=0;i<3&&i<b.length;i++){b[i].click()}return true})()`)); err != nil {
		t.Fatal(err)
	}
	capture(t, ctx, filepath.Join(dir, "bulk.png"))
	// The chat's look, previewed in its inbox's settings.
	web.Look = parley.WidgetLook{Color: "#0f7b6c", Title: "Acme Help", Position: "left"}
	if _, err := e.App.Inbox.UpdateInbox(bg, owner, web, nil); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(fmt.Sprintf("%s/app/admin/inboxes/%d", e.URL, web.ID)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=widget-look]`))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function(){document.querySelector("[data-testid=widget-look]").scrollIntoView();return true})()`)); err != nil {
		t.Fatal(err)
	}
	capture(t, ctx, filepath.Join(dir, "widget-look.png"))
	shootAt(t, ctx, 1280, 800, fmt.Sprintf("%s/app/admin/inboxes/%d", e.URL, web.ID), filepath.Join(os.TempDir(), "parley-admin.png"))
}

// capture saves what the browser shows now.
func capture(t *testing.T, ctx context.Context, file string) {
	t.Helper()
	chromedp.Do(ctx, chromedp.Sleep(300*time.Millisecond))
	img, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, img, 0o644); err != nil {
		t.Fatal(err)
	}
}

func shootAt(t *testing.T, ctx context.Context, w, h int64, u, file string) {
	t.Helper()
	{
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, h), chromedp.Navigate(u),
			chromedp.WaitReady(chromedp.CSS(`body`)), chromedp.Sleep(400*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		img, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, img, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// receiptPNG draws a small bank-statement-like image.
func receiptPNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 360, 200))
	for y := 0; y < 200; y++ {
		for x := 0; x < 360; x++ {
			c := color.RGBA{250, 250, 252, 255}
			switch {
			case y < 36:
				c = color.RGBA{38, 70, 160, 255}
			case y%28 > 22 && x > 20 && x < 340:
				c = color.RGBA{225, 228, 236, 255}
			case (y/28)%2 == 1 && x > 260 && x < 330 && y%28 > 8 && y%28 < 16:
				c = color.RGBA{196, 50, 59, 255}
			case x > 20 && x < 200 && y%28 > 8 && y%28 < 16 && y > 40:
				c = color.RGBA{150, 156, 170, 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// TestScreenshotQueue writes docs/screenshots/queue.png: the Queue view
// with SLA badges (ok, warning, overdue) and an urgent conversation open.
// Run with PARLEY_SCREENSHOTS=1.
func TestScreenshotQueue(t *testing.T) {
	if os.Getenv("PARLEY_SCREENSHOTS") != "1" {
		t.Skip("set PARLEY_SCREENSHOTS=1 to write docs/screenshots")
	}
	var clk clock
	e := startAt(t, "sqlite", clk.Now)
	owner := inbox.Actor{AgentID: &e.ownerID, Role: parley.RoleOwner}
	lan, _, err := e.App.Inbox.CreateAgent(bg, inbox.System, parley.Agent{Email: "lan@example.com", Name: "Lan Nguyen", Role: parley.RoleAdmin}, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	minh := e.mustAgent("minh@example.com", "Minh Tran", parley.RoleAgent)
	// Both online with room for two: the first four conversations are
	// theirs, the rest wait in the queue.
	e.goOnline(lan.ID, 2)
	e.goOnline(minh, 2)
	for _, p := range []parley.SLAPolicy{
		{Name: "Urgent", Priority: parley.PriorityUrgent, FirstResponse: 15 * time.Minute, Resolution: 4 * time.Hour, WarnPercent: 80},
		{Name: "Standard", FirstResponse: time.Hour, NextResponse: 2 * time.Hour, Resolution: 24 * time.Hour, WarnPercent: 80},
	} {
		if _, err := e.App.Inbox.SaveSLAPolicy(bg, owner, p); err != nil {
			t.Fatal(err)
		}
	}
	web, err := e.App.Inbox.CreateInbox(bg, owner, parley.Inbox{Name: "Website chat", ChannelType: parley.ChannelWidget,
		Routing: parley.Routing{AutoAssign: true, RequeueOnAway: true}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	in := func(ago time.Duration, ext, name, text string) int64 {
		clk.pin(now.Add(-ago))
		r, err := e.App.Inbox.Receive(bg, web.ID, inbox.Incoming{Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: ext, Name: name}, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.App.Inbox.Drain(bg); err != nil {
			t.Fatal(err)
		}
		return r.ConversationID
	}
	reply := func(agent, conv int64, text string) {
		if _, err := e.App.Inbox.Reply(bg, inbox.Actor{AgentID: &agent, Role: parley.RoleAgent}, conv, inbox.Outgoing{Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	// In time order: the clock only moves forward, as the SLA timers expect.
	david := in(3*time.Hour, "u-77", "David Kim", "The app crashes when I open my saved addresses on Android 14.")
	reply(lan.ID, david, "Thanks David, we can reproduce it and a fix is on the way.")
	thanh := in(150*time.Minute, "v-309", "Thanh Nguyen", "Can I change the size of my jacket order? It hasn't shipped yet.")
	reply(minh, thanh, "Yes! Which size would you like instead?")
	emma := in(100*time.Minute, "u-12", "Emma Wilson", "Is the discount code stackable with the member price?")
	reply(lan.ID, emma, "It is! Both apply at checkout.")
	in(80*time.Minute, "v-205", "Quang Vo", "Do you deliver to Da Nang on weekends?")
	// Nobody has room now.
	in(75*time.Minute, "v-411", "Lucas Martin", "Hello, is anyone there? I need an invoice for my company.")
	mai := in(50*time.Minute, "u-90", "Mai Hoang", "My promo code SUMMER24 says it has expired but the banner says it runs until Sunday.")
	in(20*time.Minute, "v-512", "Sofia Rossi", "Where can I find the return label?")
	hoa := in(4*time.Minute, "v-101", "Hoa Pham", "Hi! I was charged twice for order #4821. Can you help?")
	in(2*time.Minute, "v-620", "Oliver Brown", "Could I get the invoice as a PDF?")
	clk.unpin()
	// Warnings and breaches whose moment has passed are recorded.
	for i := 0; i < 5; i++ {
		e.App.Jobs.RunDue(bg)
	}
	if c := e.conversation(mai); c.SLAState != "warning" {
		t.Errorf("Mai's conversation: SLA %q, want warning", c.SLAState)
	}
	if c := e.conversation(hoa); c.Priority != parley.PriorityUrgent || c.QueuedAt == nil {
		t.Fatalf("Hoa's conversation = %+v, want urgent and queued", c)
	}
	e.App.Inbox.TouchPresence(bg, lan.ID)
	ctx := browserAs(t, e, "lan@example.com")
	dir := filepath.Join("..", "..", "docs", "screenshots")
	os.MkdirAll(dir, 0o755)
	shootAt(t, ctx, 1280, 800, fmt.Sprintf("%s/app/conversations/%d?view=queue", e.URL, hoa), filepath.Join(dir, "queue.png"))
	shootAt(t, ctx, 1280, 800, e.URL+"/app/?view=breaching", filepath.Join(os.TempDir(), "parley-breaching.png"))
	shootAt(t, ctx, 1280, 2000, fmt.Sprintf("%s/app/admin/inboxes/%d", e.URL, web.ID), filepath.Join(os.TempDir(), "parley-routing.png"))
	shootAt(t, ctx, 1280, 900, e.URL+"/app/admin/sla", filepath.Join(os.TempDir(), "parley-sla.png"))
	shootAt(t, ctx, 1280, 900, e.URL+"/app/admin/agents", filepath.Join(os.TempDir(), "parley-agents.png"))
	shootAt(t, ctx, 1280, 900, e.URL+"/app/admin/triage", filepath.Join(os.TempDir(), "parley-triage.png"))
}
