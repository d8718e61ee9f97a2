package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/channel/twilio/twiliotest"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/simulate"
	"github.com/parleyhq/parley/internal/store/storetest"
)

const (
	twAccount  = "AC0123456789abcdef0123456789abcdef"
	twToken    = "twilio-auth-token"
	twNumber   = "+15550100200"
	twCustomer = "+15550001234"
)

type smsEnv struct {
	*env
	fake  *twiliotest.Server
	inbox int64
	sim   simulate.Twilio
	hook  string
}

// startSMS runs Parley, with edit applied to its configuration, and an
// SMS inbox on a fake Twilio.
func startSMS(t *testing.T, dialect string, edit func(*config.Config)) *smsEnv {
	c := newClock()
	e := &env{Env: apptest.StartWith(t, dialect, c.Now, edit), t: t, clock: c}
	fake := twiliotest.New(t, twAccount, twToken)
	id := e.createInbox("sms", map[string]string{"account_sid": twAccount, "from": twNumber, "base_url": fake.URL, "rate_per_second": "100"},
		map[string]string{"auth_token": twToken})
	hook := fmt.Sprintf("/hooks/sms/%d", id)
	return &smsEnv{env: e, fake: fake, inbox: id, hook: hook,
		sim: simulate.Twilio{AccountSID: twAccount, AuthToken: twToken, URL: e.App.BaseURL() + hook, Number: twNumber}}
}

func TestSMSInbound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := startSMS(t, dialect, nil)
		hook := s.sim.Messages(simulate.Message{ID: "SM00000000000000000000000000000001", From: twCustomer, Text: "Is my table ready?"})

		before := s.seq()
		wrongToken := s.sim
		wrongToken.AuthToken = "another-token"
		if status, _ := s.post(s.hook, wrongToken.Messages(simulate.Message{From: twCustomer, Text: "forged"})); status != 401 {
			t.Errorf("bad signature = %d, want 401", status)
		}
		otherURL := s.sim
		otherURL.URL = s.URL + "/hooks/sms/999"
		if status, _ := s.post(s.hook, otherURL.Messages(simulate.Message{From: twCustomer, Text: "replayed to another inbox"})); status != 401 {
			t.Errorf("signed for another URL = %d, want 401", status)
		}
		if status, _ := s.post(s.hook, simulate.Webhook{Body: hook.Body, Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}}); status != 401 {
			t.Errorf("no signature = %d, want 401", status)
		}
		if status, _ := s.post(s.hook, s.sim.Sign(url.Values{"Body": {"no sid, no sender"}, "AccountSid": {twAccount}})); status != 400 {
			t.Errorf("malformed payload = %d, want 400", status)
		}
		s.unchanged(before, "refused webhooks")

		status, body := s.post(s.hook, hook)
		if status != 200 || !strings.Contains(body, "<Response></Response>") {
			t.Fatalf("webhook = %d %q, want 200 and empty TwiML", status, body)
		}
		conv := s.onlyConversation(s.inbox)
		msgs := s.messages(conv.ID)
		if len(msgs) != 1 || msgs[0].Text != "Is my table ready?" || msgs[0].ExternalID != "SM00000000000000000000000000000001" {
			t.Fatalf("stored %+v", msgs)
		}
		if contact, _ := s.App.DB.Contact(ctx, conv.ContactID); contact.Phone != twCustomer {
			t.Errorf("contact = %+v", contact)
		}
		before = s.seq()
		s.post(s.hook, hook)
		s.unchanged(before, "a redelivered webhook")

		// A location (as Twilio gives it for WhatsApp senders) and an empty
		// message: both stored and visible.
		loc := url.Values{"MessageSid": {"SM00000000000000000000000000000002"}, "AccountSid": {twAccount}, "From": {twCustomer}, "To": {twNumber},
			"Body": {""}, "NumMedia": {"0"}, "Latitude": {"37.7749"}, "Longitude": {"-122.4194"}, "Label": {"Ferry Building"}}
		if status, body := s.post(s.hook, s.sim.Sign(loc)); status != 200 {
			t.Fatalf("location = %d %s", status, body)
		}
		s.post(s.hook, s.sim.Messages(simulate.Message{ID: "SM00000000000000000000000000000003", From: twCustomer}))
		msgs = s.messages(conv.ID)
		if len(msgs) != 3 || !strings.Contains(msgs[1].Text, "Ferry Building") || !strings.Contains(msgs[1].Text, "mlat=37.774900") || msgs[2].Text == "" {
			t.Errorf("after location and empty message: %+v", msgs)
		}
	})
}

// The signature is over the URL Twilio called, which is PARLEY_BASE_URL
// and the path, not the address Parley listens on.
func TestSMSSignatureUsesBaseURL(t *testing.T) {
	s := startSMS(t, "sqlite", func(c *config.Config) { c.BaseURL = "https://support.example.com" })
	if s.sim.URL != "https://support.example.com"+s.hook {
		t.Fatalf("URL = %s", s.sim.URL)
	}
	local := s.sim
	local.URL = s.URL + s.hook
	before := s.seq()
	if status, _ := s.post(s.hook, local.Messages(simulate.Message{From: twCustomer, Text: "signed for the local address"})); status != 401 {
		t.Errorf("signed for the listening address = %d, want 401", status)
	}
	s.unchanged(before, "a webhook signed for the wrong URL")
	if status, body := s.post(s.hook, s.sim.Messages(simulate.Message{From: twCustomer, Text: "hello"})); status != 200 {
		t.Errorf("signed for the public URL = %d %s", status, body)
	}
	withPort := s.sim
	withPort.URL = "https://support.example.com:443" + s.hook
	if status, _ := s.post(s.hook, withPort.Messages(simulate.Message{From: twCustomer, Text: "with the default port"})); status != 200 {
		t.Errorf("signed with :443 = %d, want 200", status)
	}
}

func TestSMSMedia(t *testing.T) {
	s := startSMS(t, "sqlite", nil)
	// Twilio media URLs may need the account's basic auth.
	u, png := fileHost(t, func(r *http.Request) bool {
		user, pass, ok := r.BasicAuth()
		return ok && user == twAccount && pass == twToken
	})
	hook := s.sim.Messages(simulate.Message{From: twCustomer, Text: "The scratch", Media: &simulate.Media{URL: u, MIMEType: "image/png"}})
	if status, body := s.post(s.hook, hook); status != 200 {
		t.Fatalf("MMS = %d %s", status, body)
	}
	s.runJobs()
	conv := s.onlyConversation(s.inbox)
	msgs := s.messages(conv.ID)
	if len(msgs) != 1 || msgs[0].Text != "The scratch" || len(msgs[0].Attachments) != 1 || msgs[0].Attachments[0].Size != int64(len(png)) {
		t.Fatalf("MMS stored as %+v", msgs)
	}

	// An MMS reply: Twilio gets a signed link it can fetch the file from.
	var up struct {
		UploadID string `json:"upload_id"`
	}
	status, out := s.Do("POST", "/api/v1/uploads", png, true)
	if status != 201 || json.Unmarshal(out, &up) != nil {
		t.Fatalf("upload = %d %s", status, out)
	}
	status, body := s.reply(conv.ID, map[string]any{"text": "Here is the return label", "attachments": []map[string]string{{"upload_id": up.UploadID, "filename": "label.png"}}})
	if status != 201 {
		t.Fatalf("reply = %d %s", status, body)
	}
	s.runJobs()
	reqs := s.fake.Requests()
	if len(reqs) != 1 || len(reqs[0].Form["MediaUrl"]) != 1 || reqs[0].Form.Get("Body") != "Here is the return label" {
		t.Fatalf("fake got %+v", reqs)
	}
	link := reqs[0].Form.Get("MediaUrl")
	if !strings.HasPrefix(link, s.App.BaseURL()+"/hooks/media/") {
		t.Errorf("MediaUrl %s is not under the base URL", link)
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(resp)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal([]byte(got), png) {
		t.Errorf("fetching the MediaUrl = %d, %d bytes", resp.StatusCode, len(got))
	}
	if m := s.message(decodeID(t, body)); m.DeliveryState != parley.DeliverySent || !strings.HasPrefix(m.ExternalID, "MM") {
		t.Errorf("after send: %s %s", m.DeliveryState, m.ExternalID)
	}
}

func TestSMSReplyAndStatus(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := startSMS(t, dialect, nil)
		s.post(s.hook, s.sim.Messages(simulate.Message{From: twCustomer, Text: "Hi"}))
		conv := s.onlyConversation(s.inbox)

		status, body := s.reply(conv.ID, map[string]any{"text": "Your table is ready."})
		if status != 201 {
			t.Fatalf("reply = %d %s", status, body)
		}
		id := decodeID(t, body)
		s.runJobs()
		reqs := s.fake.Requests()
		if len(reqs) != 1 {
			t.Fatalf("fake got %d requests", len(reqs))
		}
		f := reqs[0].Form
		if f.Get("To") != twCustomer || f.Get("From") != twNumber || f.Get("Body") != "Your table is ready." || f.Get("StatusCallback") != s.App.BaseURL()+s.hook {
			t.Errorf("sent %v", f)
		}
		m := s.message(id)
		if m.DeliveryState != parley.DeliverySent || !strings.HasPrefix(m.ExternalID, "SM") {
			t.Fatalf("after send: %+v", m)
		}

		// Status callbacks, out of order: never backwards.
		for _, st := range []string{"delivered", "sent", "queued"} {
			if status, body := s.post(s.hook, s.sim.Receipts(simulate.Receipt{ID: m.ExternalID, To: twCustomer, Status: st})); status != 200 {
				t.Fatalf("status callback %s = %d %s", st, status, body)
			}
		}
		if got := s.message(id).DeliveryState; got != parley.DeliveryDelivered {
			t.Errorf("after delivered, sent, queued: %s, want delivered", got)
		}
		// A carrier failure arrives later, with its reason.
		_, body = s.reply(conv.ID, map[string]any{"text": "Second"})
		id = decodeID(t, body)
		s.runJobs()
		s.post(s.hook, s.sim.Receipts(simulate.Receipt{ID: s.message(id).ExternalID, To: twCustomer, Status: "undelivered", Code: 30007}))
		if m := s.message(id); m.DeliveryState != parley.DeliveryFailed || !strings.Contains(m.DeliveryError, "carrier filtered") {
			t.Errorf("after undelivered 30007: %s %q", m.DeliveryState, m.DeliveryError)
		}
		before := s.seq()
		s.post(s.hook, s.sim.Receipts(simulate.Receipt{ID: "SMffffffffffffffffffffffffffffffff", To: twCustomer, Status: "delivered"}))
		s.unchanged(before, "a status callback for an unknown message")
	})
}

func TestSMSOptOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := startSMS(t, dialect, nil)
		s.post(s.hook, s.sim.Messages(simulate.Message{From: twCustomer, Text: "Hi"}))
		conv := s.onlyConversation(s.inbox)

		s.post(s.hook, s.sim.Messages(simulate.Message{From: twCustomer, Text: " stop "}))
		before := s.seq()
		status, body := s.reply(conv.ID, map[string]any{"text": "Are you sure?"})
		if status != 409 || !strings.Contains(body, "STOP") || !strings.Contains(body, "START") {
			t.Errorf("reply after STOP = %d %s; want 409 explaining STOP and START", status, body)
		}
		s.unchanged(before, "a reply to an opted-out number")
		s.runJobs()
		if n := len(s.fake.Requests()); n != 0 {
			t.Errorf("Twilio got %d sends after STOP", n)
		}

		// A message merely containing the word is not an opt-out keyword,
		// and START opts back in.
		s.post(s.hook, s.sim.Messages(simulate.Message{From: twCustomer, Text: "please don't stop"}))
		if status, _ := s.reply(conv.ID, map[string]any{"text": "Hm"}); status != 409 {
			t.Errorf("still opted out: %d, want 409", status)
		}
		s.post(s.hook, s.sim.Messages(simulate.Message{From: twCustomer, Text: "START"}))
		status, body = s.reply(conv.ID, map[string]any{"text": "Welcome back"})
		if status != 201 {
			t.Fatalf("reply after START = %d %s", status, body)
		}
		s.runJobs()
		if m := s.message(decodeID(t, body)); m.DeliveryState != parley.DeliverySent || len(s.fake.Requests()) != 1 {
			t.Errorf("after START: %s, %d sends", m.DeliveryState, len(s.fake.Requests()))
		}
	})
}

func TestSMSSendErrors(t *testing.T) {
	s := startSMS(t, "sqlite", nil)
	s.post(s.hook, s.sim.Messages(simulate.Message{From: twCustomer, Text: "Hi"}))
	conv := s.onlyConversation(s.inbox)

	// Twilio knows of an opt-out Parley missed (STOP sent to another of
	// the service's numbers): 21610 fails the message, clearly.
	s.fake.Respond(twiliotest.Response{Status: 400, Code: 21610, Message: "Attempt to send to unsubscribed recipient"})
	_, body := s.reply(conv.ID, map[string]any{"text": "One"})
	id := decodeID(t, body)
	s.runJobs()
	m := s.message(id)
	if m.DeliveryState != parley.DeliveryFailed || !strings.Contains(m.DeliveryError, "opted out") || !strings.Contains(m.DeliveryError, "START") {
		t.Errorf("after 21610: %s %q", m.DeliveryState, m.DeliveryError)
	}
	n := len(s.fake.Requests())
	s.JSON("POST", fmt.Sprintf("/api/v1/messages/%d/retry", id), nil, 200, nil)
	s.runJobs()
	if got := s.message(id); got.DeliveryState != parley.DeliverySent || len(s.fake.Requests()) != n+1 {
		t.Errorf("after retry: %s, %d more sends", got.DeliveryState, len(s.fake.Requests())-n)
	}

	s.fake.Respond(twiliotest.Response{Status: 429, Code: 20429, Message: "Too Many Requests", RetryAfter: "30"})
	_, body = s.reply(conv.ID, map[string]any{"text": "Two"})
	id = decodeID(t, body)
	s.runJobs()
	if got := s.message(id); got.DeliveryState != parley.DeliveryQueued {
		t.Errorf("after 20429: %s %q, want still queued", got.DeliveryState, got.DeliveryError)
	}
	jobs := s.pendingSends()
	if len(jobs) != 1 || jobs[0].Attempts != 1 {
		t.Errorf("pending jobs = %+v", jobs)
	}
}
