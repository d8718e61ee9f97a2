package whatsapp

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/parley"
)

func ts(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

var amara = channel.Sender{ID: "2348012345678", Name: "Amara Okafor", Phone: "+2348012345678"}

const phoneID = "109876543210"

func one(in channel.Inbound) channel.Batch {
	if in.From == (channel.Sender{}) {
		in.From = amara
	}
	if in.To == "" {
		in.To = phoneID
	}
	if in.Timestamp.IsZero() {
		in.Timestamp = ts(1763900000)
	}
	return channel.Batch{Messages: []channel.Inbound{in}}
}

func TestParseFixtures(t *testing.T) {
	tests := []struct {
		file string
		want channel.Batch
	}{
		{"text.json", one(channel.Inbound{ProviderMessageID: "wamid.PARLEYTEXT1", Kind: channel.KindText, Text: "Hi, is my order on its way?"})},
		{"text_reply.json", one(channel.Inbound{ProviderMessageID: "wamid.PARLEYREPLY1", Kind: channel.KindText, Text: "Yes, that one", ReplyToID: "wamid.PARLEYOUT7"})},
		{"image.json", one(channel.Inbound{ProviderMessageID: "wamid.PARLEYIMG1", Kind: channel.KindImage, Text: "The broken lid",
			Media: []channel.Media{{ProviderID: "5550001", MIMEType: "image/jpeg", SHA256: "q1w2e3r4t5y6u7i8o9p0aSdFgHjKlZxCvBnM1234567=", Caption: "The broken lid"}}})},
		{"audio.json", one(channel.Inbound{ProviderMessageID: "wamid.PARLEYAUD1", Kind: channel.KindAudio,
			Media: []channel.Media{{ProviderID: "5550002", MIMEType: "audio/ogg; codecs=opus", SHA256: "YXVkaW8="}}})},
		{"video.json", one(channel.Inbound{ProviderMessageID: "wamid.PARLEYVID1", Kind: channel.KindVideo,
			Media: []channel.Media{{ProviderID: "5550003", MIMEType: "video/mp4", SHA256: "dmlkZW8="}}})},
		{"document.json", one(channel.Inbound{ProviderMessageID: "wamid.PARLEYDOC1", Kind: channel.KindDocument, Text: "Invoice",
			Media: []channel.Media{{ProviderID: "5550004", MIMEType: "application/pdf", SHA256: "ZG9j", Caption: "Invoice", Filename: "invoice-2291.pdf"}}})},
		{"sticker.json", one(channel.Inbound{ProviderMessageID: "wamid.PARLEYSTK1", Kind: channel.KindSticker,
			Media: []channel.Media{{ProviderID: "5550005", MIMEType: "image/webp", SHA256: "c3RpY2tlcg=="}}})},
		{"location.json", one(channel.Inbound{ProviderMessageID: "wamid.PARLEYLOC1", Kind: channel.KindLocation, Text: "Parley Lagos office, 12 Admiralty Way, Lekki",
			Location: &channel.Location{Latitude: 6.4474, Longitude: 3.4553, Name: "Parley Lagos office", Address: "12 Admiralty Way, Lekki"}})},
		{"contacts.json", one(channel.Inbound{ProviderMessageID: "wamid.PARLEYCON1", Kind: channel.KindContacts, Text: "Shared contact: Chidi Eze (+234 801 999 0000)"})},
		{"interactive_button.json", one(channel.Inbound{ProviderMessageID: "wamid.PARLEYINT1", Kind: channel.KindInteractive, Text: "Track my order", ReplyToID: "wamid.PARLEYOUT8", Payload: "track-order"})},
		{"interactive_list.json", one(channel.Inbound{ProviderMessageID: "wamid.PARLEYINT2", Kind: channel.KindInteractive, Text: "Medium", Payload: "size-m"})},
		{"button.json", one(channel.Inbound{ProviderMessageID: "wamid.PARLEYBTN1", Kind: channel.KindInteractive, Text: "Stop promotions", ReplyToID: "wamid.PARLEYOUT9", Payload: "OPT_OUT"})},
		{"reaction.json", one(channel.Inbound{ProviderMessageID: "wamid.PARLEYREA1", Kind: channel.KindReaction, Text: "👍", ReplyToID: "wamid.PARLEYOUT9"})},
		{"unsupported.json", one(channel.Inbound{ProviderMessageID: "wamid.PARLEYUNS1", Kind: channel.KindUnsupported,
			Text: `The customer sent a WhatsApp message of type "unsupported" that Parley cannot show. WhatsApp says: Message type is currently not supported. Ask them to resend it in another form.`})},
		{"order.json", one(channel.Inbound{ProviderMessageID: "wamid.PARLEYORD1", Kind: channel.KindUnsupported,
			Text: "The customer sent a catalog order with 2 item(s): Please deliver on Friday. Open WhatsApp Manager to see it."})},
		{"system.json", one(channel.Inbound{ProviderMessageID: "wamid.PARLEYSYS1", Kind: channel.KindUnsupported,
			From: channel.Sender{ID: "2348012345678", Phone: "+2348012345678"},
			Text: "WhatsApp notice: User A changed from 2348012345678 to 2348087654321"})},
		{"future_type.json", one(channel.Inbound{ProviderMessageID: "wamid.PARLEYFUT1", Kind: channel.KindUnsupported,
			Text: `The customer sent a WhatsApp message of type "hologram" that Parley cannot show. Ask them to resend it in another form.`})},
		{"bad_message.json", channel.Batch{
			Messages: []channel.Inbound{
				{ProviderMessageID: "wamid.PARLEYBAD1", From: amara, To: phoneID, Timestamp: ts(1763900000), Kind: channel.KindUnsupported,
					Text: `The customer sent a WhatsApp "location" message that Parley could not read. Open WhatsApp to see it.`},
				{ProviderMessageID: "wamid.PARLEYGOOD1", From: amara, To: phoneID, Timestamp: ts(1763900000), Kind: channel.KindText, Text: "still here"},
			},
			Receipts: []channel.Receipt{
				{ProviderMessageID: "wamid.PARLEYOUT2", State: parley.DeliveryDelivered, Timestamp: ts(1763900100), Recipient: "2348012345678"},
			},
		}},
		{"statuses.json", channel.Batch{Receipts: []channel.Receipt{
			{ProviderMessageID: "wamid.PARLEYOUT1", State: parley.DeliverySent, Timestamp: ts(1763900100), Recipient: "2348012345678"},
			{ProviderMessageID: "wamid.PARLEYOUT1", State: parley.DeliveryRead, Timestamp: ts(1763900200), Recipient: "2348012345678"},
			{ProviderMessageID: "wamid.PARLEYOUT2", State: parley.DeliveryDelivered, Timestamp: ts(1763900150), Recipient: "2348012345678"},
			{ProviderMessageID: "wamid.PARLEYOUT3", State: parley.DeliveryFailed, Timestamp: ts(1763900300), Recipient: "2348012345678",
				Error: SendErrorFor(0, 131047, "", 0)},
			{ProviderMessageID: "wamid.PARLEYOUT4", State: parley.DeliveryFailed, Timestamp: ts(1763900400), Recipient: "2348012345678",
				Error: &channel.SendError{Code: "131999", Message: "WhatsApp refused the message: Something new went wrong", Permanent: true}},
		}}},
		{"multi_entry.json", channel.Batch{
			Messages: []channel.Inbound{
				{ProviderMessageID: "wamid.MULTI1", From: amara, To: phoneID, Kind: channel.KindText, Text: "first", Timestamp: ts(1763900001)},
				{ProviderMessageID: "wamid.MULTI2", From: channel.Sender{ID: "2348023456789", Name: "Tunde Bello", Phone: "+2348023456789"}, To: phoneID,
					Kind: channel.KindImage, Media: []channel.Media{{ProviderID: "5551", MIMEType: "image/png", SHA256: "aW1n"}}, Timestamp: ts(1763900002)},
				{ProviderMessageID: "wamid.MULTI3", From: channel.Sender{ID: "2348034567890", Name: "Ngozi", Phone: "+2348034567890"}, To: "109876540000",
					Kind: channel.KindUnsupported, Text: `The customer sent a WhatsApp message of type "hologram" that Parley cannot show. Ask them to resend it in another form.`,
					Timestamp: ts(1763900004)},
			},
			Receipts: []channel.Receipt{
				{ProviderMessageID: "wamid.PARLEYOUT6", State: parley.DeliveryDelivered, Timestamp: ts(1763900003), Recipient: "2348023456789"},
				{ProviderMessageID: "wamid.PARLEYOUT7", State: parley.DeliveryRead, Timestamp: ts(1763900005), Recipient: "2348034567890"},
			},
		}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse(raw)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse mismatch\n got: %+v\nwant: %+v", got, tt.want)
			}
		})
	}
	// Every fixture is covered by a test.
	files, _ := filepath.Glob("testdata/*.json")
	for _, f := range files {
		name := filepath.Base(f)
		if !seen[name] && name != "malformed.json" && name != "wrong_object.json" {
			t.Errorf("fixture %s has no expectation", name)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, name := range []string{"malformed.json", "wrong_object.json"} {
		raw, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(raw); !errors.Is(err, ErrBadPayload) {
			t.Errorf("%s: err = %v, want ErrBadPayload", name, err)
		}
	}
	for _, raw := range []string{``, `null`, `[]`, `"x"`, `{}`, `{"object":null}`, `{"object":"page","entry":[]}`, `{"object":"whatsapp_business_account","entry":{}}`} {
		if _, err := Parse([]byte(raw)); !errors.Is(err, ErrBadPayload) {
			t.Errorf("%q: err = %v, want ErrBadPayload", raw, err)
		}
	}
}

func TestParseLenient(t *testing.T) {
	// A numeric timestamp, a non-phone sender id (business-scoped user id),
	// a message without an id (skipped), an interactive reply of an unknown
	// kind, and a text message missing its text object.
	raw := `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{
		"metadata":{"phone_number_id":"1"},
		"messages":[
			{"from":"US.abc123","id":"wamid.A","timestamp":1763900000,"type":"text","text":{"body":"hi"}},
			{"from":"1","type":"text","text":{"body":"no id"}},
			{"from":"15551234567","id":"wamid.B","timestamp":"not a number","type":"interactive","interactive":{"type":"nfm_reply","nfm_reply":{}}},
			{"from":"15551234567","id":"wamid.C","timestamp":"1","type":"text"}]}}]}]}`
	b, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Messages) != 3 {
		t.Fatalf("got %d messages, want 3: %+v", len(b.Messages), b.Messages)
	}
	a := b.Messages[0]
	if a.From.ID != "US.abc123" || a.From.Phone != "" || !a.Timestamp.Equal(ts(1763900000)) || a.Text != "hi" {
		t.Errorf("first: %+v", a)
	}
	if m := b.Messages[1]; m.Kind != channel.KindUnsupported || !m.Timestamp.IsZero() || !strings.Contains(m.Text, "interactive") {
		t.Errorf("second: %+v", m)
	}
	if m := b.Messages[2]; m.Kind != channel.KindUnsupported || m.Text == "" {
		t.Errorf("third: %+v", m)
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, err := Parse(raw)
		if err != nil {
			if len(b.Messages) != 0 || len(b.Receipts) != 0 {
				t.Fatal("an error with a non-empty batch")
			}
			return
		}
		for _, m := range b.Messages {
			if m.ProviderMessageID == "" || m.Kind == "" {
				t.Fatalf("message without id or kind: %+v", m)
			}
			if m.Kind == channel.KindUnsupported && m.Text == "" {
				t.Fatalf("unsupported message without text: %+v", m)
			}
		}
		for _, r := range b.Receipts {
			if r.ProviderMessageID == "" || r.State == "" {
				t.Fatalf("receipt without id or state: %+v", r)
			}
			if (r.State == parley.DeliveryFailed) != (r.Error != nil) {
				t.Fatalf("receipt error/state mismatch: %+v", r)
			}
		}
	})
}
