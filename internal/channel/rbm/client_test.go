package rbm_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/channel/rbm"
	"github.com/parleyhq/parley/internal/channel/rbm/rbmtest"
)

const token = "ya29.test-access-token"

func newClient(t *testing.T) (*rbm.Client, *rbmtest.Server) {
	t.Helper()
	srv := rbmtest.New(t, token)
	srv.AgentID = "parley-agent"
	return &rbm.Client{BaseURL: srv.URL, AgentID: "parley-agent", Token: rbm.StaticToken(token), HTTP: srv.Client()}, srv
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestSendShapes(t *testing.T) {
	expire := time.Date(2026, 5, 6, 7, 8, 9, 0, time.FixedZone("x", 3600))
	tests := []struct {
		name     string
		ttl      time.Duration
		out      channel.Outbound
		opts     rbm.Options
		wantBody string
	}{
		{"text", 0, channel.Outbound{To: "+447700900123", Text: "Hello, world!"}, rbm.Options{},
			`{"contentMessage":{"text":"Hello, world!"}}`},
		{"text with suggestions and ttl", 0, channel.Outbound{To: "+447700900123", Text: "Still there?"},
			rbm.Options{TTL: time.Hour, Suggestions: []rbm.Suggestion{{Text: "Yes", PostbackData: "yes"}, {Text: "No"}}},
			`{"contentMessage":{"text":"Still there?","suggestions":[{"reply":{"text":"Yes","postbackData":"yes"}},{"reply":{"text":"No","postbackData":"No"}}]},"ttl":"3600s"}`},
		{"client default ttl, fractional", 1500 * time.Millisecond, channel.Outbound{To: "+447700900123", Text: "x"}, rbm.Options{},
			`{"contentMessage":{"text":"x"},"ttl":"1.5s"}`},
		{"expire time overrides client ttl", time.Hour, channel.Outbound{To: "+447700900123", Text: "x"}, rbm.Options{ExpireTime: expire},
			`{"contentMessage":{"text":"x"},"expireTime":"2026-05-06T06:08:09Z"}`},
		{"file by url", 0, channel.Outbound{To: "+447700900123", Media: []channel.OutMedia{{URL: "https://cdn.example.com/a.jpg", MIMEType: "image/jpeg"}}}, rbm.Options{},
			`{"contentMessage":{"contentInfo":{"fileUrl":"https://cdn.example.com/a.jpg"}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, srv := newClient(t)
			c.TTL = tt.ttl
			id, err := c.SendWithOptions(context.Background(), tt.out, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !uuidV4.MatchString(id) {
				t.Errorf("id %q is not a v4 UUID", id)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			r := reqs[0]
			if r.Phone != tt.out.To || r.MessageID != id || r.AgentID != "parley-agent" {
				t.Errorf("request %+v", r)
			}
			if got := mustCanon(t, string(r.Raw)); got != mustCanon(t, tt.wantBody) {
				t.Errorf("body %s\nwant %s", r.Raw, tt.wantBody)
			}
		})
	}
}

func mustCanon(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestSendStableMessageID(t *testing.T) {
	c, srv := newClient(t)
	c.AgentID = "" // agent-level credentials: no agentId
	const id = "0F0E0D0C-0000-4000-8000-000000000001"
	got, err := c.SendWithOptions(context.Background(), channel.Outbound{To: "+15551234567", Text: "x"}, rbm.Options{MessageID: id})
	if err != nil || got != id {
		t.Fatalf("%q %v", got, err)
	}
	if r := srv.Requests()[0]; r.MessageID != id || r.AgentID != "" {
		t.Errorf("%+v", r)
	}
	if r := srv.Requests()[0]; r.Header.Get("Authorization") != "Bearer "+token {
		t.Errorf("auth %q", r.Header.Get("Authorization"))
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name      string
		resp      rbmtest.Response
		code      string
		permanent bool
		retry     time.Duration
		fallback  bool
		msg       string
	}{
		{"not rcs capable", rbmtest.NotRCSCapable, rbm.CodeNotRCSCapable, true, 0, true, "send by SMS"},
		{"404 without body", rbmtest.Response{Status: 404, Raw: "Not Found"}, rbm.CodeNotRCSCapable, true, 0, true, "SMS"},
		{"invalid", rbmtest.Response{Status: 400, GRPCStatus: "INVALID_ARGUMENT", Message: "Feature not supported"}, "INVALID_ARGUMENT", true, 0, false, "Feature not supported"},
		{"unauthenticated", rbmtest.Response{Status: 401, GRPCStatus: "UNAUTHENTICATED", Message: "Request had invalid authentication credentials."}, "UNAUTHENTICATED", true, 0, false, "access token"},
		{"forbidden", rbmtest.Response{Status: 403, GRPCStatus: "PERMISSION_DENIED", Message: "not a tester"}, "PERMISSION_DENIED", true, 0, false, "not allowed"},
		{"conflict", rbmtest.Response{Status: 409, GRPCStatus: "ALREADY_EXISTS", Message: "dup"}, "ALREADY_EXISTS", true, 0, false, "HTTP 409"},
		{"other 4xx no body", rbmtest.Response{Status: 413, Raw: " "}, "http_413", true, 0, false, "HTTP 413"},
		{"rate limited", rbmtest.Response{Status: 429, GRPCStatus: "RESOURCE_EXHAUSTED", Message: "Quota exceeded", RetryAfter: "30"}, "RESOURCE_EXHAUSTED", false, 30 * time.Second, false, "rate limiting"},
		{"rate limited no header", rbmtest.Response{Status: 429, GRPCStatus: "RESOURCE_EXHAUSTED"}, "RESOURCE_EXHAUSTED", false, 0, false, "rate limiting"},
		{"500", rbmtest.Response{Status: 500, GRPCStatus: "INTERNAL", Message: "boom"}, "INTERNAL", false, 0, false, "retried"},
		{"503 html", rbmtest.Response{Status: 503, Raw: "<html>unavailable</html>"}, "http_503", false, 0, false, "retried"},
		{"malformed 200", rbmtest.Response{Status: 200, Raw: "<html>ok</html>"}, "bad_response", true, 0, false, "same message id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, srv := newClient(t)
			srv.Respond(tt.resp)
			id, err := c.Send(context.Background(), channel.Outbound{To: "+447700900123", Text: "hi"})
			se, ok := channel.AsSendError(err)
			if !ok || id != "" {
				t.Fatalf("id %q err %v", id, err)
			}
			if se.Code != tt.code || se.Permanent != tt.permanent || se.RetryAfter != tt.retry || !strings.Contains(se.Message, tt.msg) {
				t.Errorf("got %+v", se)
			}
			if rbm.FallBackToSMS(err) != tt.fallback {
				t.Errorf("FallBackToSMS = %v", !tt.fallback)
			}
		})
	}
}

func TestSendTimeout(t *testing.T) {
	c, srv := newClient(t)
	srv.Respond(rbmtest.Response{Delay: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Send(ctx, channel.Outbound{To: "+447700900123", Text: "hi"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if _, ok := channel.AsSendError(err); ok || rbm.FallBackToSMS(err) {
		t.Error("a timeout is not a provider refusal")
	}
}

func TestSendTokenError(t *testing.T) {
	c, srv := newClient(t)
	boom := errors.New("metadata server down")
	c.Token = func(context.Context) (string, error) { return "", boom }
	if _, err := c.Send(context.Background(), channel.Outbound{To: "+447700900123", Text: "hi"}); !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
	if len(srv.Requests()) != 0 {
		t.Error("sent without a token")
	}
}

func TestSendRefusedLocally(t *testing.T) {
	tests := []struct {
		name string
		out  channel.Outbound
		opts rbm.Options
		code string
	}{
		{"not e164", channel.Outbound{To: "07700900123", Text: "x"}, rbm.Options{}, "invalid_message"},
		{"whatsapp-style", channel.Outbound{To: "whatsapp:+447700900123", Text: "x"}, rbm.Options{}, "invalid_message"},
		{"empty", channel.Outbound{To: "+447700900123"}, rbm.Options{}, "invalid_message"},
		{"text and media", channel.Outbound{To: "+447700900123", Text: "x", Media: []channel.OutMedia{{URL: "https://x/y"}}}, rbm.Options{}, "invalid_message"},
		{"two media", channel.Outbound{To: "+447700900123", Media: []channel.OutMedia{{URL: "https://x/y"}, {URL: "https://x/z"}}}, rbm.Options{}, "invalid_message"},
		{"media by id", channel.Outbound{To: "+447700900123", Media: []channel.OutMedia{{ProviderID: "1"}}}, rbm.Options{}, "invalid_message"},
		{"template", channel.Outbound{To: "+447700900123", Template: &channel.Template{Name: "t"}}, rbm.Options{}, "invalid_message"},
		{"too long", channel.Outbound{To: "+447700900123", Text: strings.Repeat("é", 3073)}, rbm.Options{}, "invalid_message"},
		{"ttl and expire", channel.Outbound{To: "+447700900123", Text: "x"}, rbm.Options{TTL: time.Hour, ExpireTime: time.Now()}, "invalid_message"},
		{"negative ttl", channel.Outbound{To: "+447700900123", Text: "x"}, rbm.Options{TTL: -time.Second}, "invalid_message"},
		{"12 suggestions", channel.Outbound{To: "+447700900123", Text: "x"}, rbm.Options{Suggestions: make([]rbm.Suggestion, 12)}, "invalid_message"},
		{"empty suggestion", channel.Outbound{To: "+447700900123", Text: "x"}, rbm.Options{Suggestions: []rbm.Suggestion{{}}}, "invalid_message"},
		{"bad message id", channel.Outbound{To: "+447700900123", Text: "x"}, rbm.Options{MessageID: "not-a-uuid"}, "invalid_message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &rbm.Client{BaseURL: "http://127.0.0.1:1", Token: rbm.StaticToken("x")}
			_, err := c.SendWithOptions(context.Background(), tt.out, tt.opts)
			se, ok := channel.AsSendError(err)
			if !ok || se.Code != tt.code || !se.Permanent || se.Message == "" {
				t.Errorf("err = %v", err)
			}
		})
	}
	c := &rbm.Client{}
	if _, err := c.Send(context.Background(), channel.Outbound{To: "+447700900123", Text: "x"}); err == nil {
		t.Error("no token source accepted")
	}
}

func TestSignedPushRoundTrip(t *testing.T) {
	payload := []byte(`{"senderPhoneNumber":"+447700900123","messageId":"m1","text":"hi","agentId":"a"}`)
	body, sig := rbmtest.SignedPush("client-token", payload)
	b, err := rbm.ParseWebhook("client-token", body, sig)
	if err != nil || len(b.Messages) != 1 || b.Messages[0].Text != "hi" {
		t.Fatalf("%+v %v", b, err)
	}
	req, _ := http.NewRequest("POST", "/", nil)
	req.Header.Set(rbm.SignatureHeader, sig)
	if _, err := rbm.ParseWebhook("other-token", body, req.Header.Get("X-Goog-Signature")); !errors.Is(err, channel.ErrBadSignature) {
		t.Errorf("other token: %v", err)
	}
}
