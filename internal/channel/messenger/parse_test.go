package messenger

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/parley"
)

const (
	page = "104920375551234"
	psid = "6021873345067781"
)

func ms(n int64) time.Time { return time.UnixMilli(n).UTC() }

var customer = channel.Sender{ID: psid}

func msg(in channel.Inbound) channel.Batch {
	if in.From == (channel.Sender{}) {
		in.From = customer
	}
	if in.To == "" {
		in.To = page
	}
	if in.Timestamp.IsZero() {
		in.Timestamp = ms(1763900000123)
	}
	return channel.Batch{Messages: []channel.Inbound{in}}
}

func TestParseFixtures(t *testing.T) {
	tests := []struct {
		file string
		want channel.Batch
	}{
		{"text.json", msg(channel.Inbound{ProviderMessageID: "m_TEXT1", Kind: channel.KindText, Text: "Do you ship to Accra?"})},
		{"text_reply.json", msg(channel.Inbound{ProviderMessageID: "m_REPLY1", Kind: channel.KindText, Text: "This one", ReplyToID: "m_OUT5"})},
		{"quick_reply.json", msg(channel.Inbound{ProviderMessageID: "m_QR1", Kind: channel.KindInteractive, Text: "Yes please", Payload: "CONFIRM_YES"})},
		{"image.json", msg(channel.Inbound{ProviderMessageID: "m_IMG1", Kind: channel.KindImage, Media: []channel.Media{{URL: "https://cdn.example.test/img/1.jpg"}}})},
		{"sticker.json", msg(channel.Inbound{ProviderMessageID: "m_STK1", Kind: channel.KindSticker, Media: []channel.Media{{URL: "https://cdn.example.test/sticker.png"}}})},
		{"video.json", msg(channel.Inbound{ProviderMessageID: "m_VID1", Kind: channel.KindVideo, Media: []channel.Media{{URL: "https://cdn.example.test/v.mp4"}}})},
		{"audio.json", msg(channel.Inbound{ProviderMessageID: "m_AUD1", Kind: channel.KindAudio, Media: []channel.Media{{URL: "https://cdn.example.test/a.mp4"}}})},
		{"file.json", msg(channel.Inbound{ProviderMessageID: "m_FILE1", Kind: channel.KindDocument, Media: []channel.Media{{URL: "https://cdn.example.test/invoice.pdf"}}})},
		{"multi_attachment.json", msg(channel.Inbound{ProviderMessageID: "m_MULTI_ATT", Kind: channel.KindImage,
			Media: []channel.Media{{URL: "https://cdn.example.test/a.jpg"}, {URL: "https://cdn.example.test/b.jpg"}}})},
		{"location.json", msg(channel.Inbound{ProviderMessageID: "m_LOC1", Kind: channel.KindLocation, Text: "Osu Castle",
			Location: &channel.Location{Latitude: 5.5467, Longitude: -0.1836, Name: "Osu Castle"}})},
		{"fallback.json", msg(channel.Inbound{ProviderMessageID: "m_FB1", Kind: channel.KindText, Text: "look at this\nParley pricing https://parley.example/pricing"})},
		{"reel.json", msg(channel.Inbound{ProviderMessageID: "m_REEL1", Kind: channel.KindUnsupported,
			Text: `The customer shared a Messenger "ig_reel" attachment that Parley cannot show. Link: https://cdn.example.test/reel`})},
		{"empty_message.json", msg(channel.Inbound{ProviderMessageID: "m_EMPTY1", Kind: channel.KindUnsupported,
			Text: "The customer sent a Messenger message Parley cannot show. Open the page inbox to see it."})},
		{"echo.json", msg(channel.Inbound{ProviderMessageID: "m_OUT5", From: channel.Sender{ID: page}, To: psid, Kind: channel.KindText,
			Text: "We ship everywhere in Ghana.", Echo: true})},
		{"postback.json", msg(channel.Inbound{ProviderMessageID: "m_PB1", Kind: channel.KindInteractive, Text: "Talk to a person"})},
		{"postback_nomid.json", msg(channel.Inbound{ProviderMessageID: "postback:" + psid + ":1763900000123", Kind: channel.KindInteractive, Text: "Get started"})},
		{"delivery.json", channel.Batch{Receipts: []channel.Receipt{
			{ProviderMessageID: "m_OUT5", State: parley.DeliveryDelivered, Timestamp: ms(1763900000123), Watermark: ms(1763900000400), Recipient: psid},
			{ProviderMessageID: "m_OUT6", State: parley.DeliveryDelivered, Timestamp: ms(1763900000123), Watermark: ms(1763900000400), Recipient: psid},
		}}},
		{"delivery_watermark.json", channel.Batch{Receipts: []channel.Receipt{
			{State: parley.DeliveryDelivered, Watermark: ms(1763900000400), Recipient: psid},
		}}},
		{"read.json", channel.Batch{Receipts: []channel.Receipt{
			{State: parley.DeliveryRead, Timestamp: ms(1763900000123), Watermark: ms(1763900000450), Recipient: psid},
		}}},
		{"unknown_event.json", channel.Batch{}},
		{"bad_event.json", channel.Batch{Messages: []channel.Inbound{
			{ProviderMessageID: "m_BAD1", From: customer, To: page, Timestamp: ms(1763900000123), Kind: channel.KindUnsupported,
				Text: "The customer sent a Messenger message Parley could not read. Open the page inbox to see it."},
			{ProviderMessageID: "m_OK1", From: customer, To: page, Timestamp: ms(1763900000123), Kind: channel.KindText, Text: "still here"},
		}}},
		{"multi_entry.json", channel.Batch{
			Messages: []channel.Inbound{
				{ProviderMessageID: "m_M1", From: customer, To: page, Kind: channel.KindText, Text: "one", Timestamp: ms(1763900000001)},
				{ProviderMessageID: "m_M2", From: channel.Sender{ID: "7000000000000002"}, To: page, Kind: channel.KindImage,
					Media: []channel.Media{{URL: "https://cdn.example.test/m2.jpg"}}, Timestamp: ms(1763900000002)},
				{ProviderMessageID: "m_M3", From: channel.Sender{ID: "7000000000000003"}, To: "104920375559999", Kind: channel.KindInteractive, Text: "Menu", Timestamp: ms(1763900000004)},
				{ProviderMessageID: "m_M4", From: channel.Sender{ID: "104920375559999"}, To: "7000000000000003", Kind: channel.KindText, Text: "Here is the menu",
					Echo: true, Timestamp: ms(1763900000005)},
			},
			Receipts: []channel.Receipt{
				{State: parley.DeliveryRead, Timestamp: ms(1763900000003), Watermark: ms(1763900000000), Recipient: psid},
				{ProviderMessageID: "m_M4", State: parley.DeliveryDelivered, Timestamp: ms(1763900000006), Watermark: ms(1763900000005), Recipient: "7000000000000003"},
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
	for _, raw := range []string{``, `null`, `[]`, `{}`, `{"object":"whatsapp_business_account","entry":[]}`, `{"object":"page","entry":[{"messaging":{}}]}`} {
		if _, err := Parse([]byte(raw)); !errors.Is(err, ErrBadPayload) {
			t.Errorf("%q: err = %v, want ErrBadPayload", raw, err)
		}
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
			if r.State == "" || (r.ProviderMessageID == "" && r.Watermark.IsZero()) {
				t.Fatalf("receipt without state or reference: %+v", r)
			}
		}
	})
}
