package zalo

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/parley"
)

const (
	tUser = "6142494823000000001"
	tOA   = "3662729599332560487"
)

func ms(n int64) time.Time { return time.UnixMilli(n).UTC() }

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseFixtures(t *testing.T) {
	user := channel.Sender{ID: tUser}
	in := func(id, kind, text string, ts int64) channel.Inbound {
		return channel.Inbound{ProviderMessageID: id, From: user, To: tOA, Kind: kind, Text: text, Timestamp: ms(ts)}
	}
	tests := []struct {
		file string
		want channel.Batch
	}{
		{"user_send_text.json", channel.Batch{Messages: []channel.Inbound{
			in("cb31dff1c39642cc1b83", channel.KindText, "Chào shop, còn hàng không?", 1699003881354),
		}}},
		{"user_send_image.json", channel.Batch{Messages: []channel.Inbound{func() channel.Inbound {
			m := in("img0000000000000000a1", channel.KindImage, "ảnh sản phẩm bị lỗi", 1699003900000)
			m.Media = []channel.Media{{URL: "https://zalo.example/full/1.jpg", Caption: "ảnh sản phẩm bị lỗi"}}
			return m
		}()}}},
		{"user_send_gif.json", channel.Batch{Messages: []channel.Inbound{func() channel.Inbound {
			m := in("gif0000000000000000a1", channel.KindImage, "", 1699003900001)
			m.Media = []channel.Media{{URL: "https://zalo.example/full/2.gif", MIMEType: "image/gif"}}
			return m
		}()}}},
		{"user_send_file.json", channel.Batch{Messages: []channel.Inbound{func() channel.Inbound {
			m := in("file000000000000000a1", channel.KindDocument, "", 1699003900002)
			m.Media = []channel.Media{{URL: "https://zalo.example/f/invoice.pdf", Filename: "hoa-don-0423.pdf", MIMEType: "application/pdf"}}
			return m
		}()}}},
		{"user_send_audio.json", channel.Batch{Messages: []channel.Inbound{func() channel.Inbound {
			m := in("aud000000000000000a1", channel.KindAudio, "", 1699003900003)
			m.Media = []channel.Media{{URL: "https://zalo.example/a/voice.aac"}}
			return m
		}()}}},
		{"user_send_video.json", channel.Batch{Messages: []channel.Inbound{func() channel.Inbound {
			m := in("vid000000000000000a1", channel.KindVideo, "", 1699003900004)
			m.Media = []channel.Media{{URL: "https://zalo.example/v/clip.mp4"}}
			return m
		}()}}},
		{"user_send_sticker.json", channel.Batch{Messages: []channel.Inbound{func() channel.Inbound {
			m := in("stk000000000000000a1", channel.KindSticker, "", 1699003900005)
			m.Media = []channel.Media{{ProviderID: "bfe458bf64fa8da4d4eb", URL: "https://zalo.example/sticker/bfe4.png"}}
			return m
		}()}}},
		{"user_send_location.json", channel.Batch{Messages: []channel.Inbound{func() channel.Inbound {
			m := in("loc000000000000000a1", channel.KindLocation, "", 1699003900006)
			m.Location = &channel.Location{Latitude: 10.7769, Longitude: 106.7009}
			return m
		}()}}},
		{"user_send_location_bad.json", channel.Batch{Messages: []channel.Inbound{
			in("loc000000000000000a2", channel.KindUnsupported, "The customer shared a location on Zalo, but it came without readable coordinates.", 1699003900007),
		}}},
		{"user_send_link.json", channel.Batch{Messages: []channel.Inbound{
			in("lnk000000000000000a1", channel.KindText, "xem giúp mình cái này\nhttps://shop.example/p/42", 1699003900008),
		}}},
		{"user_send_business_card.json", channel.Batch{Messages: []channel.Inbound{
			in("bc0000000000000000a1", channel.KindUnsupported, "The customer sent a Zalo business card, which Parley cannot show yet.", 1699003900009),
		}}},
		{"user_send_new_kind.json", channel.Batch{Messages: []channel.Inbound{
			in("new000000000000000a1", channel.KindUnsupported, "?\nThe customer sent a Zalo message of a type Parley cannot show yet (\"hologram\").", 1699003900010),
		}}},
		{"user_received_message.json", channel.Batch{Receipts: []channel.Receipt{
			{ProviderMessageID: "fakemsg0000000000001", State: parley.DeliveryDelivered, Timestamp: ms(1699003910000), Recipient: tUser},
		}}},
		{"user_seen_message.json", channel.Batch{Receipts: []channel.Receipt{
			{ProviderMessageID: "fakemsg0000000000001", State: parley.DeliveryRead, Timestamp: ms(1699003920000), Recipient: tUser},
			{ProviderMessageID: "fakemsg0000000000002", State: parley.DeliveryRead, Timestamp: ms(1699003920000), Recipient: tUser},
		}}},
		{"user_seen_message_inverted.json", channel.Batch{Receipts: []channel.Receipt{
			{ProviderMessageID: "fakemsg0000000000003", State: parley.DeliveryRead, Timestamp: ms(1699003930000), Recipient: tUser},
		}}},
		{"oa_send_text.json", channel.Batch{Messages: []channel.Inbound{
			{ProviderMessageID: "fakemsg0000000000001", From: channel.Sender{ID: tOA}, To: tUser, Kind: channel.KindText, Text: "Dạ còn hàng ạ", Timestamp: ms(1699003905000), Echo: true},
		}}},
		{"oa_send_image.json", channel.Batch{Messages: []channel.Inbound{
			{ProviderMessageID: "fakemsg0000000000002", From: channel.Sender{ID: tOA}, To: tUser, Kind: channel.KindImage, Timestamp: ms(1699003906000), Echo: true,
				Media: []channel.Media{{URL: "https://zalo.example/full/oa.jpg"}}},
		}}},
		{"follow.json", channel.Batch{}},
		{"unfollow.json", channel.Batch{}},
		{"add_user_to_tag.json", channel.Batch{}},
		{"numeric_ids.json", channel.Batch{Messages: []channel.Inbound{
			in("num00000000000000a1", channel.KindText, "số", 1699003881354),
		}}},
		{"odd_types.json", channel.Batch{Messages: []channel.Inbound{
			{ProviderMessageID: "odd0000000000000a1", From: user, Kind: channel.KindImage,
				Media: []channel.Media{{URL: "https://zalo.example/ok.jpg"}}},
		}}},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		seen[tc.file] = true
		t.Run(strings.TrimSuffix(tc.file, ".json"), func(t *testing.T) {
			got, err := Parse(readFixture(t, tc.file))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Parse(%s)\n got %+v\nwant %+v", tc.file, got, tc.want)
			}
		})
	}
	// Every fixture is covered by a case (user_click_button has its own test).
	seen["user_click_button.json"] = true
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("fixture %s has no test case", f)
		}
	}
}

func TestParseUnknownUserEvent(t *testing.T) {
	raw := readFixture(t, "user_click_button.json")
	got, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	wantID := "zalo-event-" + hex.EncodeToString(sum[:16])
	if len(got.Messages) != 1 || len(got.Receipts) != 0 {
		t.Fatalf("got %+v", got)
	}
	m := got.Messages[0]
	// The msg_id in a click event names the OA's message that was
	// clicked; it must not become this event's idempotency key.
	if m.ProviderMessageID != wantID {
		t.Errorf("id %q, want %q", m.ProviderMessageID, wantID)
	}
	if m.Kind != channel.KindUnsupported || m.From.ID != tUser || m.Echo || !strings.Contains(m.Text, "user_click_button") {
		t.Errorf("got %+v", m)
	}
	// Zalo's retry of the same call gets the same key.
	again, _ := Parse(raw)
	if again.Messages[0].ProviderMessageID != wantID {
		t.Error("synthetic id not stable")
	}
}

func TestParseMissingMsgIDGetsStableKey(t *testing.T) {
	raw := []byte(`{"event_name":"user_send_text","sender":{"id":"1"},"message":{"text":"hi"},"timestamp":"1"}`)
	a, err := Parse(raw)
	if err != nil || len(a.Messages) != 1 {
		t.Fatalf("%v %+v", err, a)
	}
	if !strings.HasPrefix(a.Messages[0].ProviderMessageID, "zalo-event-") {
		t.Errorf("id %q", a.Messages[0].ProviderMessageID)
	}
	other, _ := Parse([]byte(`{"event_name":"user_send_text","sender":{"id":"1"},"message":{"text":"hi"},"timestamp":"2"}`))
	if other.Messages[0].ProviderMessageID == a.Messages[0].ProviderMessageID {
		t.Error("different events share a synthetic id")
	}
}

func TestParseErrors(t *testing.T) {
	for _, raw := range []string{``, `   `, `{`, `{"event_name":"user_send_text",}`, `null`, `[]`, `"x"`, `42`, `{"a":1} trailing`} {
		if _, err := Parse([]byte(raw)); err == nil {
			t.Errorf("Parse(%q): no error", raw)
		}
	}
	for _, raw := range []string{`{}`, `{"event_name":""}`, `{"event_name":42}`, `{"event_name":"user_seen_message"}`, `{"event_name":"oa_send_text","message":null}`} {
		if _, err := Parse([]byte(raw)); err != nil {
			t.Errorf("Parse(%q): %v", raw, err)
		}
	}
}
