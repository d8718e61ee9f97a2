package twilio

import (
	"errors"
	"net/url"
	"reflect"
	"testing"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/parley"
)

func mustQuery(t *testing.T, s string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// The sample inbound SMS body documented by Twilio (illustrative values).
const sampleSMS = "ToCountry=US&ToState=CA&SmsMessageSid=SM1234567890abcdef1234567890abcdef&NumMedia=0&ToCity=&FromZip=&SmsSid=SM1234567890abcdef1234567890abcdef&FromState=NY&SmsStatus=received&FromCity=&Body=Hello%21&FromCountry=US&To=%2B15557654321&MessagingServiceSid=MG1234567890abcdef1234567890abcdef&ToZip=&NumSegments=1&MessageSid=SM1234567890abcdef1234567890abcdef&AccountSid=AC1234567890abcdef1234567890abcdef&From=%2B15551234567&ApiVersion=2010-04-01"

func TestParseInboundSMS(t *testing.T) {
	b, err := Parse(mustQuery(t, sampleSMS))
	if err != nil {
		t.Fatal(err)
	}
	want := channel.Batch{Messages: []channel.Inbound{{
		ProviderMessageID: "SM1234567890abcdef1234567890abcdef",
		From:              channel.Sender{ID: "+15551234567", Phone: "+15551234567"},
		To:                "+15557654321",
		Kind:              channel.KindText,
		Text:              "Hello!",
	}}}
	if !reflect.DeepEqual(b, want) {
		t.Errorf("got %+v\nwant %+v", b, want)
	}
}

func TestParseInboundMMS(t *testing.T) {
	f := url.Values{
		"MessageSid": {"MM00000000000000000000000000000001"}, "From": {"+15551234567"}, "To": {"+15557654321"},
		"Body": {"look"}, "NumMedia": {"2"},
		"MediaUrl0": {"https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"}, "MediaContentType0": {"image/jpeg"},
		"MediaUrl1": {"https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2"}, "MediaContentType1": {"application/pdf"},
	}
	in, err := ParseInbound(f)
	if err != nil {
		t.Fatal(err)
	}
	if in.Kind != channel.KindImage || len(in.Media) != 2 {
		t.Fatalf("got %+v", in)
	}
	if in.Media[1].URL != f.Get("MediaUrl1") || in.Media[1].MIMEType != "application/pdf" || in.Media[0].Caption != "look" {
		t.Errorf("media = %+v", in.Media)
	}
}

func TestParseInboundKinds(t *testing.T) {
	for mime, kind := range map[string]string{
		"image/png": channel.KindImage, "audio/ogg": channel.KindAudio, "video/mp4": channel.KindVideo,
		"text/vcard": channel.KindContacts, "application/pdf": channel.KindDocument, "": channel.KindDocument,
	} {
		in, err := ParseInbound(url.Values{"MessageSid": {"MM1"}, "From": {"+15551234567"}, "NumMedia": {"1"}, "MediaUrl0": {"https://x/y"}, "MediaContentType0": {mime}})
		if err != nil || in.Kind != kind {
			t.Errorf("%q: kind %q err %v, want %q", mime, in.Kind, err, kind)
		}
	}
}

func TestParseInboundWhatsApp(t *testing.T) {
	in, err := ParseInbound(url.Values{
		"MessageSid": {"SM1"}, "From": {"whatsapp:+5511999990000"}, "To": {"whatsapp:+15557654321"},
		"ProfileName": {"Ana"}, "WaId": {"5511999990000"}, "NumMedia": {"0"},
		"Latitude": {"-23.55"}, "Longitude": {"-46.63"}, "Address": {"Av. Paulista"}, "Label": {"Office"},
		"OriginalRepliedMessageSid": {"SM0"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := channel.Sender{ID: "whatsapp:+5511999990000", Name: "Ana", Phone: "+5511999990000"}
	if in.From != want || in.Kind != channel.KindLocation || in.Location == nil ||
		*in.Location != (channel.Location{Latitude: -23.55, Longitude: -46.63, Name: "Office", Address: "Av. Paulista"}) || in.ReplyToID != "SM0" {
		t.Errorf("got %+v loc %+v", in, in.Location)
	}
	in, _ = ParseInbound(url.Values{"MessageSid": {"SM1"}, "From": {"messenger:12345"}})
	if in.From != (channel.Sender{ID: "messenger:12345"}) {
		t.Errorf("messenger sender = %+v", in.From)
	}
}

func TestParseInboundEdgeCases(t *testing.T) {
	// Fallback to the deprecated SmsSid; bad and huge NumMedia; gaps.
	in, err := ParseInbound(url.Values{"SmsSid": {"SM9"}, "From": {"+15551234567"}, "NumMedia": {"999999999999"}, "MediaUrl3": {"https://x/3"}})
	if err != nil || in.ProviderMessageID != "SM9" || len(in.Media) != 1 {
		t.Errorf("got %+v, %v", in, err)
	}
	in, err = ParseInbound(url.Values{"MessageSid": {"SM9"}, "From": {"+15551234567"}, "NumMedia": {"-1"}, "MediaUrl0": {"https://x/0"}})
	if err != nil || len(in.Media) != 0 || in.Kind != channel.KindText {
		t.Errorf("negative NumMedia: %+v, %v", in, err)
	}
	for _, f := range []url.Values{{}, {"From": {"+1555"}}, {"MessageSid": {"SM1"}}, {"MessageSid": {" "}, "From": {"+1555"}}} {
		if _, err := Parse(f); !errors.Is(err, ErrInvalidPayload) {
			t.Errorf("Parse(%v) = %v, want ErrInvalidPayload", f, err)
		}
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		status, code string
		state        parley.DeliveryState
		errCode      string
		permanent    bool
	}{
		{"queued", "", parley.DeliveryQueued, "", false},
		{"accepted", "", parley.DeliveryQueued, "", false},
		{"sending", "", parley.DeliveryQueued, "", false},
		{"sent", "", parley.DeliverySent, "", false},
		{"delivered", "", parley.DeliveryDelivered, "", false},
		{"read", "", parley.DeliveryRead, "", false},
		{"undelivered", "30003", parley.DeliveryFailed, "30003", true},
		{"undelivered", "30005", parley.DeliveryFailed, "30005", true},
		{"failed", "30006", parley.DeliveryFailed, "30006", true},
		{"undelivered", "30007", parley.DeliveryFailed, "30007", true},
		{"failed", "21610", parley.DeliveryFailed, "21610", true},
		{"undelivered", "30008", parley.DeliveryFailed, "30008", false},
		{"failed", "", parley.DeliveryFailed, "failed", true},
		{"canceled", "", parley.DeliveryFailed, "canceled", true},
		{"FAILED", "0", parley.DeliveryFailed, "failed", true},
		{"undelivered", "39999", parley.DeliveryFailed, "39999", true},
	}
	for _, tt := range tests {
		f := url.Values{"MessageSid": {"SM1"}, "SmsStatus": {tt.status}, "MessageStatus": {tt.status}, "To": {"+15557654321"}, "From": {"+15551234567"}}
		if tt.code != "" {
			f.Set("ErrorCode", tt.code)
		}
		b, err := Parse(f)
		if err != nil || len(b.Receipts) != 1 || len(b.Messages) != 0 {
			t.Errorf("%s/%s: %+v, %v", tt.status, tt.code, b, err)
			continue
		}
		r := b.Receipts[0]
		if r.ProviderMessageID != "SM1" || r.State != tt.state || r.Recipient != "+15557654321" {
			t.Errorf("%s: receipt %+v", tt.status, r)
		}
		switch {
		case tt.errCode == "" && r.Error != nil:
			t.Errorf("%s: unexpected error %v", tt.status, r.Error)
		case tt.errCode != "" && (r.Error == nil || r.Error.Code != tt.errCode || r.Error.Permanent != tt.permanent || r.Error.Message == ""):
			t.Errorf("%s/%s: error %+v", tt.status, tt.code, r.Error)
		}
	}
	// Unknown statuses are ignored, not errors.
	b, err := Parse(url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"partially_delivered"}})
	if err != nil || len(b.Receipts)+len(b.Messages) != 0 {
		t.Errorf("unknown status: %+v, %v", b, err)
	}
	if _, err := Parse(url.Values{"MessageStatus": {"sent"}}); !errors.Is(err, ErrInvalidPayload) {
		t.Errorf("status without sid: %v", err)
	}
}

func TestKeywords(t *testing.T) {
	tests := []struct {
		body string
		want Keyword
	}{
		{"STOP", KeywordOptOut}, {"stop", KeywordOptOut}, {"  Stop \n", KeywordOptOut},
		{"STOPALL", KeywordOptOut}, {"unsubscribe", KeywordOptOut}, {"Cancel", KeywordOptOut},
		{"end", KeywordOptOut}, {"QUIT", KeywordOptOut},
		{"START", KeywordOptIn}, {"yes", KeywordOptIn}, {"Unstop", KeywordOptIn},
		{"HELP", KeywordHelp}, {"info", KeywordHelp},
		{"", KeywordNone}, {"stop it", KeywordNone}, {"please stop", KeywordNone}, {"STOP!", KeywordNone},
		{"yes please", KeywordNone}, {"ſtop", KeywordNone}, {"\tQUIT\r\n", KeywordOptOut}, {"hello", KeywordNone}, {"S T O P", KeywordNone},
	}
	for _, tt := range tests {
		if got := ParseKeyword(tt.body); got != tt.want {
			t.Errorf("ParseKeyword(%q) = %v, want %v", tt.body, got, tt.want)
		}
		out, in := OptOutKeyword(tt.body)
		if out != (tt.want == KeywordOptOut) || in != (tt.want == KeywordOptIn) {
			t.Errorf("OptOutKeyword(%q) = %v, %v", tt.body, out, in)
		}
	}
	if k := FormKeyword(url.Values{"Body": {"arrêt"}, "OptOutType": {"STOP"}}); k != KeywordOptOut {
		t.Errorf("OptOutType STOP = %v", k)
	}
	if k := FormKeyword(url.Values{"Body": {"start"}}); k != KeywordOptIn {
		t.Errorf("FormKeyword body = %v", k)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(sampleSMS)
	f.Add("MessageSid=MM1&From=%2B1555&NumMedia=3&MediaUrl0=https://x&MediaContentType0=image/png&MediaUrl2=x")
	f.Add("MessageSid=SM1&MessageStatus=undelivered&ErrorCode=30007")
	f.Add("MessageSid=SM1&From=whatsapp:%2B15551234567&Latitude=1e400&Longitude=NaN")
	f.Add("MessageSid=SM1&From=whatsapp:%2B15551234567&Latitude=NaN&Longitude=NaN")
	f.Fuzz(func(t *testing.T, raw string) {
		form, _ := url.ParseQuery(raw) // keeps what parsed, like net/http
		b, err := Parse(form)
		if err != nil {
			if !errors.Is(err, ErrInvalidPayload) || len(b.Messages)+len(b.Receipts) != 0 {
				t.Fatalf("err %v with batch %+v", err, b)
			}
			return
		}
		for _, m := range b.Messages {
			if m.ProviderMessageID == "" || m.From.ID == "" || m.Kind == "" || len(m.Media) > maxMedia {
				t.Fatalf("bad message %+v", m)
			}
			if m.Location != nil && (m.Location.Latitude != m.Location.Latitude || m.Location.Longitude != m.Location.Longitude) {
				t.Fatalf("NaN location %+v", m.Location)
			}
		}
		for _, r := range b.Receipts {
			if r.ProviderMessageID == "" || r.State == "" || (r.State == parley.DeliveryFailed) != (r.Error != nil) {
				t.Fatalf("bad receipt %+v", r)
			}
		}
		_ = FormKeyword(form)
		_ = Verify("tok", "https://x/"+raw, form, form.Get("sig"))
	})
}
