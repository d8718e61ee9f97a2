package gateway_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/channel/zalo/zalotest"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/simulate"
	"github.com/parleyhq/parley/internal/store/storetest"
)

const (
	zaloApp    = "2553928453557884079"
	zaloOA     = "3662729599332560487"
	zaloUser   = "6142494823000000001"
	zaloSecret = "zalo-app-secret-key"
)

type zaloEnv struct {
	*env
	fake  *zalotest.Server
	inbox int64
	sim   simulate.Zalo
	hook  string
}

// startZalo makes a Zalo inbox whose stored tokens are access and refresh;
// the fake accepts "zalo-access-1" and, once, "zalo-refresh-1".
func startZalo(t *testing.T, dialect, access, refresh string) *zaloEnv {
	e := start(t, dialect)
	fake := zalotest.New(zaloApp, zaloSecret, "zalo-access-1", "zalo-refresh-1")
	t.Cleanup(fake.Close)
	t.Cleanup(func() {
		for _, p := range fake.Problems() {
			t.Errorf("zalotest: %s", p)
		}
	})
	id := e.createInbox("zalo", map[string]string{"oa_id": zaloOA, "app_id": zaloApp, "base_url": fake.URL, "oauth_base_url": fake.URL},
		map[string]string{"app_secret_key": zaloSecret, "oa_secret_key": "zalo-oa-secret", "access_token": access, "refresh_token": refresh})
	return &zaloEnv{env: e, fake: fake, inbox: id, sim: simulate.Zalo{AppID: zaloApp, OAID: zaloOA, OASecretKey: "zalo-oa-secret"},
		hook: fmt.Sprintf("/hooks/zalo/%d", id)}
}

// requests returns what the fake got on path (zalotest.CSPath or TokenPath).
func (z *zaloEnv) requests(path string) []zalotest.Request {
	var out []zalotest.Request
	for _, r := range z.fake.Requests() {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// secrets opens the inbox's stored secrets.
func (z *zaloEnv) secrets() map[string]string {
	z.t.Helper()
	sealed, err := z.App.DB.ChannelSecrets(ctx, z.inbox)
	if err != nil {
		z.t.Fatal(err)
	}
	if strings.Contains(sealed, "fake-") || strings.Contains(sealed, "zalo-") {
		z.t.Errorf("tokens stored in the clear: %q", sealed)
	}
	plain, err := z.App.Gateway.Box.Open(sealed)
	if err != nil {
		z.t.Fatal(err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(plain, &m); err != nil {
		z.t.Fatal(err)
	}
	return m
}

func TestZaloInbound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		z := startZalo(t, dialect, "zalo-access-1", "zalo-refresh-1")
		hook := z.sim.Messages(simulate.Message{ID: "msg0000000000000a1", From: zaloUser, Text: "Còn hàng không ạ?"})

		before := z.seq()
		forged := simulate.Zalo{AppID: zaloApp, OAID: zaloOA, OASecretKey: "not-the-secret"}.Messages(simulate.Message{ID: "x1", From: zaloUser, Text: "forged"})
		if status, _ := z.post(z.hook, forged); status != 401 {
			t.Errorf("bad signature = %d, want 401", status)
		}
		tampered := simulate.Webhook{Body: []byte(strings.Replace(string(hook.Body), "Còn", "Hết", 1)), Header: hook.Header}
		if status, _ := z.post(z.hook, tampered); status != 401 {
			t.Errorf("tampered body = %d, want 401", status)
		}
		if status, _ := z.post(z.hook, simulate.Webhook{Body: hook.Body, Header: http.Header{}}); status != 401 {
			t.Errorf("no signature = %d, want 401", status)
		}
		if status, _ := z.post(z.hook, z.sim.Sign([]byte(`{"event_name":"user_send_text","timestamp":"1699003881354","message":{`), "1699003881354")); status != 400 {
			t.Errorf("malformed payload = %d, want 400", status)
		}
		z.unchanged(before, "refused webhooks")

		if status, body := z.post(z.hook, hook); status != 200 {
			t.Fatalf("webhook = %d %s", status, body)
		}
		conv := z.onlyConversation(z.inbox)
		msgs := z.messages(conv.ID)
		if len(msgs) != 1 || msgs[0].Text != "Còn hàng không ạ?" || msgs[0].ExternalID != "msg0000000000000a1" {
			t.Fatalf("stored %+v", msgs)
		}
		contact, _ := z.App.DB.Contact(ctx, conv.ContactID)
		if len(contact.Identities) != 1 || contact.Identities[0].Kind != "zalo" || contact.Identities[0].ExternalID != zaloUser {
			t.Errorf("identities = %+v", contact.Identities)
		}

		before = z.seq()
		z.post(z.hook, hook)
		z.unchanged(before, "a redelivered webhook")
		// Copies of the OA's own sends, and follow events, store nothing.
		z.post(z.hook, z.sim.Echo(simulate.Message{ID: "oa000000000000001", From: zaloUser, Text: "Dạ còn ạ"}))
		z.post(z.hook, z.sim.Event("follow", zaloUser, zaloOA, nil))
		z.unchanged(before, "an echo and a follow")

		// A location and a kind Parley does not know: stored and visible.
		if status, body := z.post(z.hook, z.sim.Location("loc00000000000a1", zaloUser, 10.7769, 106.7009)); status != 200 {
			t.Fatalf("location = %d %s", status, body)
		}
		odd := z.sim.Event("user_send_hologram", zaloUser, zaloOA, map[string]any{"msg_id": "holo000000000a1"})
		if status, body := z.post(z.hook, odd); status != 200 {
			t.Fatalf("unknown kind = %d %s", status, body)
		}
		msgs = z.messages(conv.ID)
		if len(msgs) != 3 || !strings.Contains(msgs[1].Text, "mlat=10.776900&mlon=106.700900") || !strings.Contains(msgs[2].Text, "hologram") {
			t.Errorf("after location and unknown kind: %d messages: %+v", len(msgs), msgs)
		}
	})
}

func TestZaloMediaFetched(t *testing.T) {
	z := startZalo(t, "sqlite", "zalo-access-1", "zalo-refresh-1")
	url, png := fileHost(t, nil)
	hook := z.sim.Messages(simulate.Message{ID: "img0000000000000a1", From: zaloUser, Text: "ảnh sản phẩm", Media: &simulate.Media{URL: url, MIMEType: "image/png"}})
	if status, body := z.post(z.hook, hook); status != 200 {
		t.Fatalf("webhook = %d %s", status, body)
	}
	z.runJobs()
	msgs := z.messages(z.onlyConversation(z.inbox).ID)
	if len(msgs) != 1 || msgs[0].Text != "ảnh sản phẩm" || len(msgs[0].Attachments) != 1 || msgs[0].Attachments[0].Size != int64(len(png)) {
		t.Fatalf("messages = %+v", msgs)
	}
}

func TestZaloReplyAndReceipts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		z := startZalo(t, dialect, "zalo-access-1", "zalo-refresh-1")
		z.post(z.hook, z.sim.Messages(simulate.Message{ID: "in1", From: zaloUser, Text: "Xin chào"}))
		conv := z.onlyConversation(z.inbox)

		status, body := z.reply(conv.ID, map[string]any{"text": "Chào bạn, shop có thể giúp gì?"})
		if status != 201 {
			t.Fatalf("reply = %d %s", status, body)
		}
		id := decodeID(t, body)
		z.runJobs()
		cs := z.requests(zalotest.CSPath)
		if len(cs) != 1 || cs[0].Message == nil {
			t.Fatalf("fake got %+v", cs)
		}
		if cs[0].Header.Get("access_token") != "zalo-access-1" || cs[0].Message.Recipient.UserID != zaloUser ||
			cs[0].Message.Message.Text != "Chào bạn, shop có thể giúp gì?" {
			t.Errorf("sent %s with token %q", cs[0].Body, cs[0].Header.Get("access_token"))
		}
		m := z.message(id)
		if m.DeliveryState != parley.DeliverySent || !strings.HasPrefix(m.ExternalID, "fakemsg") {
			t.Fatalf("after send: %+v", m)
		}
		before := z.seq()
		z.post(z.hook, z.sim.Echo(simulate.Message{ID: m.ExternalID, From: zaloUser, Text: m.Text}))
		z.unchanged(before, "the echo of our own send")

		z.post(z.hook, z.sim.Receipts(simulate.Receipt{ID: m.ExternalID, To: zaloUser, Status: "delivered"}))
		if got := z.message(id).DeliveryState; got != parley.DeliveryDelivered {
			t.Errorf("after user_received_message: %s", got)
		}
		z.post(z.hook, z.sim.Receipts(simulate.Receipt{ID: m.ExternalID, To: zaloUser, Status: "read"}, simulate.Receipt{ID: "fakemsg-unknown", To: zaloUser, Status: "read"}))
		z.post(z.hook, z.sim.Receipts(simulate.Receipt{ID: m.ExternalID, To: zaloUser, Status: "delivered"}))
		if got := z.message(id).DeliveryState; got != parley.DeliveryRead {
			t.Errorf("after seen then a late received: %s, want read", got)
		}
	})
}

func TestZaloWindow(t *testing.T) {
	z := startZalo(t, "sqlite", "zalo-access-1", "zalo-refresh-1")
	z.post(z.hook, z.sim.Messages(simulate.Message{ID: "in1", From: zaloUser, Text: "Xin chào"}))
	conv := z.onlyConversation(z.inbox)

	z.clock.Add(47 * time.Hour)
	win, _, _ := z.App.Gateway.WindowFor(ctx, z.inbox, conv.ContactID)
	if !win.Open || win.Reason != "" {
		t.Errorf("at 47 h: %+v, want open and free", win)
	}
	if status, body := z.reply(conv.ID, map[string]any{"text": "Inside 48 h"}); status != 201 {
		t.Fatalf("at 47 h = %d %s", status, body)
	}
	z.runJobs() // before moving the clock, which would end a running job's lease
	z.clock.Add(4 * 24 * time.Hour)
	win, _, _ = z.App.Gateway.WindowFor(ctx, z.inbox, conv.ContactID)
	if !win.Open || !strings.Contains(win.Reason, "bill") {
		t.Errorf("at 5 days: %+v, want open with a note about billing", win)
	}
	if status, body := z.reply(conv.ID, map[string]any{"text": "Still allowed"}); status != 201 {
		t.Fatalf("at 5 days = %d %s", status, body)
	}
	z.runJobs()
	if n := len(z.requests(zalotest.CSPath)); n != 2 {
		t.Errorf("fake got %d sends, want 2", n)
	}

	z.clock.Add(2*24*time.Hour + time.Minute)
	before := z.seq()
	status, body := z.reply(conv.ID, map[string]any{"text": "Too late"})
	if status != 409 || !strings.Contains(body, "7 days") {
		t.Errorf("after 7 days = %d %s; want 409 naming 7 days", status, body)
	}
	z.unchanged(before, "a refused reply")
}

func TestZaloSendErrors(t *testing.T) {
	z := startZalo(t, "sqlite", "zalo-access-1", "zalo-refresh-1")
	z.post(z.hook, z.sim.Messages(simulate.Message{ID: "in1", From: zaloUser, Text: "Xin chào"}))
	conv := z.onlyConversation(z.inbox)

	z.fake.FailNext(-213, "User has not followed OA")
	_, body := z.reply(conv.ID, map[string]any{"text": "One"})
	id := decodeID(t, body)
	z.runJobs()
	m := z.message(id)
	if m.DeliveryState != parley.DeliveryFailed || !strings.Contains(m.DeliveryError, "does not follow") {
		t.Errorf("after -213: %s %q", m.DeliveryState, m.DeliveryError)
	}
	n := len(z.requests(zalotest.CSPath))
	z.JSON("POST", fmt.Sprintf("/api/v1/messages/%d/retry", id), nil, 200, nil)
	z.runJobs()
	if got := z.message(id); got.DeliveryState != parley.DeliverySent || len(z.requests(zalotest.CSPath)) != n+1 {
		t.Errorf("after retry: %s, %d more sends", got.DeliveryState, len(z.requests(zalotest.CSPath))-n)
	}

	z.fake.FailNext(-32, "Rate limit exceeded")
	_, body = z.reply(conv.ID, map[string]any{"text": "Two"})
	id = decodeID(t, body)
	z.runJobs()
	if got := z.message(id); got.DeliveryState != parley.DeliveryQueued {
		t.Errorf("after -32: %s %q, want still queued", got.DeliveryState, got.DeliveryError)
	}
	jobs := z.pendingSends()
	if len(jobs) != 1 || jobs[0].Attempts != 1 {
		t.Errorf("pending jobs = %+v", jobs)
	}
}

func TestZaloTokenRotation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		z := startZalo(t, dialect, "zalo-access-1", "zalo-refresh-1")
		z.post(z.hook, z.sim.Messages(simulate.Message{ID: "in1", From: zaloUser, Text: "Xin chào"}))
		conv := z.onlyConversation(z.inbox)

		// Zalo refuses the expired token: the send refreshes it with the
		// single-use refresh token and sends again with the new one.
		z.fake.ExpireAccessTokens()
		_, body := z.reply(conv.ID, map[string]any{"text": "One"})
		id := decodeID(t, body)
		z.runJobs()
		if m := z.message(id); m.DeliveryState != parley.DeliverySent {
			t.Fatalf("after a refused token: %s %q", m.DeliveryState, m.DeliveryError)
		}
		tok := z.requests(zalotest.TokenPath)
		if len(tok) != 1 || tok[0].Form["refresh_token"][0] != "zalo-refresh-1" || tok[0].Header.Get("secret_key") != zaloSecret {
			t.Fatalf("token requests = %+v", tok)
		}
		s := z.secrets()
		access, refresh := s["access_token"], s["refresh_token"]
		if !strings.HasPrefix(access, "fake-access-") || !strings.HasPrefix(refresh, "fake-refresh-") || s["access_token_expires_at"] == "" {
			t.Fatalf("stored after the refresh: %v", s)
		}
		cs := z.requests(zalotest.CSPath)
		if len(cs) != 2 || cs[0].Header.Get("access_token") != "zalo-access-1" || cs[1].Header.Get("access_token") != access {
			t.Errorf("sends used tokens %q", []string{cs[0].Header.Get("access_token"), cs[len(cs)-1].Header.Get("access_token")})
		}

		// The next send uses the new token without refreshing.
		_, body = z.reply(conv.ID, map[string]any{"text": "Two"})
		z.runJobs()
		if m := z.message(decodeID(t, body)); m.DeliveryState != parley.DeliverySent || len(z.requests(zalotest.TokenPath)) != 1 {
			t.Errorf("second send: %s, %d refreshes", m.DeliveryState, len(z.requests(zalotest.TokenPath)))
		}

		// Within an hour of the stored expiry it is renewed before sending.
		z.clock.Add(25 * time.Hour)
		_, body = z.reply(conv.ID, map[string]any{"text": "Three"})
		z.runJobs()
		if m := z.message(decodeID(t, body)); m.DeliveryState != parley.DeliverySent || len(z.requests(zalotest.TokenPath)) != 2 {
			t.Errorf("send near expiry: %s, %d refreshes (want 2)", m.DeliveryState, len(z.requests(zalotest.TokenPath)))
		}
		if s := z.secrets(); s["refresh_token"] == refresh || s["access_token"] == access {
			t.Errorf("the renewed pair was not stored: %v", s)
		}
	})
}

// barrier holds Zalo sends made with token until n of them are waiting,
// so that they are refused together.
type barrier struct {
	token string
	mu    sync.Mutex
	n     int
	all   chan struct{}
}

func (b *barrier) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == zalotest.CSPath && r.Header.Get("access_token") == b.token {
		b.mu.Lock()
		b.n--
		if b.n == 0 {
			close(b.all)
		}
		b.mu.Unlock()
		select {
		case <-b.all:
		case <-time.After(10 * time.Second):
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestZaloConcurrentRefresh(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		z := startZalo(t, dialect, "zalo-access-1", "zalo-refresh-1")
		gate := &barrier{token: "zalo-access-1", n: 2, all: make(chan struct{})}
		z.App.Gateway.HTTP = &http.Client{Transport: gate, Timeout: 30 * time.Second}
		z.post(z.hook, z.sim.Messages(simulate.Message{ID: "in1", From: zaloUser, Text: "Xin chào"}))
		conv := z.onlyConversation(z.inbox)

		// Two sends both refused with the expired token: one refresh between
		// them (a second would spend the single-use refresh token twice and
		// lose the OA), then both go with the new token.
		z.fake.ExpireAccessTokens()
		_, b1 := z.reply(conv.ID, map[string]any{"text": "One"})
		_, b2 := z.reply(conv.ID, map[string]any{"text": "Two"})
		z.runJobs()
		select {
		case <-gate.all:
		default:
			t.Fatal("the two sends did not overlap")
		}
		for _, b := range []string{b1, b2} {
			if m := z.message(decodeID(t, b)); m.DeliveryState != parley.DeliverySent {
				t.Errorf("message %d: %s %q", m.ID, m.DeliveryState, m.DeliveryError)
			}
		}
		if n := len(z.requests(zalotest.TokenPath)); n != 1 {
			t.Errorf("%d refreshes, want 1", n)
		}
		// Each was tried once with the old token and once with the stored
		// new one (the fake may log the four in any order).
		s := z.secrets()
		byToken := map[string]int{}
		for _, r := range z.requests(zalotest.CSPath) {
			byToken[r.Header.Get("access_token")]++
		}
		if byToken["zalo-access-1"] != 2 || byToken[s["access_token"]] != 2 || len(byToken) != 2 {
			t.Errorf("sends by token = %v, want 2 with the old and 2 with the stored %q", byToken, s["access_token"])
		}
	})
}

func TestZaloRefreshRefused(t *testing.T) {
	z := startZalo(t, "sqlite", "zalo-access-1", "a-spent-refresh-token")
	z.post(z.hook, z.sim.Messages(simulate.Message{ID: "in1", From: zaloUser, Text: "Xin chào"}))
	z.fake.ExpireAccessTokens()
	_, body := z.reply(z.onlyConversation(z.inbox).ID, map[string]any{"text": "One"})
	z.runJobs()
	if m := z.message(decodeID(t, body)); m.DeliveryState != parley.DeliveryFailed || !strings.Contains(m.DeliveryError, "reconnect") {
		t.Errorf("with a refused refresh token: %s %q; want failed, asking to reconnect", m.DeliveryState, m.DeliveryError)
	}
	if s := z.secrets(); s["refresh_token"] != "a-spent-refresh-token" {
		t.Errorf("stored refresh token changed to %q", s["refresh_token"])
	}
}
