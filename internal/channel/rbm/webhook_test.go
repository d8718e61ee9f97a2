package rbm

import (
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/parley"
)

// The reference's self-computed vector (checked again with Python's hmac).
const (
	vecToken = "SJENCPGJESMGUFPY"
	vecData  = `{"senderPhoneNumber":"+12223334444","messageId":"MxAbCdEf","sendTime":"2026-01-02T03:04:05.000Z","text":"hello","agentId":"my-agent@rbm.goog"}`
	vecSig   = "0wLJk/V41M5AOIlyUH1olyiMjultPRsZvxw7/m+WL36NRNeCvLjCvA6grkzPCawjzetGo5bvyRvYNhhLMMkPNw=="
)

func push(data string) []byte {
	return []byte(`{"message":{"data":"` + base64.StdEncoding.EncodeToString([]byte(data)) +
		`","messageId":"99","publishTime":"2026-01-02T03:04:06Z","attributes":{}},"subscription":"projects/p/subscriptions/s"}`)
}

func TestSignatureVector(t *testing.T) {
	if got := Signature(vecToken, []byte(vecData)); got != vecSig {
		t.Fatalf("Signature = %s", got)
	}
	// The signature is over the decoded data, not the push body.
	if Signature(vecToken, push(vecData)) == vecSig {
		t.Fatal("signature must not match the raw body")
	}
	bad := []struct{ name, token, data, sig string }{
		{"wrong token", "SJENCPGJESMGUFPZ", vecData, vecSig},
		{"empty token", "", vecData, vecSig},
		{"missing header", vecToken, vecData, ""},
		{"mutated data", vecToken, strings.Replace(vecData, "hello", "hellp", 1), vecSig},
		{"hex instead of base64", vecToken, vecData, "d302c993"},
		{"url-safe base64", vecToken, vecData, strings.NewReplacer("+", "-", "/", "_").Replace(vecSig)},
	}
	for _, b := range bad {
		if err := VerifySignature(b.token, []byte(b.data), b.sig); !errors.Is(err, channel.ErrBadSignature) {
			t.Errorf("%s: %v", b.name, err)
		}
	}
	if err := VerifySignature(vecToken, []byte(vecData), vecSig); err != nil {
		t.Error(err)
	}
}

func TestParseWebhook(t *testing.T) {
	b, err := ParseWebhook(vecToken, push(vecData), vecSig)
	if err != nil {
		t.Fatal(err)
	}
	want := channel.Batch{Messages: []channel.Inbound{{
		ProviderMessageID: "MxAbCdEf",
		From:              channel.Sender{ID: "+12223334444", Phone: "+12223334444"},
		To:                "my-agent@rbm.goog",
		Kind:              channel.KindText,
		Text:              "hello",
		Timestamp:         time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}}}
	if !reflect.DeepEqual(b, want) {
		t.Errorf("got %+v\nwant %+v", b, want)
	}
	if _, err := ParseWebhook(vecToken, push(vecData), "AAAA"); !errors.Is(err, channel.ErrBadSignature) {
		t.Errorf("bad signature: %v", err)
	}
	for _, body := range []string{"", "{", `{"message":{}}`, `{"message":{"data":"***"}}`, `[]`} {
		if _, err := ParseWebhook(vecToken, []byte(body), vecSig); !errors.Is(err, ErrInvalidPayload) {
			t.Errorf("%q: %v", body, err)
		}
	}
}

func TestParseEventMessages(t *testing.T) {
	const head = `"senderPhoneNumber":"+447700900123","messageId":"msg-1","sendTime":"2026-03-04T05:06:07.123456Z","agentId":"a@rbm.goog"`
	tests := []struct {
		name string
		data string
		kind string
		text string
		chk  func(t *testing.T, in channel.Inbound)
	}{
		{"text", `{` + head + `,"text":"Hi there"}`, channel.KindText, "Hi there", nil},
		{"empty text", `{` + head + `,"text":""}`, channel.KindText, "", nil},
		{"suggestion", `{` + head + `,"suggestionResponse":{"postbackData":"yes_please","text":"Yes","type":"REPLY"}}`, channel.KindInteractive, "Yes", nil},
		{"suggestion without text", `{` + head + `,"suggestionResponse":{"postbackData":"yes_please","type":"ACTION"}}`, channel.KindInteractive, "yes_please", nil},
		{"location", `{` + head + `,"location":{"latitude":51.5,"longitude":-0.12}}`, channel.KindLocation, "", func(t *testing.T, in channel.Inbound) {
			if in.Location == nil || *in.Location != (channel.Location{Latitude: 51.5, Longitude: -0.12}) {
				t.Errorf("location %+v", in.Location)
			}
		}},
		{"image", `{` + head + `,"userFile":{"payload":{"mimeType":"image/jpeg","fileSizeBytes":1234,"fileUri":"https://rcs.example/f/1","fileName":"cat.jpg"},"thumbnail":{"mimeType":"image/jpeg","fileUri":"https://rcs.example/t/1"}}}`, channel.KindImage, "", func(t *testing.T, in channel.Inbound) {
			if len(in.Media) != 1 || in.Media[0] != (channel.Media{URL: "https://rcs.example/f/1", MIMEType: "image/jpeg", Filename: "cat.jpg"}) {
				t.Errorf("media %+v", in.Media)
			}
		}},
		{"pdf", `{` + head + `,"userFile":{"payload":{"mimeType":"application/pdf","fileUri":"https://rcs.example/f/2","fileName":"a.pdf"}}}`, channel.KindDocument, "", nil},
		{"video", `{` + head + `,"userFile":{"payload":{"mimeType":"video/mp4","fileUri":"https://rcs.example/f/3"}}}`, channel.KindVideo, "", nil},
		{"file without uri", `{` + head + `,"userFile":{"payload":{"mimeType":"image/png"}}}`, channel.KindUnsupported, "The customer sent an RCS message that cannot be shown here.", nil},
		{"unknown content", `{` + head + `,"somethingNew":{}}`, channel.KindUnsupported, "The customer sent an RCS message that cannot be shown here.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ParseEvent([]byte(tt.data))
			if err != nil || len(b.Messages) != 1 || len(b.Receipts) != 0 {
				t.Fatalf("%+v, %v", b, err)
			}
			in := b.Messages[0]
			if in.Kind != tt.kind || in.Text != tt.text || in.ProviderMessageID != "msg-1" || in.From.Phone != "+447700900123" || in.To != "a@rbm.goog" ||
				!in.Timestamp.Equal(time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)) {
				t.Errorf("got %+v", in)
			}
			if tt.chk != nil {
				tt.chk(t, in)
			}
		})
	}
}

func TestParseEventEvents(t *testing.T) {
	ev := func(typ string) string {
		return `{"senderPhoneNumber":"+447700900123","eventType":"` + typ + `","eventId":"ev-1","messageId":"0f0e0d0c-0000-4000-8000-000000000001","sendTime":"2026-03-04T05:06:07Z","agentId":"a@rbm.goog"}`
	}
	for typ, state := range map[string]parley.DeliveryState{"DELIVERED": parley.DeliveryDelivered, "READ": parley.DeliveryRead} {
		b, err := ParseEvent([]byte(ev(typ)))
		if err != nil || len(b.Receipts) != 1 || len(b.Messages) != 0 {
			t.Fatalf("%s: %+v %v", typ, b, err)
		}
		r := b.Receipts[0]
		if r.State != state || r.ProviderMessageID != "0f0e0d0c-0000-4000-8000-000000000001" || r.Recipient != "+447700900123" || r.Error != nil ||
			!r.Timestamp.Equal(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)) {
			t.Errorf("%s: %+v", typ, r)
		}
	}
	for _, typ := range []string{"IS_TYPING", "SOMETHING_NEW"} {
		if b, err := ParseEvent([]byte(ev(typ))); err != nil || len(b.Receipts)+len(b.Messages) != 0 {
			t.Errorf("%s should be ignored: %+v %v", typ, b, err)
		}
	}
	if _, err := ParseEvent([]byte(`{"senderPhoneNumber":"+447700900123","eventType":"READ"}`)); !errors.Is(err, ErrInvalidPayload) {
		t.Errorf("READ without messageId: %v", err)
	}
	// Server event: TTL expiry revoked our message.
	b, err := ParseEvent([]byte(`{"phoneNumber":"+447700900123","agentId":"a@rbm.goog","messageId":"m-9","eventType":"TTL_EXPIRATION_REVOKED","eventId":"e","sendTime":"2026-03-04T05:06:07Z"}`))
	if err != nil || len(b.Receipts) != 1 {
		t.Fatalf("%+v %v", b, err)
	}
	if r := b.Receipts[0]; r.State != parley.DeliveryFailed || r.ProviderMessageID != "m-9" || !FallBackToSMS(r.Error) {
		t.Errorf("%+v", r)
	}
	if b, err := ParseEvent([]byte(`{"phoneNumber":"+447700900123","messageId":"m-9","eventType":"TTL_EXPIRATION_REVOKE_FAILED"}`)); err != nil || len(b.Receipts) != 0 {
		t.Errorf("revoke failed should be ignored: %+v %v", b, err)
	}
	for _, d := range []string{`{}`, `{"text":"x","messageId":"1"}`, `{"senderPhoneNumber":"+1555","text":"x"}`, `null`, `"x"`} {
		if _, err := ParseEvent([]byte(d)); !errors.Is(err, ErrInvalidPayload) {
			t.Errorf("%s: %v", d, err)
		}
	}
}

func TestVerification(t *testing.T) {
	secret, ok, err := Verification("tok", []byte(`{"clientToken":"tok","secret":"s3cr3t"}`))
	if secret != "s3cr3t" || !ok || err != nil {
		t.Errorf("%q %v %v", secret, ok, err)
	}
	if _, ok, err := Verification("tok", []byte(`{"clientToken":"other","secret":"s"}`)); !ok || !errors.Is(err, channel.ErrBadSignature) {
		t.Errorf("wrong token: %v %v", ok, err)
	}
	if _, ok, err := Verification("", []byte(`{"clientToken":"","secret":"s"}`)); !ok || !errors.Is(err, channel.ErrBadSignature) {
		t.Errorf("unconfigured token: %v %v", ok, err)
	}
	if _, ok, _ := Verification("tok", push(vecData)); ok {
		t.Error("a push is not a verification")
	}
}

func FuzzParseWebhook(f *testing.F) {
	f.Add([]byte(vecData), false)
	f.Add([]byte(`{"senderPhoneNumber":"+1","eventType":"READ","messageId":"m"}`), false)
	f.Add([]byte(`{"phoneNumber":"+1","eventType":"TTL_EXPIRATION_REVOKED","messageId":"m"}`), false)
	f.Add([]byte(`{"senderPhoneNumber":"+1","messageId":"m","userFile":{"payload":{"fileUri":"x"}},"location":{"latitude":1e309}}`), false)
	f.Add(push(vecData), true)
	f.Fuzz(func(t *testing.T, data []byte, raw bool) {
		body := data
		if !raw {
			body = []byte(`{"message":{"data":"` + base64.StdEncoding.EncodeToString(data) + `"}}`)
		}
		b, err := ParseWebhook(vecToken, body, Signature(vecToken, data))
		if err != nil {
			if len(b.Messages)+len(b.Receipts) != 0 {
				t.Fatalf("batch with error: %+v", b)
			}
			if !raw && !errors.Is(err, ErrInvalidPayload) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		for _, m := range b.Messages {
			if m.ProviderMessageID == "" || m.From.ID == "" || m.Kind == "" {
				t.Fatalf("bad message %+v", m)
			}
		}
		for _, r := range b.Receipts {
			if r.ProviderMessageID == "" || r.State == "" {
				t.Fatalf("bad receipt %+v", r)
			}
		}
		_, _, _ = Verification(vecToken, data)
	})
}
