package gateway_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/channel/whatsapp/whatsapptest"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/simulate"
	"github.com/parleyhq/parley/internal/store/storetest"
)

type waEnv struct {
	*env
	fake  *whatsapptest.Server
	inbox int64
	sim   simulate.WhatsApp
	hook  string
}

func startWhatsApp(t *testing.T, dialect string) *waEnv {
	e := start(t, dialect)
	fake := whatsapptest.New(t, "v23.0", "109876543210", "EAAG-token")
	id := e.createInbox("whatsapp", map[string]string{"phone_number_id": "109876543210", "api_version": "v23.0", "base_url": fake.URL,
		"templates": "order_shipped|en_US|Hi {{1}}, order {{2}} has shipped.\nfollow_up|en_US|We have an answer for you: reply to see it."},
		map[string]string{"access_token": "EAAG-token", "app_secret": "meta-app-secret", "verify_token": "let-me-in"})
	return &waEnv{env: e, fake: fake, inbox: id, sim: simulate.WhatsApp{AppSecret: "meta-app-secret", PhoneNumberID: "109876543210"},
		hook: fmt.Sprintf("/hooks/whatsapp/%d", id)}
}

func TestWhatsAppHandshake(t *testing.T) {
	w := startWhatsApp(t, "sqlite")
	get := func(token string) (int, string) {
		q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {token}, "hub.challenge": {"1158201444"}}
		resp, err := http.Get(w.URL + w.hook + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b := new(strings.Builder)
		fmt.Fprint(b, readAll(resp))
		return resp.StatusCode, b.String()
	}
	if status, body := get("let-me-in"); status != 200 || body != "1158201444" {
		t.Errorf("handshake = %d %q, want 200 and the challenge", status, body)
	}
	if status, _ := get("wrong"); status != 403 {
		t.Errorf("wrong verify token = %d, want 403", status)
	}
	if resp, _ := http.Get(w.URL + "/hooks/messenger/" + fmt.Sprint(w.inbox)); resp.StatusCode != 404 {
		t.Errorf("another channel's path for this inbox = %d, want 404", resp.StatusCode)
	}
}

func TestWhatsAppInbound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		w := startWhatsApp(t, dialect)
		msg := simulate.Message{ID: "wamid.ONE", From: "+2348012345678", Name: "Amara Okafor", Text: "Where is my order?"}
		hook := w.sim.Messages(msg)

		// Bad signature, malformed payload, oversized body: 4xx, nothing stored.
		before := w.seq()
		bad := hook
		bad.Header = bad.Header.Clone()
		bad.Header.Set("X-Hub-Signature-256", "sha256="+strings.Repeat("0", 64))
		if status, _ := w.post(w.hook, bad); status != 401 {
			t.Errorf("bad signature = %d, want 401", status)
		}
		unsigned := hook
		unsigned.Header = unsigned.Header.Clone()
		unsigned.Header.Del("X-Hub-Signature-256")
		if status, _ := w.post(w.hook, unsigned); status != 401 {
			t.Errorf("no signature = %d, want 401", status)
		}
		garbage := simulate.Webhook{Body: []byte(`{"object":"whatsapp_business_account","entry":[{"changes":`), Header: hook.Header.Clone()}
		garbage.Header.Set("X-Hub-Signature-256", signMeta("meta-app-secret", garbage.Body))
		if status, _ := w.post(w.hook, garbage); status != 400 {
			t.Errorf("malformed payload = %d, want 400", status)
		}
		huge := simulate.Webhook{Body: []byte(strings.Repeat(" ", 2<<20)), Header: hook.Header.Clone()}
		if status, _ := w.post(w.hook, huge); status != 413 {
			t.Errorf("oversized = %d, want 413", status)
		}
		w.unchanged(before, "refused webhooks")

		if status, body := w.post(w.hook, hook); status != 200 {
			t.Fatalf("webhook = %d %s", status, body)
		}
		conv := w.onlyConversation(w.inbox)
		msgs := w.messages(conv.ID)
		if len(msgs) != 1 || msgs[0].Text != "Where is my order?" || msgs[0].ExternalID != "wamid.ONE" || msgs[0].Direction != parley.Incoming {
			t.Fatalf("stored %+v", msgs)
		}
		contact, _ := w.App.DB.Contact(ctx, conv.ContactID)
		if contact.Phone != "+2348012345678" || contact.Name != "Amara Okafor" {
			t.Errorf("contact = %+v", contact)
		}

		// A retry of the same delivery stores nothing new.
		before = w.seq()
		if status, _ := w.post(w.hook, hook); status != 200 {
			t.Errorf("redelivery = %d, want 200", status)
		}
		w.unchanged(before, "a redelivered webhook")

		// Several messages in one POST, including a type Parley does not know.
		two := w.sim.Messages(simulate.Message{ID: "wamid.TWO", From: "+2348012345678", Text: "Hello?"},
			simulate.Message{ID: "wamid.THREE", From: "+2348012345678", Text: "Anyone?"})
		if status, _ := w.post(w.hook, two); status != 200 {
			t.Fatal("batch refused")
		}
		odd := simulate.Webhook{Body: []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"109876543210"},"messages":[{"from":"2348012345678","id":"wamid.ODD","timestamp":"1763900000","type":"hologram","hologram":{"x":1}}]}}]}]}`),
			Header: hook.Header.Clone()}
		odd.Header.Set("X-Hub-Signature-256", signMeta("meta-app-secret", odd.Body))
		if status, body := w.post(w.hook, odd); status != 200 {
			t.Fatalf("unknown type = %d %s", status, body)
		}
		msgs = w.messages(conv.ID)
		if len(msgs) != 4 || !strings.Contains(msgs[3].Text, "hologram") {
			t.Errorf("after batch and unknown type: %d messages, last %q", len(msgs), msgs[len(msgs)-1].Text)
		}
	})
}

func TestWhatsAppMediaFetched(t *testing.T) {
	w := startWhatsApp(t, "sqlite")
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 200)...)
	w.fake.AddMedia("5550001", "image/png", png)
	hook := w.sim.Messages(simulate.Message{ID: "wamid.IMG", From: "+15550001234", Text: "The broken lid", Media: &simulate.Media{ID: "5550001", MIMEType: "image/png"}})
	if status, body := w.post(w.hook, hook); status != 200 {
		t.Fatalf("webhook = %d %s", status, body)
	}
	conv := w.onlyConversation(w.inbox)
	w.runJobs()
	msgs := w.messages(conv.ID)
	if len(msgs) != 1 || msgs[0].Text != "The broken lid" || len(msgs[0].Attachments) != 1 {
		t.Fatalf("message = %+v", msgs)
	}
	a := msgs[0].Attachments[0]
	if a.ContentType != "image/png" || a.Size != int64(len(png)) {
		t.Errorf("attachment = %+v", a)
	}
	// The job running again (a crash after the commit) adds nothing.
	before := w.seq()
	w.post(w.hook, hook)
	w.runJobs()
	w.unchanged(before, "a redelivered media message")
}

func TestWhatsAppReplyAndReceipts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		w := startWhatsApp(t, dialect)
		w.post(w.hook, w.sim.Messages(simulate.Message{ID: "wamid.IN1", From: "+15550001234", Name: "Ben", Text: "Hi"}))
		conv := w.onlyConversation(w.inbox)

		status, body := w.reply(conv.ID, map[string]any{"text": "Hello Ben, looking now."})
		if status != 201 {
			t.Fatalf("reply = %d %s", status, body)
		}
		id := decodeID(t, body)
		if m := w.message(id); m.DeliveryState != parley.DeliveryQueued && m.DeliveryState != parley.DeliverySent {
			t.Errorf("before the job: %s, want queued (or sent, if the app's runner was quick)", m.DeliveryState)
		}
		w.runJobs()
		reqs := w.fake.Requests()
		if len(reqs) != 2 {
			t.Fatalf("fake got %d requests, want the send and a mark-as-read", len(reqs))
		}
		if reqs[0].JSON["to"] != "15550001234" || reqs[0].JSON["type"] != "text" {
			t.Errorf("sent %s", reqs[0].Body)
		}
		if reqs[1].JSON["status"] != "read" || reqs[1].JSON["message_id"] != "wamid.IN1" {
			t.Errorf("after the send: %s, want the customer's message marked read", reqs[1].Body)
		}
		m := w.message(id)
		if m.DeliveryState != parley.DeliverySent || !strings.HasPrefix(m.ExternalID, "wamid.FAKE") {
			t.Fatalf("after send: %+v", m)
		}

		// Receipts move it forward, never back.
		w.post(w.hook, w.sim.Receipts(simulate.Receipt{ID: m.ExternalID, To: "15550001234", Status: "read"}))
		w.post(w.hook, w.sim.Receipts(simulate.Receipt{ID: m.ExternalID, To: "15550001234", Status: "delivered"}))
		if got := w.message(id).DeliveryState; got != parley.DeliveryRead {
			t.Errorf("after read then a late delivered: %s, want read", got)
		}
		// A receipt for a message Parley never sent changes nothing.
		before := w.seq()
		w.post(w.hook, w.sim.Receipts(simulate.Receipt{ID: "wamid.UNKNOWN", To: "15550001234", Status: "delivered"}))
		w.unchanged(before, "a receipt for an unknown message")
	})
}

func TestWhatsAppWindow(t *testing.T) {
	w := startWhatsApp(t, "sqlite")
	w.post(w.hook, w.sim.Messages(simulate.Message{ID: "wamid.IN1", From: "+15550001234", Name: "Ben", Text: "Hi"}))
	conv := w.onlyConversation(w.inbox)

	w.clock.Add(23*time.Hour + 59*time.Minute)
	if status, body := w.reply(conv.ID, map[string]any{"text": "Still inside"}); status != 201 {
		t.Fatalf("inside the window = %d %s", status, body)
	}
	win, ok, err := w.App.Gateway.WindowFor(ctx, w.inbox, conv.ContactID)
	if err != nil || !ok || !win.Open || win.ClosesAt.Sub(w.clock.Now()) != time.Minute {
		t.Errorf("window = %+v %v %v; want open for one more minute", win, ok, err)
	}

	w.runJobs()
	w.clock.Add(2 * time.Minute)
	before := w.seq()
	status, body := w.reply(conv.ID, map[string]any{"text": "Too late"})
	if status != 409 || !strings.Contains(body, "template") {
		t.Errorf("outside the window = %d %s; want 409 naming templates", status, body)
	}
	w.unchanged(before, "a refused reply")

	// A template may be sent; its rendered body is what the agent sees.
	status, body = w.reply(conv.ID, map[string]any{"template": map[string]any{"name": "order_shipped", "params": []string{"Ben", "#1042"}}})
	if status != 201 {
		t.Fatalf("template = %d %s", status, body)
	}
	id := decodeID(t, body)
	if m := w.message(id); m.Text != "Hi Ben, order #1042 has shipped." {
		t.Errorf("template text = %q", m.Text)
	}
	status, _ = w.reply(conv.ID, map[string]any{"template": map[string]any{"name": "order_shipped", "params": []string{"Ben"}}})
	if status != 400 {
		t.Errorf("template with a missing value = %d, want 400", status)
	}
	w.runJobs()
	reqs := sends(w.fake)
	last := reqs[len(reqs)-1].JSON
	tpl, _ := last["template"].(map[string]any)
	if last["type"] != "template" || tpl["name"] != "order_shipped" {
		t.Errorf("sent %v", last)
	}
	// The customer writing again opens a new window.
	w.post(w.hook, w.sim.Messages(simulate.Message{ID: "wamid.IN2", From: "+15550001234", Text: "Thanks!"}))
	if status, _ := w.reply(conv.ID, map[string]any{"text": "You're welcome"}); status != 201 {
		t.Errorf("after the customer wrote again = %d", status)
	}
}

func TestWhatsAppSendErrors(t *testing.T) {
	w := startWhatsApp(t, "sqlite")
	w.post(w.hook, w.sim.Messages(simulate.Message{ID: "wamid.IN1", From: "+15550001234", Text: "Hi"}))
	conv := w.onlyConversation(w.inbox)

	// A permanent refusal fails the message with WhatsApp's reason.
	w.fake.FailNext(400, 131047, "Re-engagement message")
	_, body := w.reply(conv.ID, map[string]any{"text": "One"})
	id := decodeID(t, body)
	w.runJobs()
	m := w.message(id)
	if m.DeliveryState != parley.DeliveryFailed || !strings.Contains(m.DeliveryError, "24") {
		t.Errorf("after 131047: %s %q", m.DeliveryState, m.DeliveryError)
	}
	// Retry sends it again, for real.
	n := len(sends(w.fake))
	w.JSON("POST", fmt.Sprintf("/api/v1/messages/%d/retry", id), nil, 200, nil)
	w.runJobs()
	if got := w.message(id); got.DeliveryState != parley.DeliverySent || len(sends(w.fake)) != n+1 {
		t.Errorf("after retry: %s, %d sends", got.DeliveryState, len(sends(w.fake))-n)
	}

	// Throughput limits are retried later, not failed.
	w.fake.FailNext(429, 130429, "Rate limit hit")
	_, body = w.reply(conv.ID, map[string]any{"text": "Two"})
	id = decodeID(t, body)
	w.runJobs()
	if got := w.message(id); got.DeliveryState != parley.DeliveryQueued {
		t.Errorf("after 130429: %s %q, want still queued for a retry", got.DeliveryState, got.DeliveryError)
	}
	jobs := w.pendingSends()
	if len(jobs) != 1 || jobs[0].Attempts != 1 {
		t.Errorf("queued jobs = %+v", jobs)
	}
}

// sends are the fake's message sends, without mark-as-read calls.
func sends(f *whatsapptest.Server) []whatsapptest.Request {
	var out []whatsapptest.Request
	for _, r := range f.Requests() {
		if r.JSON["status"] != "read" {
			out = append(out, r)
		}
	}
	return out
}

// TestSendToRefusedAddressFailsAtOnce: a provider address the outbound
// guard refuses (here a private one no allow-list names) is a setting to
// change, so the send fails on its first run with the guard's reason
// instead of retrying for hours and showing "queued".
func TestSendToRefusedAddressFailsAtOnce(t *testing.T) {
	e := start(t, "sqlite")
	id := e.createInbox("whatsapp", map[string]string{"phone_number_id": "109876543210", "api_version": "v23.0", "base_url": "http://10.255.255.1:9"},
		map[string]string{"access_token": "EAAG-token", "app_secret": "meta-app-secret", "verify_token": "let-me-in"})
	sim := simulate.WhatsApp{AppSecret: "meta-app-secret", PhoneNumberID: "109876543210"}
	e.post(fmt.Sprintf("/hooks/whatsapp/%d", id), sim.Messages(simulate.Message{ID: "wamid.REF1", From: "+15550001234", Text: "Hi"}))
	conv := e.onlyConversation(id)
	_, body := e.reply(conv.ID, map[string]any{"text": "Hello"})
	msg := decodeID(t, body)
	e.runJobs()
	m := e.message(msg)
	if m.DeliveryState != parley.DeliveryFailed || !strings.Contains(m.DeliveryError, "Settings → Outbound") || !strings.Contains(m.DeliveryError, "10.255.255.1") {
		t.Fatalf("send to a refused address: %s %q, want failed with the guard's reason", m.DeliveryState, m.DeliveryError)
	}
	if jobs := e.pendingSends(); len(jobs) != 0 {
		t.Errorf("pending sends = %+v, want none (no retries)", jobs)
	}
}
