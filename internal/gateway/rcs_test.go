package gateway_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/channel/rbm/rbmtest"
	"github.com/parleyhq/parley/internal/channel/twilio/twiliotest"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/simulate"
	"github.com/parleyhq/parley/internal/store/storetest"
)

const (
	rbmAgent    = "parley-test-agent@rbm.goog"
	rbmToken    = "ya29.rbm-access-token"
	rbmClient   = "SJENCPGJESMGUFPY"
	rbmCustomer = "+12223334444"
)

type rcsEnv struct {
	*env
	fake  *rbmtest.Server
	sms   *twiliotest.Server
	inbox int64
	smsID int64 // the SMS fallback inbox
	sim   simulate.RBM
	hook  string
}

// startRCS makes an RCS inbox on a fake RBM and, when fallback is set, an
// SMS inbox on a fake Twilio as its fallback.
func startRCS(t *testing.T, dialect string, fallback bool) *rcsEnv {
	e := start(t, dialect)
	r := &rcsEnv{env: e, fake: rbmtest.New(t, rbmToken), sim: simulate.RBM{ClientToken: rbmClient, AgentID: rbmAgent}}
	r.fake.AgentID = rbmAgent
	settings := map[string]string{"agent_id": rbmAgent, "base_url": r.fake.URL, "ttl_seconds": "3600"}
	if fallback {
		r.sms = twiliotest.New(t, twAccount, twToken)
		r.smsID = e.createInbox("sms", map[string]string{"account_sid": twAccount, "from": twNumber, "base_url": r.sms.URL, "rate_per_second": "100"},
			map[string]string{"auth_token": twToken})
		settings["sms_fallback_inbox_id"] = fmt.Sprint(r.smsID)
	}
	r.inbox = e.createInbox("rcs", settings, map[string]string{"access_token": rbmToken, "client_token": rbmClient})
	r.hook = fmt.Sprintf("/hooks/rcs/%d", r.inbox)
	return r
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestRCSVerification(t *testing.T) {
	r := startRCS(t, "sqlite", false)
	before := r.seq()
	status, body := r.post(r.hook, r.sim.Verification("verify-me-5f2a"))
	if status != 200 || body != "verify-me-5f2a" {
		t.Errorf("verification = %d %q, want 200 and the secret", status, body)
	}
	other := simulate.RBM{ClientToken: "not-our-token", AgentID: rbmAgent}
	if status, body := r.post(r.hook, other.Verification("verify-me-5f2a")); status != 401 || strings.Contains(body, "verify-me") {
		t.Errorf("verification with another client token = %d %q, want 401", status, body)
	}
	r.unchanged(before, "verification requests")
	// RBM verifies with a POST: a GET verification is refused.
	if resp, err := http.Get(r.URL + r.hook); err != nil || resp.StatusCode != 403 {
		t.Errorf("GET on the webhook = %v %v, want 403", resp.StatusCode, err)
	}
}

func TestRCSInbound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		r := startRCS(t, dialect, false)
		hook := r.sim.Messages(simulate.Message{ID: "MxAbCdEf0001", From: rbmCustomer, Text: "hello"})

		before := r.seq()
		bad := hook
		bad.Header = hook.Header.Clone()
		bad.Header.Set("X-Goog-Signature", simulate.RBM{ClientToken: "other"}.Push([]byte(`{}`)).Header.Get("X-Goog-Signature"))
		if status, _ := r.post(r.hook, bad); status != 401 {
			t.Errorf("bad signature = %d, want 401", status)
		}
		if status, _ := r.post(r.hook, simulate.Webhook{Body: hook.Body, Header: http.Header{}}); status != 401 {
			t.Errorf("no signature = %d, want 401", status)
		}
		if status, _ := r.post(r.hook, simulate.Webhook{Body: []byte(`{"message":{"data":"%%%"`), Header: hook.Header}); status != 400 {
			t.Errorf("malformed push = %d, want 400", status)
		}
		if status, _ := r.post(r.hook, r.sim.Push([]byte(`{"senderPhoneNumber":"+12223334444","text":`))); status != 400 {
			t.Errorf("malformed event = %d, want 400", status)
		}
		r.unchanged(before, "refused webhooks")

		if status, body := r.post(r.hook, hook); status != 200 {
			t.Fatalf("webhook = %d %s", status, body)
		}
		conv := r.onlyConversation(r.inbox)
		msgs := r.messages(conv.ID)
		if len(msgs) != 1 || msgs[0].Text != "hello" || msgs[0].ExternalID != "MxAbCdEf0001" {
			t.Fatalf("stored %+v", msgs)
		}
		if contact, _ := r.App.DB.Contact(ctx, conv.ContactID); contact.Phone != rbmCustomer {
			t.Errorf("contact = %+v", contact)
		}
		before = r.seq()
		r.post(r.hook, hook)
		r.post(r.hook, r.sim.Push([]byte(`{"senderPhoneNumber":"+12223334444","eventType":"IS_TYPING","eventId":"ev1","sendTime":"2026-01-02T03:04:05Z","agentId":"`+rbmAgent+`"}`)))
		r.unchanged(before, "a redelivered push and a typing event")

		// A location and content Parley does not know: stored and visible.
		r.post(r.hook, r.sim.Location("MxLoc0001", rbmCustomer, 37.422, -122.084))
		r.post(r.hook, r.sim.Push([]byte(`{"senderPhoneNumber":"+12223334444","messageId":"MxOdd0001","sendTime":"2026-01-02T03:04:05Z","agentId":"`+rbmAgent+`","hologram":{"x":1}}`)))
		msgs = r.messages(conv.ID)
		if len(msgs) != 3 || !strings.Contains(msgs[1].Text, "mlat=37.422000&mlon=-122.084000") || !strings.Contains(msgs[2].Text, "RCS message") {
			t.Errorf("after location and unknown content: %+v", msgs)
		}
	})
}

func TestRCSMediaFetched(t *testing.T) {
	r := startRCS(t, "sqlite", false)
	u, png := fileHost(t, func(req *http.Request) bool { return req.Header.Get("Authorization") == "Bearer "+rbmToken })
	hook := r.sim.Messages(simulate.Message{ID: "MxFile0001", From: rbmCustomer, Media: &simulate.Media{URL: u, MIMEType: "image/png", Filename: "receipt.png"}})
	if status, body := r.post(r.hook, hook); status != 200 {
		t.Fatalf("webhook = %d %s", status, body)
	}
	r.runJobs()
	msgs := r.messages(r.onlyConversation(r.inbox).ID)
	if len(msgs) != 1 || len(msgs[0].Attachments) != 1 {
		t.Fatalf("messages = %+v", msgs)
	}
	if a := msgs[0].Attachments[0]; a.Filename != "receipt.png" || a.Size != int64(len(png)) {
		t.Errorf("attachment = %+v", a)
	}
}

func TestRCSReplyAndReceipts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		r := startRCS(t, dialect, false)
		r.post(r.hook, r.sim.Messages(simulate.Message{From: rbmCustomer, Text: "hi"}))
		conv := r.onlyConversation(r.inbox)

		status, body := r.reply(conv.ID, map[string]any{"text": "Hello from the agent"})
		if status != 201 {
			t.Fatalf("reply = %d %s", status, body)
		}
		id := decodeID(t, body)
		r.runJobs()
		reqs := r.fake.Requests()
		if len(reqs) != 1 {
			t.Fatalf("fake got %d requests", len(reqs))
		}
		req := reqs[0]
		if req.Phone != rbmCustomer || req.AgentID != rbmAgent || !uuidRE.MatchString(req.MessageID) ||
			req.Body.ContentMessage.Text == nil || *req.Body.ContentMessage.Text != "Hello from the agent" || req.Body.TTL == nil || *req.Body.TTL != "3600s" {
			t.Errorf("sent %s to %s as %s", req.Raw, req.Phone, req.MessageID)
		}
		m := r.message(id)
		if m.DeliveryState != parley.DeliverySent || m.ExternalID != req.MessageID {
			t.Fatalf("after send: %+v", m)
		}

		r.post(r.hook, r.sim.Receipts(simulate.Receipt{ID: m.ExternalID, To: rbmCustomer, Status: "read"}))
		r.post(r.hook, r.sim.Receipts(simulate.Receipt{ID: m.ExternalID, To: rbmCustomer, Status: "delivered"}))
		if got := r.message(id).DeliveryState; got != parley.DeliveryRead {
			t.Errorf("after read then a late delivered: %s, want read", got)
		}
	})
}

func TestRCSFallbackToSMS(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		r := startRCS(t, dialect, true)
		r.post(r.hook, r.sim.Messages(simulate.Message{From: rbmCustomer, Text: "hi"}))
		conv := r.onlyConversation(r.inbox)

		// RBM: this phone cannot get RCS. The same message goes by SMS.
		r.fake.Respond(rbmtest.NotRCSCapable)
		_, body := r.reply(conv.ID, map[string]any{"text": "Your order has shipped"})
		id := decodeID(t, body)
		r.runJobs()
		if n := len(r.fake.Requests()); n != 1 {
			t.Errorf("RBM got %d requests", n)
		}
		sms := r.sms.Requests()
		if len(sms) != 1 || sms[0].Form.Get("To") != rbmCustomer || sms[0].Form.Get("Body") != "Your order has shipped" {
			t.Fatalf("Twilio got %+v", sms)
		}
		m := r.message(id)
		if m.InboxID != r.smsID || m.DeliveryState != parley.DeliverySent || !strings.HasPrefix(m.ExternalID, "SM") || m.ConversationID != conv.ID {
			t.Errorf("after the fallback: %+v", m)
		}
		if msgs := r.messages(conv.ID); len(msgs) != 2 {
			t.Errorf("conversation has %d messages, want 2 (no copy)", len(msgs))
		}

		// RBM accepts, then withdraws the message when its TTL runs out:
		// it goes by SMS too.
		_, body = r.reply(conv.ID, map[string]any{"text": "Are you there?"})
		id = decodeID(t, body)
		r.runJobs()
		m = r.message(id)
		if m.InboxID != r.inbox || m.DeliveryState != parley.DeliverySent {
			t.Fatalf("sent by RCS: %+v", m)
		}
		expiry := r.sim.Receipts(simulate.Receipt{ID: m.ExternalID, To: rbmCustomer, Status: "expired"})
		if status, body := r.post(r.hook, expiry); status != 200 {
			t.Fatalf("expiry = %d %s", status, body)
		}
		r.runJobs()
		sms = r.sms.Requests()
		if len(sms) != 2 || sms[1].Form.Get("Body") != "Are you there?" {
			t.Fatalf("Twilio got %+v", sms)
		}
		if m := r.message(id); m.InboxID != r.smsID || m.DeliveryState != parley.DeliverySent || !strings.HasPrefix(m.ExternalID, "SM") {
			t.Errorf("after the expiry: %+v", m)
		}
		// RBM repeating the expiry sends nothing again.
		before := r.seq()
		r.post(r.hook, expiry)
		r.runJobs()
		r.unchanged(before, "a repeated expiry")
		if n := len(r.sms.Requests()); n != 2 {
			t.Errorf("Twilio got %d requests, want 2", n)
		}
	})
}

func TestRCSSendErrors(t *testing.T) {
	r := startRCS(t, "sqlite", false)
	r.post(r.hook, r.sim.Messages(simulate.Message{From: rbmCustomer, Text: "hi"}))
	conv := r.onlyConversation(r.inbox)

	// Not RCS-capable and no fallback inbox: failed, saying why.
	r.fake.Respond(rbmtest.NotRCSCapable)
	_, body := r.reply(conv.ID, map[string]any{"text": "One"})
	id := decodeID(t, body)
	r.runJobs()
	if m := r.message(id); m.DeliveryState != parley.DeliveryFailed || !strings.Contains(m.DeliveryError, "cannot receive RCS") {
		t.Errorf("404 without fallback: %s %q", m.DeliveryState, m.DeliveryError)
	}
	// A permanent refusal, then a retry that goes through with the same
	// RBM message id (RBM ignores an id it has seen, so a retry cannot
	// deliver twice).
	r.fake.Respond(rbmtest.Response{Status: 400, GRPCStatus: "INVALID_ARGUMENT", Message: "Unsupported content"})
	_, body = r.reply(conv.ID, map[string]any{"text": "Two"})
	id = decodeID(t, body)
	r.runJobs()
	if m := r.message(id); m.DeliveryState != parley.DeliveryFailed || !strings.Contains(m.DeliveryError, "Unsupported content") {
		t.Errorf("after 400: %s %q", m.DeliveryState, m.DeliveryError)
	}
	r.JSON("POST", fmt.Sprintf("/api/v1/messages/%d/retry", id), nil, 200, nil)
	r.runJobs()
	reqs := r.fake.Requests()
	m := r.message(id)
	if m.DeliveryState != parley.DeliverySent || reqs[len(reqs)-1].MessageID != reqs[len(reqs)-2].MessageID || m.ExternalID != reqs[len(reqs)-1].MessageID {
		t.Errorf("after retry: %s %s; ids %s, %s", m.DeliveryState, m.ExternalID, reqs[len(reqs)-2].MessageID, reqs[len(reqs)-1].MessageID)
	}

	r.fake.Respond(rbmtest.Response{Status: 429, GRPCStatus: "RESOURCE_EXHAUSTED", Message: "Quota exceeded", RetryAfter: "20"})
	_, body = r.reply(conv.ID, map[string]any{"text": "Three"})
	id = decodeID(t, body)
	r.runJobs()
	if m := r.message(id); m.DeliveryState != parley.DeliveryQueued {
		t.Errorf("after 429: %s %q, want still queued", m.DeliveryState, m.DeliveryError)
	}
	jobs := r.pendingSends()
	if len(jobs) != 1 || jobs[0].Attempts != 1 {
		t.Errorf("pending jobs = %+v", jobs)
	}
}

// A customer who texted STOP to the fallback number gets no SMS from a
// fallback either.
func TestRCSFallbackRespectsSMSOptOut(t *testing.T) {
	r := startRCS(t, "sqlite", true)
	r.post(r.hook, r.sim.Messages(simulate.Message{From: rbmCustomer, Text: "hi"}))
	conv := r.onlyConversation(r.inbox)
	smsHook := fmt.Sprintf("/hooks/sms/%d", r.smsID)
	tw := simulate.Twilio{AccountSID: twAccount, AuthToken: twToken, URL: r.App.BaseURL() + smsHook, Number: twNumber}
	if status, body := r.post(smsHook, tw.Messages(simulate.Message{From: rbmCustomer, Text: "STOP"})); status != 200 {
		t.Fatalf("STOP = %d %s", status, body)
	}

	r.fake.Respond(rbmtest.NotRCSCapable)
	_, body := r.reply(conv.ID, map[string]any{"text": "Your order has shipped"})
	id := decodeID(t, body)
	r.runJobs()
	if n := len(r.sms.Requests()); n != 0 {
		t.Errorf("Twilio got %d sends to a number that texted STOP", n)
	}
	if m := r.message(id); m.DeliveryState != parley.DeliveryFailed || !strings.Contains(m.DeliveryError, "STOP") {
		t.Errorf("after the refused fallback: %s %q", m.DeliveryState, m.DeliveryError)
	}
}
