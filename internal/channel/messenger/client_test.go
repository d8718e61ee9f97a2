package messenger_test

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
	"github.com/parleyhq/parley/internal/channel/messenger"
	"github.com/parleyhq/parley/internal/channel/messenger/messengertest"
)

func newClient(t *testing.T) (*messenger.Client, *messengertest.Server) {
	t.Helper()
	srv := messengertest.New(t, "v23.0", "104920375551234", "page-tok")
	return &messenger.Client{BaseURL: srv.URL, Version: "v23.0", AccessToken: "page-tok", PageID: "104920375551234", HTTP: srv.Client()}, srv
}

func canon(t *testing.T, b []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func TestSendShapes(t *testing.T) {
	tests := []struct {
		name string
		out  channel.Outbound
		want string
	}{
		{"text", channel.Outbound{To: "6021", Text: "hello, world"},
			`{"message":{"text":"hello, world"},"messaging_type":"RESPONSE","recipient":{"id":"6021"}}`},
		{"human agent tag", channel.Outbound{To: "6021", Text: "Following up", Tag: "HUMAN_AGENT"},
			`{"message":{"text":"Following up"},"messaging_type":"MESSAGE_TAG","recipient":{"id":"6021"},"tag":"HUMAN_AGENT"}`},
		{"image by url", channel.Outbound{To: "6021", Media: []channel.OutMedia{{URL: "https://f/a.jpg", MIMEType: "image/jpeg"}}},
			`{"message":{"attachment":{"payload":{"is_reusable":true,"url":"https://f/a.jpg"},"type":"image"}},"messaging_type":"RESPONSE","recipient":{"id":"6021"}}`},
		{"video", channel.Outbound{To: "6021", Media: []channel.OutMedia{{URL: "https://f/v.mp4", MIMEType: "video/mp4"}}},
			`{"message":{"attachment":{"payload":{"is_reusable":true,"url":"https://f/v.mp4"},"type":"video"}},"messaging_type":"RESPONSE","recipient":{"id":"6021"}}`},
		{"audio", channel.Outbound{To: "6021", Media: []channel.OutMedia{{URL: "https://f/a.mp3", MIMEType: "audio/mpeg"}}},
			`{"message":{"attachment":{"payload":{"is_reusable":true,"url":"https://f/a.mp3"},"type":"audio"}},"messaging_type":"RESPONSE","recipient":{"id":"6021"}}`},
		{"file by attachment id, tagged", channel.Outbound{To: "6021", Tag: "HUMAN_AGENT", Media: []channel.OutMedia{{ProviderID: "9988", MIMEType: "application/pdf"}}},
			`{"message":{"attachment":{"payload":{"attachment_id":"9988"},"type":"file"}},"messaging_type":"MESSAGE_TAG","recipient":{"id":"6021"},"tag":"HUMAN_AGENT"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, srv := newClient(t)
			id, err := c.Send(context.Background(), tt.out)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if id != "m_FAKE1" {
				t.Errorf("id = %q", id)
			}
			r := srv.Requests()[0]
			if r.Method != "POST" || r.Path != "/v23.0/104920375551234/messages" || r.Authorization != "Bearer page-tok" ||
				r.AccessToken != "" || r.ContentType != "application/json" {
				t.Errorf("request %+v", r)
			}
			if got := canon(t, r.Body); got != tt.want {
				t.Errorf("body\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestSendMePath(t *testing.T) {
	c, srv := newClient(t)
	c.PageID = ""
	if _, err := c.Send(context.Background(), channel.Outbound{To: "1", Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	if p := srv.Requests()[0].Path; p != "/v23.0/me/messages" {
		t.Fatalf("path %s", p)
	}
}

func TestSendInvalidOutbound(t *testing.T) {
	for name, out := range map[string]channel.Outbound{
		"empty":             {To: "1"},
		"no recipient":      {Text: "hi"},
		"template":          {To: "1", Template: &channel.Template{Name: "x", Language: "en"}},
		"unknown tag":       {To: "1", Text: "hi", Tag: "PROMO"},
		"two media":         {To: "1", Media: []channel.OutMedia{{URL: "a"}, {URL: "b"}}},
		"text and media":    {To: "1", Text: "hi", Media: []channel.OutMedia{{URL: "a"}}},
		"caption":           {To: "1", Media: []channel.OutMedia{{URL: "a", Caption: "c"}}},
		"media without src": {To: "1", Media: []channel.OutMedia{{}}},
		"text too long":     {To: "1", Text: strings.Repeat("ß", messenger.MaxTextLength+1)},
	} {
		t.Run(name, func(t *testing.T) {
			c, srv := newClient(t)
			_, err := c.Send(context.Background(), out)
			se, ok := channel.AsSendError(err)
			if !ok || !se.Permanent || se.Code != "invalid_outbound" {
				t.Fatalf("err = %#v", err)
			}
			if len(srv.Requests()) != 0 {
				t.Fatal("invalid message was sent")
			}
		})
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		status, code, subcode int
		wantCode              string
		permanent             bool
		retryAfter            time.Duration
		mentions              string
	}{
		{400, 10, 2018278, "10/2018278", true, 0, "outside the allowed window"},
		{400, 10, 0, "10", true, 0, "24 hours"},
		{400, 100, 2018278, "100/2018278", true, 0, "window"},
		{400, 551, 1545041, "551/1545041", true, 0, "isn't available"},
		{400, 613, 0, "613", false, time.Minute, "rate limit"},
		{400, 4, 0, "4", false, time.Minute, "rate limit"},
		{500, 2, 0, "2", false, 10 * time.Second, "temporary"},
		{401, 190, 0, "190", true, 0, "reconnect"},
		{400, 100, 2018001, "100/2018001", true, 0, "no such person"},
		{400, 12345, 0, "12345", true, 0, "Nope from Meta"},
		{503, 12345, 0, "12345", false, 10 * time.Second, "Nope from Meta"},
	}
	for _, tt := range tests {
		t.Run(tt.wantCode, func(t *testing.T) {
			c, srv := newClient(t)
			srv.FailNext(tt.status, tt.code, tt.subcode, "Nope from Meta")
			_, err := c.Send(context.Background(), channel.Outbound{To: "1", Text: "hi"})
			se, ok := channel.AsSendError(err)
			if !ok {
				t.Fatalf("err = %v", err)
			}
			if se.Code != tt.wantCode || se.Permanent != tt.permanent || se.RetryAfter != tt.retryAfter || !strings.Contains(se.Message, tt.mentions) {
				t.Fatalf("got %+v", se)
			}
		})
	}
}

func TestSendBadToken(t *testing.T) {
	c, _ := newClient(t)
	c.AccessToken = "stale"
	_, err := c.Send(context.Background(), channel.Outbound{To: "1", Text: "hi"})
	if se, ok := channel.AsSendError(err); !ok || se.Code != "190" || !se.Permanent {
		t.Fatalf("err = %v", err)
	}
}

func TestSendRawResponses(t *testing.T) {
	c, srv := newClient(t)
	h := http.Header{}
	h.Set("Retry-After", "3")
	srv.RespondNext(500, h, "oops")
	_, err := c.Send(context.Background(), channel.Outbound{To: "1", Text: "hi"})
	if se, ok := channel.AsSendError(err); !ok || se.Permanent || se.RetryAfter != 3*time.Second || se.Code != "http_500" || !strings.Contains(se.Message, "oops") {
		t.Fatalf("5xx: %#v", err)
	}
	srv.RespondNext(429, nil, "")
	_, err = c.Send(context.Background(), channel.Outbound{To: "1", Text: "hi"})
	if se, ok := channel.AsSendError(err); !ok || se.Permanent || se.RetryAfter != time.Minute {
		t.Fatalf("429: %#v", err)
	}
	for _, b := range []string{`<html>`, `{}`, `{"message_id":""}`} {
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
		t.Fatalf("timeout should be a transport error: %v", err)
	}
}

func TestFakeRejectsBadShapes(t *testing.T) {
	for _, b := range []string{
		`{"recipient":{"id":"1"},"messaging_type":"RESPONSE","message":{"text":"x"},"access_token":"t"}`,
		`{"recipient":{},"messaging_type":"RESPONSE","message":{"text":"x"}}`,
		`{"recipient":{"id":"1"},"messaging_type":"PUSH","message":{"text":"x"}}`,
		`{"recipient":{"id":"1"},"messaging_type":"MESSAGE_TAG","message":{"text":"x"}}`,
		`{"recipient":{"id":"1"},"messaging_type":"RESPONSE","tag":"HUMAN_AGENT","message":{"text":"x"}}`,
		`{"recipient":{"id":"1"},"messaging_type":"MESSAGE_TAG","tag":"PROMO","message":{"text":"x"}}`,
		`{"recipient":{"id":"1"},"messaging_type":"RESPONSE"}`,
		`{"recipient":{"id":"1"},"messaging_type":"RESPONSE","message":{}}`,
		`{"recipient":{"id":"1"},"messaging_type":"RESPONSE","message":{"text":"x","attachment":{"type":"image","payload":{"url":"a"}}}}`,
		`{"recipient":{"id":"1"},"messaging_type":"RESPONSE","message":{"attachment":{"type":"gif","payload":{"url":"a"}}}}`,
		`{"recipient":{"id":"1"},"messaging_type":"RESPONSE","message":{"attachment":{"type":"image","payload":{}}}}`,
		`{"recipient":{"id":"1"},"messaging_type":"RESPONSE","message":{"caption":"x","text":"y"}}`,
	} {
		if _, err := messengertest.CheckBody([]byte(b)); err == nil {
			t.Errorf("CheckBody accepted %s", b)
		}
	}
}

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

func TestFakeReportsWrongPage(t *testing.T) {
	rec := &recTB{TB: t}
	srv := messengertest.New(rec, "v23.0", "104920375551234", "tok")
	c := &messenger.Client{BaseURL: srv.URL, Version: "v23.0", AccessToken: "tok", PageID: "999", HTTP: srv.Client()}
	_, err := c.Send(context.Background(), channel.Outbound{To: "1", Text: "hi"})
	if se, ok := channel.AsSendError(err); !ok || se.Code != "100" {
		t.Fatalf("err = %v", err)
	}
	if len(rec.errs) != 1 || !strings.Contains(rec.errs[0], "/v23.0/104920375551234/messages") {
		t.Fatalf("fake complaints: %q", rec.errs)
	}
}
