package whatsapp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/channel/whatsapp"
	"github.com/parleyhq/parley/internal/channel/whatsapp/whatsapptest"
)

func newClient(t *testing.T) (*whatsapp.Client, *whatsapptest.Server) {
	t.Helper()
	srv := whatsapptest.New(t, "v23.0", "109876543210", "tok-123")
	return &whatsapp.Client{BaseURL: srv.URL, Version: "v23.0", AccessToken: "tok-123", PhoneNumberID: "109876543210", HTTP: srv.Client()}, srv
}

func body(t *testing.T, r whatsapptest.Request) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(v) // canonical: sorted keys
	return string(out)
}

func TestSendShapes(t *testing.T) {
	tests := []struct {
		name string
		out  channel.Outbound
		want string
	}{
		{"text", channel.Outbound{To: "2348012345678", Text: "Hello!"},
			`{"messaging_product":"whatsapp","recipient_type":"individual","text":{"body":"Hello!","preview_url":false},"to":"2348012345678","type":"text"}`},
		{"text reply", channel.Outbound{To: "2348012345678", Text: "Sure", ReplyToID: "wamid.IN1"},
			`{"context":{"message_id":"wamid.IN1"},"messaging_product":"whatsapp","recipient_type":"individual","text":{"body":"Sure","preview_url":false},"to":"2348012345678","type":"text"}`},
		{"image by link with text as caption", channel.Outbound{To: "1", Text: "Your receipt", Media: []channel.OutMedia{{URL: "https://files.example/r.png", MIMEType: "image/png"}}},
			`{"image":{"caption":"Your receipt","link":"https://files.example/r.png"},"messaging_product":"whatsapp","recipient_type":"individual","to":"1","type":"image"}`},
		{"image by id", channel.Outbound{To: "1", Media: []channel.OutMedia{{ProviderID: "777", MIMEType: "image/jpeg", Caption: "c"}}},
			`{"image":{"caption":"c","id":"777"},"messaging_product":"whatsapp","recipient_type":"individual","to":"1","type":"image"}`},
		{"video", channel.Outbound{To: "1", Media: []channel.OutMedia{{URL: "https://f/v.mp4", MIMEType: "video/mp4"}}},
			`{"messaging_product":"whatsapp","recipient_type":"individual","to":"1","type":"video","video":{"link":"https://f/v.mp4"}}`},
		{"audio", channel.Outbound{To: "1", Media: []channel.OutMedia{{URL: "https://f/a.ogg", MIMEType: "audio/ogg"}}},
			`{"audio":{"link":"https://f/a.ogg"},"messaging_product":"whatsapp","recipient_type":"individual","to":"1","type":"audio"}`},
		{"document", channel.Outbound{To: "1", ReplyToID: "wamid.IN2", Media: []channel.OutMedia{{URL: "https://f/i.pdf", MIMEType: "application/pdf", Filename: "invoice.pdf", Caption: "Invoice"}}},
			`{"context":{"message_id":"wamid.IN2"},"document":{"caption":"Invoice","filename":"invoice.pdf","link":"https://f/i.pdf"},"messaging_product":"whatsapp","recipient_type":"individual","to":"1","type":"document"}`},
		{"unknown mime is a document", channel.Outbound{To: "1", Media: []channel.OutMedia{{URL: "https://f/x.bin"}}},
			`{"document":{"link":"https://f/x.bin"},"messaging_product":"whatsapp","recipient_type":"individual","to":"1","type":"document"}`},
		{"template with params", channel.Outbound{To: "1", Template: &channel.Template{Name: "order_update", Language: "en_US", Params: []string{"Ada", "#1234"}}},
			`{"messaging_product":"whatsapp","recipient_type":"individual","template":{"components":[{"parameters":[{"text":"Ada","type":"text"},{"text":"#1234","type":"text"}],"type":"body"}],"language":{"code":"en_US"},"name":"order_update"},"to":"1","type":"template"}`},
		{"template without params", channel.Outbound{To: "1", Template: &channel.Template{Name: "hello_world", Language: "en_US"}},
			`{"messaging_product":"whatsapp","recipient_type":"individual","template":{"language":{"code":"en_US"},"name":"hello_world"},"to":"1","type":"template"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, srv := newClient(t)
			id, err := c.Send(context.Background(), tt.out)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if id != "wamid.FAKE1" {
				t.Errorf("id = %q", id)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			r := reqs[0]
			if r.Method != "POST" || r.Path != "/v23.0/109876543210/messages" || r.Authorization != "Bearer tok-123" || r.ContentType != "application/json" {
				t.Errorf("request %+v", r)
			}
			if got := body(t, r); got != tt.want {
				t.Errorf("body\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestSendInvalidOutbound(t *testing.T) {
	for name, out := range map[string]channel.Outbound{
		"empty":              {To: "1"},
		"no recipient":       {Text: "hi"},
		"two media":          {To: "1", Media: []channel.OutMedia{{URL: "a"}, {URL: "b"}}},
		"media without src":  {To: "1", Media: []channel.OutMedia{{MIMEType: "image/png"}}},
		"media with both":    {To: "1", Media: []channel.OutMedia{{URL: "a", ProviderID: "1"}}},
		"audio with text":    {To: "1", Text: "hi", Media: []channel.OutMedia{{URL: "a", MIMEType: "audio/mpeg"}}},
		"caption and text":   {To: "1", Text: "hi", Media: []channel.OutMedia{{URL: "a", Caption: "c"}}},
		"template no lang":   {To: "1", Template: &channel.Template{Name: "x"}},
		"template with text": {To: "1", Text: "hi", Template: &channel.Template{Name: "x", Language: "en"}},
		"text too long":      {To: "1", Text: strings.Repeat("é", whatsapp.MaxTextLength+1)},
	} {
		t.Run(name, func(t *testing.T) {
			c, srv := newClient(t)
			_, err := c.Send(context.Background(), out)
			se, ok := channel.AsSendError(err)
			if !ok || !se.Permanent || se.Code != "invalid_outbound" || se.Message == "" {
				t.Fatalf("err = %#v", err)
			}
			if n := len(srv.Requests()); n != 0 {
				t.Fatalf("%d requests sent for an invalid message", n)
			}
		})
	}
	// Exactly at the limit is fine.
	c, _ := newClient(t)
	if _, err := c.Send(context.Background(), channel.Outbound{To: "1", Text: strings.Repeat("é", whatsapp.MaxTextLength)}); err != nil {
		t.Fatal(err)
	}
}

func TestMarkRead(t *testing.T) {
	c, srv := newClient(t)
	if err := c.MarkRead(context.Background(), "wamid.IN9"); err != nil {
		t.Fatal(err)
	}
	if got := body(t, srv.Requests()[0]); got != `{"message_id":"wamid.IN9","messaging_product":"whatsapp","status":"read"}` {
		t.Fatalf("body %s", got)
	}
	srv.FailNext(400, 100, "Invalid parameter")
	if err := c.MarkRead(context.Background(), "wamid.IN9"); err == nil {
		t.Fatal("want error")
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		status, code int
		wantCode     string
		permanent    bool
		retryAfter   time.Duration
		mentions     string
	}{
		{400, 131047, "131047", true, 0, "template"},
		{400, 130429, "130429", false, 5 * time.Second, "retried"},
		{400, 131056, "131056", false, 10 * time.Second, "later"},
		{400, 131026, "131026", true, 0, "not be on WhatsApp"},
		{400, 131021, "131021", true, 0, "not a valid WhatsApp user"},
		{400, 132000, "132000", true, 0, "parameters"},
		{404, 132001, "132001", true, 0, "does not exist"},
		{401, 190, "190", true, 0, "reconnect"},
		{400, 4, "4", false, time.Minute, "rate limit"},
		{400, 80007, "80007", false, time.Minute, "rate limit"},
		{400, 131048, "131048", true, 0, "spam"},
		{400, 424242, "424242", true, 0, "Provider says no"},
		{500, 1, "1", false, 10 * time.Second, "Provider says no"},
		{503, 424242, "424242", false, 10 * time.Second, "temporary"},
	}
	for _, tt := range tests {
		t.Run(tt.wantCode, func(t *testing.T) {
			c, srv := newClient(t)
			srv.FailNext(tt.status, tt.code, "Provider says no")
			_, err := c.Send(context.Background(), channel.Outbound{To: "1", Text: "hi"})
			se, ok := channel.AsSendError(err)
			if !ok {
				t.Fatalf("err = %v, want SendError", err)
			}
			if se.Code != tt.wantCode || se.Permanent != tt.permanent || se.RetryAfter != tt.retryAfter {
				t.Fatalf("got %+v", se)
			}
			if !strings.Contains(se.Message, tt.mentions) {
				t.Fatalf("message %q should mention %q", se.Message, tt.mentions)
			}
		})
	}
}

func TestSendBadToken(t *testing.T) {
	c, _ := newClient(t)
	c.AccessToken = "expired"
	_, err := c.Send(context.Background(), channel.Outbound{To: "1", Text: "hi"})
	se, ok := channel.AsSendError(err)
	if !ok || se.Code != "190" || !se.Permanent {
		t.Fatalf("err = %v", err)
	}
}

func TestSendRawResponses(t *testing.T) {
	c, srv := newClient(t)

	// A 5xx with an HTML body and a Retry-After header.
	h := http.Header{}
	h.Set("Retry-After", "30")
	srv.RespondNext(502, h, "<html>Bad Gateway</html>")
	_, err := c.Send(context.Background(), channel.Outbound{To: "1", Text: "hi"})
	se, ok := channel.AsSendError(err)
	if !ok || se.Permanent || se.RetryAfter != 30*time.Second || se.Code != "http_502" || !strings.Contains(se.Message, "Bad Gateway") {
		t.Fatalf("5xx: %#v", err)
	}

	// A 4xx that is not a Graph envelope.
	srv.RespondNext(403, nil, "forbidden")
	_, err = c.Send(context.Background(), channel.Outbound{To: "1", Text: "hi"})
	if se, ok := channel.AsSendError(err); !ok || !se.Permanent || se.Code != "http_403" {
		t.Fatalf("4xx: %#v", err)
	}

	// 200 but unreadable: the message may have gone, so do not retry.
	for _, b := range []string{`not json`, `{}`, `{"messages":[]}`, `{"messages":[{"id":""}]}`} {
		srv.RespondNext(200, nil, b)
		_, err = c.Send(context.Background(), channel.Outbound{To: "1", Text: "hi"})
		if se, ok := channel.AsSendError(err); !ok || !se.Permanent || se.Code != "bad_response" {
			t.Fatalf("malformed %q: %#v", b, err)
		}
	}
}

func TestSendTimeout(t *testing.T) {
	c, srv := newClient(t)
	srv.DelayNext(5 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Send(ctx, channel.Outbound{To: "1", Text: "hi"})
	if err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
	if _, ok := channel.AsSendError(err); ok {
		t.Fatalf("a timeout is a transport error, not a SendError: %v", err)
	}
	if ctx.Err() == nil || !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("err = %v", err)
	}
}

func TestSendUnreachable(t *testing.T) {
	c, srv := newClient(t)
	srv.Close()
	if _, err := c.Send(context.Background(), channel.Outbound{To: "1", Text: "hi"}); err == nil {
		t.Fatal("want error")
	} else if _, ok := channel.AsSendError(err); ok {
		t.Fatalf("network failure should not be a SendError: %v", err)
	}
}

func TestFakeRejectsBadShapes(t *testing.T) {
	for _, b := range []string{
		`{"messaging_product":"whatsapp","recipient_type":"individual","to":"1","type":"text","text":{"body":"x"},"extra":1}`,
		`{"messaging_product":"sms","recipient_type":"individual","to":"1","type":"text","text":{"body":"x"}}`,
		`{"messaging_product":"whatsapp","recipient_type":"group","to":"1","type":"text","text":{"body":"x"}}`,
		`{"messaging_product":"whatsapp","recipient_type":"individual","to":"1","type":"fax","fax":{}}`,
		`{"messaging_product":"whatsapp","recipient_type":"individual","to":"1","type":"text"}`,
		`{"messaging_product":"whatsapp","recipient_type":"individual","to":"1","type":"text","text":{"body":"x"},"image":{"link":"a"}}`,
		`{"messaging_product":"whatsapp","recipient_type":"individual","type":"text","text":{"body":"x"}}`,
		`{"messaging_product":"whatsapp","recipient_type":"individual","to":"1","type":"image","image":{"link":"a","id":"1"}}`,
		`{"messaging_product":"whatsapp","recipient_type":"individual","to":"1","type":"audio","audio":{"link":"a","caption":"c"}}`,
		`{"messaging_product":"whatsapp","recipient_type":"individual","to":"1","type":"template","template":{"name":"x"}}`,
		`{"messaging_product":"whatsapp","recipient_type":"individual","to":"1","type":"text","text":{"body":"x"},"context":{}}`,
		`{"messaging_product":"whatsapp","status":"delivered","message_id":"w"}`,
		`[]`,
	} {
		if err := whatsapptest.CheckBody([]byte(b)); err == nil {
			t.Errorf("CheckBody accepted %s", b)
		}
	}
}

// recTB records the fake's complaints instead of failing the test.
type recTB struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestFakeReportsWrongPath(t *testing.T) {
	rec := &recTB{TB: t}
	srv := whatsapptest.New(rec, "v23.0", "109876543210", "tok")
	c := &whatsapp.Client{BaseURL: srv.URL, Version: "v19.0", AccessToken: "tok", PhoneNumberID: "109876543210", HTTP: srv.Client()}
	_, err := c.Send(context.Background(), channel.Outbound{To: "1", Text: "hi"})
	if se, ok := channel.AsSendError(err); !ok || se.Code != "100" || !se.Permanent {
		t.Fatalf("err = %v", err)
	}
	if len(rec.errs) != 1 || !strings.Contains(rec.errs[0], "/v23.0/109876543210/messages") {
		t.Fatalf("fake complaints: %q", rec.errs)
	}
}
