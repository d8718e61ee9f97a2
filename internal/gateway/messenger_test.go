package gateway_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/channel/messenger/messengertest"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/simulate"
	"github.com/parleyhq/parley/internal/store/storetest"
)

const (
	fbPage  = "104920375551234"
	fbToken = "EAAPage-token"
	fbPSID  = "6021873345067781"
)

type fbEnv struct {
	*env
	fake  *messengertest.Server
	inbox int64
	sim   simulate.Messenger
	hook  string
}

func startMessenger(t *testing.T, dialect string) *fbEnv {
	e := start(t, dialect)
	fake := messengertest.New(t, "v23.0", fbPage, fbToken)
	id := e.createInbox("messenger", map[string]string{"page_id": fbPage, "api_version": "v23.0", "base_url": fake.URL},
		map[string]string{"page_access_token": fbToken, "app_secret": "fb-app-secret", "verify_token": "fb-verify"})
	return &fbEnv{env: e, fake: fake, inbox: id, sim: simulate.Messenger{AppSecret: "fb-app-secret", PageID: fbPage, AppID: "1517776481860111"},
		hook: fmt.Sprintf("/hooks/messenger/%d", id)}
}

// sent decodes the Send API bodies the fake received.
func (f *fbEnv) sent() []map[string]any {
	f.t.Helper()
	var out []map[string]any
	for _, r := range f.fake.Requests() {
		var m map[string]any
		if err := json.Unmarshal(r.Body, &m); err != nil {
			f.t.Fatalf("fake got %s: %v", r.Body, err)
		}
		out = append(out, m)
	}
	return out
}

// fileHost serves one PNG at /files/photo.png, to anyone check accepts.
func fileHost(t *testing.T, check func(*http.Request) bool) (string, []byte) {
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 300)...)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/files/photo.png" {
			http.NotFound(w, r)
			return
		}
		if check != nil && !check(r) {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Write(png)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/files/photo.png", png
}

func TestMessengerHandshake(t *testing.T) {
	f := startMessenger(t, "sqlite")
	for token, want := range map[string]int{"fb-verify": 200, "wrong": 403} {
		resp, err := http.Get(f.URL + f.hook + "?hub.mode=subscribe&hub.challenge=8675309&hub.verify_token=" + token)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(resp)
		resp.Body.Close()
		if resp.StatusCode != want || (want == 200 && body != "8675309") {
			t.Errorf("verify token %q = %d %q, want %d", token, resp.StatusCode, body, want)
		}
	}
}

func TestMessengerInbound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f := startMessenger(t, dialect)
		hook := f.sim.Messages(simulate.Message{ID: "m_IN1", From: fbPSID, Text: "Do you ship to Accra?"})

		before := f.seq()
		bad := hook
		bad.Header = hook.Header.Clone()
		bad.Header.Set("X-Hub-Signature-256", signMeta("another-secret", hook.Body))
		if status, _ := f.post(f.hook, bad); status != 401 {
			t.Errorf("bad signature = %d, want 401", status)
		}
		unsigned := simulate.Webhook{Body: hook.Body, Header: http.Header{}}
		if status, _ := f.post(f.hook, unsigned); status != 401 {
			t.Errorf("no signature = %d, want 401", status)
		}
		if status, _ := f.post(f.hook, f.sim.Sign([]byte(`{"object":"page","entry":[{"messaging":`))); status != 400 {
			t.Errorf("malformed payload = %d, want 400", status)
		}
		if status, _ := f.post(f.hook, f.sim.Sign([]byte(`{"object":"instagram","entry":[]}`))); status != 400 {
			t.Errorf("another object = %d, want 400", status)
		}
		f.unchanged(before, "refused webhooks")

		if status, body := f.post(f.hook, hook); status != 200 || body != "EVENT_RECEIVED" {
			t.Fatalf("webhook = %d %q", status, body)
		}
		conv := f.onlyConversation(f.inbox)
		msgs := f.messages(conv.ID)
		if len(msgs) != 1 || msgs[0].Text != "Do you ship to Accra?" || msgs[0].ExternalID != "m_IN1" || msgs[0].Direction != parley.Incoming {
			t.Fatalf("stored %+v", msgs)
		}
		contact, _ := f.App.DB.Contact(ctx, conv.ContactID)
		if len(contact.Identities) != 1 || contact.Identities[0].Kind != "messenger" || contact.Identities[0].ExternalID != fbPSID ||
			contact.Identities[0].Scope != f.inbox {
			t.Errorf("contact identities = %+v, want the page-scoped id", contact.Identities)
		}

		// A redelivery stores nothing new.
		before = f.seq()
		if status, _ := f.post(f.hook, hook); status != 200 {
			t.Errorf("redelivery = %d", status)
		}
		f.unchanged(before, "a redelivered webhook")

		// The page's own messages come back as echoes: never customer
		// messages, whoever sent them.
		before = f.seq()
		if status, _ := f.post(f.hook, f.sim.Echoes(simulate.Message{ID: "m_FROM_PAGE_INBOX", From: fbPSID, Text: "Sent from Meta Business Suite"})); status != 200 {
			t.Errorf("echo = %d", status)
		}
		f.unchanged(before, "an echo")

		// A location, and an attachment type Parley does not know, in one POST
		// with a text: each stored and visible.
		loc := f.sim.Location("m_LOC", fbPSID, 5.6037, -0.187, "Makola Market")
		if status, body := f.post(f.hook, loc); status != 200 {
			t.Fatalf("location = %d %s", status, body)
		}
		odd := f.sim.Sign([]byte(`{"object":"page","entry":[{"id":"` + fbPage + `","time":1763900000500,"messaging":[` +
			`{"sender":{"id":"` + fbPSID + `"},"recipient":{"id":"` + fbPage + `"},"timestamp":1763900000123,"message":{"mid":"m_ODD","attachments":[{"type":"hologram","payload":{"url":"https://cdn.example/h"}}]}},` +
			`{"sender":{"id":"` + fbPSID + `"},"recipient":{"id":"` + fbPage + `"},"timestamp":1763900000124,"message":{"mid":"m_TXT","text":"and this"}}]}]}`))
		if status, body := f.post(f.hook, odd); status != 200 {
			t.Fatalf("unknown type = %d %s", status, body)
		}
		msgs = f.messages(conv.ID)
		if len(msgs) != 4 {
			t.Fatalf("%d messages, want 4", len(msgs))
		}
		if !strings.Contains(msgs[1].Text, "Makola Market") || !strings.Contains(msgs[1].Text, "mlat=5.603700&mlon=-0.187000") {
			t.Errorf("location stored as %q", msgs[1].Text)
		}
		if !strings.Contains(msgs[2].Text, "hologram") || msgs[3].Text != "and this" {
			t.Errorf("unknown type stored as %q, then %q", msgs[2].Text, msgs[3].Text)
		}
	})
}

func TestMessengerMediaFetched(t *testing.T) {
	f := startMessenger(t, "sqlite")
	url, png := fileHost(t, nil)
	hook := f.sim.Messages(simulate.Message{ID: "m_IMG", From: fbPSID, Media: &simulate.Media{URL: url, MIMEType: "image/png"}})
	if status, body := f.post(f.hook, hook); status != 200 {
		t.Fatalf("webhook = %d %s", status, body)
	}
	f.runJobs()
	msgs := f.messages(f.onlyConversation(f.inbox).ID)
	if len(msgs) != 1 || len(msgs[0].Attachments) != 1 {
		t.Fatalf("messages = %+v", msgs)
	}
	if a := msgs[0].Attachments[0]; a.ContentType != "image/png" || a.Size != int64(len(png)) || a.Filename != "attachment.png" {
		t.Errorf("attachment = %+v", a)
	}
	// Text with a file arrives as two messages; both are kept.
	f.post(f.hook, f.sim.Messages(simulate.Message{ID: "m_IMG2", From: fbPSID, Text: "see this", Media: &simulate.Media{URL: url, MIMEType: "image/png"}}))
	f.runJobs()
	if msgs = f.messages(msgs[0].ConversationID); len(msgs) != 3 || msgs[1].Text != "see this" || len(msgs[2].Attachments) != 1 {
		t.Errorf("text and file = %+v", msgs)
	}
}

func TestMessengerReplyAndReceipts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f := startMessenger(t, dialect)
		f.post(f.hook, f.sim.Messages(simulate.Message{ID: "m_IN1", From: fbPSID, Text: "Hi"}))
		conv := f.onlyConversation(f.inbox)

		status, body := f.reply(conv.ID, map[string]any{"text": "Hello! Yes we do."})
		if status != 201 {
			t.Fatalf("reply = %d %s", status, body)
		}
		first := decodeID(t, body)
		f.runJobs()
		sent := f.sent()
		if len(sent) != 1 {
			t.Fatalf("fake got %d requests", len(sent))
		}
		req := f.fake.Requests()[0]
		if req.Path != "/v23.0/"+fbPage+"/messages" || req.Authorization != "Bearer "+fbToken {
			t.Errorf("sent to %s with %q", req.Path, req.Authorization)
		}
		want := map[string]any{"recipient": map[string]any{"id": fbPSID}, "messaging_type": "RESPONSE", "message": map[string]any{"text": "Hello! Yes we do."}}
		if fmt.Sprint(sent[0]) != fmt.Sprint(want) {
			t.Errorf("sent %v, want %v", sent[0], want)
		}
		m := f.message(first)
		if m.DeliveryState != parley.DeliverySent || !strings.HasPrefix(m.ExternalID, "m_FAKE") {
			t.Fatalf("after send: %+v", m)
		}

		// Its echo changes nothing and duplicates nothing.
		before := f.seq()
		f.post(f.hook, f.sim.Echoes(simulate.Message{ID: m.ExternalID, From: fbPSID, Text: "Hello! Yes we do."}))
		f.unchanged(before, "the echo of our own send")

		// A second reply a minute later.
		t0 := f.clock.Now()
		f.clock.Add(time.Minute)
		_, body = f.reply(conv.ID, map[string]any{"text": "Anything else?"})
		second := decodeID(t, body)
		f.runJobs()

		// A delivery watermark between the two covers only the first; a
		// read watermark after both covers both.
		f.post(f.hook, f.sim.Delivered(fbPSID, t0.Add(30*time.Second)))
		if a, b := f.message(first).DeliveryState, f.message(second).DeliveryState; a != parley.DeliveryDelivered || b != parley.DeliverySent {
			t.Errorf("after the delivery watermark: %s, %s; want delivered, sent", a, b)
		}
		f.post(f.hook, f.sim.Read(fbPSID, f.clock.Now()))
		if a, b := f.message(first).DeliveryState, f.message(second).DeliveryState; a != parley.DeliveryRead || b != parley.DeliveryRead {
			t.Errorf("after the read watermark: %s, %s; want read, read", a, b)
		}
		// A late delivery, by watermark or by mid, does not move them back.
		before = f.seq()
		f.post(f.hook, f.sim.Receipts(simulate.Receipt{ID: f.message(second).ExternalID, To: fbPSID, Status: "delivered", At: f.clock.Now()}))
		f.post(f.hook, f.sim.Delivered(fbPSID, f.clock.Now()))
		f.unchanged(before, "late deliveries")
		if got := f.message(second).DeliveryState; got != parley.DeliveryRead {
			t.Errorf("after a late delivery: %s, want read", got)
		}
		// A watermark from someone Parley never wrote to changes nothing.
		f.post(f.hook, f.sim.Read("999999", f.clock.Now()))
		f.unchanged(before, "a watermark for a stranger")
	})
}

func TestMessengerWindow(t *testing.T) {
	f := startMessenger(t, "sqlite")
	f.post(f.hook, f.sim.Messages(simulate.Message{ID: "m_IN1", From: fbPSID, Text: "Hi"}))
	conv := f.onlyConversation(f.inbox)

	f.clock.Add(23*time.Hour + 59*time.Minute)
	if status, body := f.reply(conv.ID, map[string]any{"text": "Inside 24 h"}); status != 201 {
		t.Fatalf("inside the window = %d %s", status, body)
	}
	f.runJobs()

	// After 24 h without the Human Agent permission: refused, nothing sent.
	f.clock.Add(2 * time.Minute)
	before, n := f.seq(), len(f.fake.Requests())
	status, body := f.reply(conv.ID, map[string]any{"text": "Too late"})
	if status != 409 || !strings.Contains(body, "Human Agent") {
		t.Errorf("after 24 h without human_agent = %d %s; want 409 naming Human Agent", status, body)
	}
	f.unchanged(before, "a refused reply")

	// With it: sent as a HUMAN_AGENT tagged message.
	f.JSON("PATCH", fmt.Sprintf("/api/v1/inboxes/%d", f.inbox), map[string]any{"settings": map[string]string{"human_agent": "true"}}, 200, nil)
	f.clock.Add(5 * 24 * time.Hour)
	status, body = f.reply(conv.ID, map[string]any{"text": "Following up on your question"})
	if status != 201 {
		t.Fatalf("after 24 h with human_agent = %d %s", status, body)
	}
	id := decodeID(t, body)
	f.runJobs()
	sent := f.sent()
	if len(sent) != n+1 || sent[n]["messaging_type"] != "MESSAGE_TAG" || sent[n]["tag"] != "HUMAN_AGENT" {
		t.Errorf("sent %v; want MESSAGE_TAG with HUMAN_AGENT", sent[n:])
	}
	if got := f.message(id).DeliveryState; got != parley.DeliverySent {
		t.Errorf("tagged message: %s", got)
	}

	// After 7 days, not even that.
	f.clock.Add(2 * 24 * time.Hour)
	before = f.seq()
	status, body = f.reply(conv.ID, map[string]any{"text": "Way too late"})
	if status != 409 || !strings.Contains(body, "7 days") {
		t.Errorf("after 7 days = %d %s; want 409 naming 7 days", status, body)
	}
	f.unchanged(before, "a reply after 7 days")

	// The customer writing again opens a new standard window.
	f.post(f.hook, f.sim.Messages(simulate.Message{ID: "m_IN2", From: fbPSID, Text: "Hello again", At: f.clock.Now()}))
	if status, _ := f.reply(conv.ID, map[string]any{"text": "Welcome back"}); status != 201 {
		t.Errorf("after the customer wrote again = %d", status)
	}
	f.runJobs()
	if last := f.sent(); last[len(last)-1]["messaging_type"] != "RESPONSE" {
		t.Errorf("sent %v, want a RESPONSE", last[len(last)-1])
	}
}

func TestMessengerSendErrors(t *testing.T) {
	f := startMessenger(t, "sqlite")
	f.post(f.hook, f.sim.Messages(simulate.Message{ID: "m_IN1", From: fbPSID, Text: "Hi"}))
	conv := f.onlyConversation(f.inbox)

	// A permanent refusal fails the message with a reason agents can read.
	f.fake.FailNext(400, 551, 1545041, "This person isn't available right now.")
	_, body := f.reply(conv.ID, map[string]any{"text": "One"})
	id := decodeID(t, body)
	f.runJobs()
	m := f.message(id)
	if m.DeliveryState != parley.DeliveryFailed || !strings.Contains(m.DeliveryError, "isn't available on Messenger") {
		t.Errorf("after 551: %s %q", m.DeliveryState, m.DeliveryError)
	}
	// Retry sends it again.
	n := len(f.fake.Requests())
	f.JSON("POST", fmt.Sprintf("/api/v1/messages/%d/retry", id), nil, 200, nil)
	f.runJobs()
	if got := f.message(id); got.DeliveryState != parley.DeliverySent || len(f.fake.Requests()) != n+1 || got.DeliveryError != "" {
		t.Errorf("after retry: %s %q, %d requests", got.DeliveryState, got.DeliveryError, len(f.fake.Requests())-n)
	}

	// Rate limits are retried later, not failed.
	f.fake.FailNext(400, 613, 0, "Calls to this api have exceeded the rate limit.")
	_, body = f.reply(conv.ID, map[string]any{"text": "Two"})
	id = decodeID(t, body)
	f.runJobs()
	if got := f.message(id); got.DeliveryState != parley.DeliveryQueued {
		t.Errorf("after 613: %s %q, want still queued", got.DeliveryState, got.DeliveryError)
	}
	jobs := f.pendingSends()
	if len(jobs) != 1 || jobs[0].Attempts != 1 || !jobs[0].RunAt.After(f.clock.Now().Add(30*time.Second)) {
		t.Errorf("pending jobs = %+v; want one, retried after Messenger's back-off", jobs)
	}
	// When it is due, it goes.
	f.clock.Add(2 * time.Minute)
	f.runJobs()
	if got := f.message(id); got.DeliveryState != parley.DeliverySent {
		t.Errorf("after the back-off: %s %q", got.DeliveryState, got.DeliveryError)
	}
}
