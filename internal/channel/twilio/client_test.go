package twilio_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/channel/twilio"
	"github.com/parleyhq/parley/internal/channel/twilio/twiliotest"
)

const (
	sid   = "AC00000000000000000000000000000001"
	token = "secret-token"
)

func newClient(t *testing.T) (*twilio.Client, *twiliotest.Server) {
	t.Helper()
	srv := twiliotest.New(t, sid, token)
	return &twilio.Client{BaseURL: srv.URL, AccountSID: sid, AuthToken: token, From: "+15557654321", HTTP: srv.Client()}, srv
}

func TestSendShapes(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(c *twilio.Client)
		out    channel.Outbound
		want   map[string][]string
		prefix string
	}{
		{"text from number", nil, channel.Outbound{To: "+15551234567", Text: "Hello €"},
			map[string][]string{"To": {"+15551234567"}, "From": {"+15557654321"}, "Body": {"Hello €"}}, "SM"},
		{"messaging service + callback", func(c *twilio.Client) {
			c.MessagingServiceSID = "MG00000000000000000000000000000001"
			c.StatusCallback = "https://parley.example.com/webhooks/twilio/status"
		}, channel.Outbound{To: "+15551234567", Text: "hi"},
			map[string][]string{"To": {"+15551234567"}, "MessagingServiceSid": {"MG00000000000000000000000000000001"}, "Body": {"hi"},
				"StatusCallback": {"https://parley.example.com/webhooks/twilio/status"}}, "SM"},
		{"mms, two media, no text", nil, channel.Outbound{To: "+15551234567", Media: []channel.OutMedia{{URL: "https://cdn.example.com/a.jpg"}, {URL: "https://cdn.example.com/b.pdf"}}},
			map[string][]string{"To": {"+15551234567"}, "From": {"+15557654321"}, "MediaUrl": {"https://cdn.example.com/a.jpg", "https://cdn.example.com/b.pdf"}}, "MM"},
		{"text + media", nil, channel.Outbound{To: "whatsapp:+15551234567", Text: "see", Media: []channel.OutMedia{{URL: "https://cdn.example.com/a.jpg"}}},
			map[string][]string{"To": {"whatsapp:+15551234567"}, "From": {"+15557654321"}, "Body": {"see"}, "MediaUrl": {"https://cdn.example.com/a.jpg"}}, "MM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, srv := newClient(t)
			if tt.setup != nil {
				tt.setup(c)
			}
			got, err := c.Send(context.Background(), tt.out)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got, tt.prefix) || len(got) != 34 {
				t.Errorf("sid %q", got)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			if f := map[string][]string(reqs[0].Form); !reflect.DeepEqual(f, tt.want) {
				t.Errorf("form %v, want %v", f, tt.want)
			}
		})
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name      string
		resp      twiliotest.Response
		code      string
		permanent bool
		retry     time.Duration
		msg       string
	}{
		{"opted out", twiliotest.Response{Status: 400, Code: 21610, Message: "Attempt to send to unsubscribed recipient"}, "21610", true, 0, "opted out"},
		{"invalid number", twiliotest.Response{Status: 400, Code: 21211, Message: "Invalid 'To' Phone Number"}, "21211", true, 0, "not valid"},
		{"not mobile", twiliotest.Response{Status: 400, Code: 21614, Message: "'To' number is not a valid mobile number"}, "21614", true, 0, "not a mobile"},
		{"region", twiliotest.Response{Status: 400, Code: 21408, Message: "Permission to send an SMS has not been enabled for the region"}, "21408", true, 0, "region"},
		{"unreachable", twiliotest.Response{Status: 400, Code: 30003}, "30003", true, 0, "unreachable"},
		{"unknown", twiliotest.Response{Status: 400, Code: 30005}, "30005", true, 0, "unknown"},
		{"landline", twiliotest.Response{Status: 400, Code: 30006}, "30006", true, 0, "landline"},
		{"filtered", twiliotest.Response{Status: 400, Code: 30007}, "30007", true, 0, "filtered"},
		{"auth", twiliotest.Response{Status: 401, Code: 20003, Message: "Authenticate"}, "20003", true, 0, "check the account SID and token"},
		{"401 without code", twiliotest.Response{Status: 401, Raw: "Unauthorized"}, "20003", true, 0, "account SID and token"},
		{"rate code", twiliotest.Response{Status: 429, Code: 20429, Message: "Too Many Requests", RetryAfter: "7"}, "20429", false, 7 * time.Second, "rate limiting"},
		{"rate, date", twiliotest.Response{Status: 429, Raw: "slow down", RetryAfter: time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}, "20429", false, 59 * time.Minute, "rate limiting"},
		{"20429 under 400", twiliotest.Response{Status: 400, Code: 20429}, "20429", false, 0, "rate limiting"},
		{"500", twiliotest.Response{Status: 500, Code: 20500, Message: "Internal Server Error"}, "20500", false, 0, "retried"},
		{"503 html", twiliotest.Response{Status: 503, Raw: "<html>down</html>"}, "503", false, 0, "retried"},
		{"unknown code", twiliotest.Response{Status: 400, Code: 21999, Message: "Something new"}, "21999", true, 0, "Something new"},
		{"4xx no body", twiliotest.Response{Status: 404, Raw: " "}, "http_404", true, 0, "HTTP 404"},
		{"malformed 201", twiliotest.Response{Status: 201, Raw: "{not json"}, "bad_response", true, 0, "may have been sent"},
		{"201 without sid", twiliotest.Response{Status: 201, Raw: `{"status":"queued"}`}, "bad_response", true, 0, "may have been sent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, srv := newClient(t)
			srv.Respond(tt.resp)
			sid, err := c.Send(context.Background(), channel.Outbound{To: "+15551234567", Text: "hi"})
			se, ok := channel.AsSendError(err)
			if !ok || sid != "" {
				t.Fatalf("sid %q err %v", sid, err)
			}
			if se.Code != tt.code || se.Permanent != tt.permanent || !strings.Contains(se.Message, tt.msg) {
				t.Errorf("got %+v", se)
			}
			if tt.retry > 0 && (se.RetryAfter < tt.retry || se.RetryAfter > tt.retry+time.Minute) {
				t.Errorf("RetryAfter %v, want about %v", se.RetryAfter, tt.retry)
			}
			if tt.retry == 0 && se.RetryAfter != 0 {
				t.Errorf("RetryAfter %v", se.RetryAfter)
			}
		})
	}
}

func TestSendTimeout(t *testing.T) {
	c, srv := newClient(t)
	srv.Respond(twiliotest.Response{Delay: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Send(ctx, channel.Outbound{To: "+15551234567", Text: "hi"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if _, ok := channel.AsSendError(err); ok {
		t.Error("a timeout must not look like a provider refusal")
	}
	// The fake recovers for the next send.
	if _, err := c.Send(context.Background(), channel.Outbound{To: "+15551234567", Text: "hi"}); err != nil {
		t.Error(err)
	}
}

func TestSendRefusedLocally(t *testing.T) {
	tests := []struct {
		name string
		c    twilio.Client
		out  channel.Outbound
		code string
	}{
		{"no recipient", twilio.Client{AccountSID: sid, AuthToken: token, From: "+1"}, channel.Outbound{Text: "x"}, "invalid_message"},
		{"empty", twilio.Client{AccountSID: sid, AuthToken: token, From: "+1"}, channel.Outbound{To: "+1555"}, "invalid_message"},
		{"too long", twilio.Client{AccountSID: sid, AuthToken: token, From: "+1"}, channel.Outbound{To: "+1555", Text: strings.Repeat("é", 1601)}, "invalid_message"},
		{"template", twilio.Client{AccountSID: sid, AuthToken: token, From: "+1"}, channel.Outbound{To: "+1555", Template: &channel.Template{Name: "x"}}, "invalid_message"},
		{"media by id", twilio.Client{AccountSID: sid, AuthToken: token, From: "+1"}, channel.Outbound{To: "+1555", Media: []channel.OutMedia{{ProviderID: "1"}}}, "invalid_message"},
		{"11 media", twilio.Client{AccountSID: sid, AuthToken: token, From: "+1"}, channel.Outbound{To: "+1555", Media: make([]channel.OutMedia, 11)}, "invalid_message"},
		{"no sender", twilio.Client{AccountSID: sid, AuthToken: token}, channel.Outbound{To: "+1555", Text: "x"}, "not_configured"},
		{"no token", twilio.Client{AccountSID: sid, From: "+1"}, channel.Outbound{To: "+1555", Text: "x"}, "not_configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.BaseURL = "http://127.0.0.1:1" // never reached
			_, err := tt.c.Send(context.Background(), tt.out)
			se, ok := channel.AsSendError(err)
			if !ok || se.Code != tt.code || !se.Permanent || se.Message == "" {
				t.Errorf("err = %v", err)
			}
		})
	}
}
