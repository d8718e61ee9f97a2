package zalo

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/channel/zalo/zalotest"
)

const (
	fakeApp     = "app-1"
	fakeSecret  = "app-secret"
	fakeAccess  = "access-0"
	fakeRefresh = "refresh-0"
)

func newFake(t *testing.T) (*zalotest.Server, *Client) {
	t.Helper()
	srv := zalotest.New(fakeApp, fakeSecret, fakeAccess, fakeRefresh)
	t.Cleanup(srv.Close)
	return srv, &Client{BaseURL: srv.URL, AccessToken: fakeAccess, HTTP: srv.Client()}
}

func noProblems(t *testing.T, srv *zalotest.Server) {
	t.Helper()
	for _, p := range srv.Problems() {
		t.Errorf("fake found: %s", p)
	}
}

func TestSendText(t *testing.T) {
	srv, c := newFake(t)
	id, err := c.Send(context.Background(), channel.Outbound{To: tUser, Text: "Dạ còn hàng ạ", ReplyToID: "cb31dff1c39642cc1b83"})
	if err != nil {
		t.Fatal(err)
	}
	if id == "" {
		t.Fatal("no message id")
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Header.Get("access_token") != fakeAccess || r.Header.Get("Authorization") != "" {
		t.Errorf("headers %v", r.Header)
	}
	var body map[string]map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	if body["recipient"]["user_id"] != tUser || body["recipient"]["message_id"] != "cb31dff1c39642cc1b83" ||
		body["message"]["text"] != "Dạ còn hàng ạ" || body["message"]["attachment"] != nil {
		t.Errorf("body %s", r.Body)
	}
	noProblems(t, srv)
}

func TestSendImage(t *testing.T) {
	srv, c := newFake(t)
	for _, m := range []channel.OutMedia{
		{URL: "https://cdn.example/p.png?sig=1", Caption: "ảnh"},
		{URL: "https://cdn.example/p", MIMEType: "image/jpeg"},
		{ProviderID: "att-123"},
	} {
		if _, err := c.Send(context.Background(), channel.Outbound{To: tUser, Media: []channel.OutMedia{m}}); err != nil {
			t.Fatalf("%+v: %v", m, err)
		}
	}
	reqs := srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	el := func(i int) (url, att string) {
		a := reqs[i].Message.Message.Attachment
		if a == nil || len(a.Payload.Elements) != 1 {
			t.Fatalf("request %d: no media element: %s", i, reqs[i].Body)
		}
		return a.Payload.Elements[0].URL, a.Payload.Elements[0].AttachmentID
	}
	if u, a := el(0); u != "https://cdn.example/p.png?sig=1" || a != "" || reqs[0].Message.Message.Text != "ảnh" {
		t.Errorf("request 0: %s", reqs[0].Body)
	}
	if u, _ := el(1); u != "https://cdn.example/p" {
		t.Errorf("request 1: %s", reqs[1].Body)
	}
	if u, a := el(2); u != "" || a != "att-123" {
		t.Errorf("request 2: %s", reqs[2].Body)
	}
	noProblems(t, srv)
}

func TestSendRefusedLocally(t *testing.T) {
	srv, c := newFake(t)
	tests := []struct {
		name string
		out  channel.Outbound
		code string
	}{
		{"no recipient", channel.Outbound{Text: "hi"}, "no_recipient"},
		{"empty", channel.Outbound{To: tUser}, "empty_message"},
		{"template", channel.Outbound{To: tUser, Template: &channel.Template{Name: "x"}}, "template_unsupported"},
		{"too long", channel.Outbound{To: tUser, Text: strings.Repeat("ạ", MaxTextLength+1)}, "text_too_long"},
		{"two images", channel.Outbound{To: tUser, Media: []channel.OutMedia{{URL: "https://a/1.png"}, {URL: "https://a/2.png"}}}, "too_many_media"},
		{"pdf", channel.Outbound{To: tUser, Media: []channel.OutMedia{{URL: "https://a/x.pdf"}}}, "media_unsupported"},
		{"image without url", channel.Outbound{To: tUser, Media: []channel.OutMedia{{MIMEType: "image/png"}}}, "media_missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Send(context.Background(), tc.out)
			se, ok := channel.AsSendError(err)
			if !ok || se.Code != tc.code || !se.Permanent || se.Message == "" {
				t.Fatalf("got %#v", err)
			}
		})
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests reached Zalo", n)
	}
	// Exactly the limit is fine.
	if _, err := c.Send(context.Background(), channel.Outbound{To: tUser, Text: strings.Repeat("ạ", MaxTextLength)}); err != nil {
		t.Errorf("2000 characters: %v", err)
	}
	noProblems(t, srv)
}

func TestSendZaloErrors(t *testing.T) {
	tests := []struct {
		code       int
		permanent  bool
		retryAfter bool
		token      bool
		window     bool
		says       string
	}{
		{-230, true, false, false, true, "the customer must write first"},
		{-232, true, false, false, true, "the customer must write first"},
		{-305, true, false, false, true, "7 days"},
		{-216, true, false, true, false, "reconnect the Zalo inbox"},
		{-220, true, false, true, false, "reconnect the Zalo inbox"},
		{-124, true, false, true, false, "reconnect the Zalo inbox"},
		{-32, false, true, false, false, "rate limit"},
		{-234, false, true, false, false, "22:00"},
		{-201, true, false, false, false, "provider says this"},
		{-211, true, false, false, false, "quota"},
		{-213, true, false, false, false, "does not follow"},
		{-244, true, false, false, false, "chosen not to receive"},
		{-99999, true, false, false, false, "provider says this"},
	}
	for _, tc := range tests {
		srv, c := newFake(t)
		srv.FailNext(tc.code, "provider says this")
		_, err := c.Send(context.Background(), channel.Outbound{To: tUser, Text: "hi"})
		se, ok := channel.AsSendError(err)
		if !ok {
			t.Fatalf("%d: %v is not a SendError", tc.code, err)
		}
		if se.Code != itoa(tc.code) || se.Permanent != tc.permanent || (se.RetryAfter > 0) != tc.retryAfter ||
			IsTokenError(err) != tc.token || IsWindowClosed(err) != tc.window || !strings.Contains(se.Message, tc.says) {
			t.Errorf("%d: got %+v token=%v window=%v", tc.code, se, IsTokenError(err), IsWindowClosed(err))
		}
		noProblems(t, srv)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestSendHTTPErrors(t *testing.T) {
	for _, tc := range []struct {
		status    int
		permanent bool
	}{{500, false}, {502, false}, {503, false}, {429, false}, {400, true}, {404, true}} {
		srv, c := newFake(t)
		srv.FailNextHTTP(tc.status)
		_, err := c.Send(context.Background(), channel.Outbound{To: tUser, Text: "hi"})
		se, ok := channel.AsSendError(err)
		if !ok || se.Permanent != tc.permanent || (!tc.permanent && se.RetryAfter <= 0) {
			t.Errorf("HTTP %d: got %#v", tc.status, err)
		}
	}
}

func TestSendRetryAfterHeader(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer s.Close()
	_, err := (&Client{BaseURL: s.URL, AccessToken: "x", HTTP: s.Client()}).Send(context.Background(), channel.Outbound{To: "u", Text: "hi"})
	if se, ok := channel.AsSendError(err); !ok || se.RetryAfter != 7*time.Second {
		t.Errorf("got %#v", err)
	}
}

func TestSendTokens(t *testing.T) {
	srv, c := newFake(t)
	c.AccessToken = "not-issued"
	if _, err := c.Send(context.Background(), channel.Outbound{To: tUser, Text: "hi"}); !IsTokenError(err) {
		t.Errorf("unknown token: %v", err)
	}
	c.AccessToken = fakeAccess
	srv.ExpireAccessTokens()
	_, err := c.Send(context.Background(), channel.Outbound{To: tUser, Text: "hi"})
	if se, ok := channel.AsSendError(err); !ok || se.Code != "-220" || !IsTokenError(err) {
		t.Errorf("expired token: %v", err)
	}
	c.AccessToken = ""
	if _, err := c.Send(context.Background(), channel.Outbound{To: tUser, Text: "hi"}); !IsTokenError(err) {
		t.Errorf("no token: %v", err)
	}
}

func TestSendUnknownOutcome(t *testing.T) {
	// An answer that is not Zalo's JSON, and a cancelled request, are not
	// SendErrors: the outcome is unknown.
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<html>proxy</html>"))
	}))
	defer s.Close()
	c := &Client{BaseURL: s.URL, AccessToken: "x", HTTP: s.Client()}
	if _, err := c.Send(context.Background(), channel.Outbound{To: "u", Text: "hi"}); err == nil {
		t.Error("no error")
	} else if _, ok := channel.AsSendError(err); ok {
		t.Errorf("got SendError %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Send(ctx, channel.Outbound{To: "u", Text: "hi"}); err == nil {
		t.Error("no error on cancelled context")
	} else if _, ok := channel.AsSendError(err); ok {
		t.Errorf("got SendError %v", err)
	}
}

func TestUntilMorningVN(t *testing.T) {
	vn := time.FixedZone("x", 7*3600)
	for _, tc := range []struct {
		at   time.Time
		want time.Duration
	}{
		{time.Date(2026, 3, 1, 22, 0, 0, 0, vn), 8 * time.Hour},
		{time.Date(2026, 3, 1, 23, 30, 0, 0, vn), 6*time.Hour + 30*time.Minute},
		{time.Date(2026, 3, 2, 5, 0, 0, 0, vn), time.Hour},
		{time.Date(2026, 3, 2, 12, 0, 0, 0, vn), 15 * time.Minute},
		{time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC), 7 * time.Hour}, // 23:00 in Vietnam
	} {
		if got := untilMorningVN(tc.at); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.at, got, tc.want)
		}
	}
}
