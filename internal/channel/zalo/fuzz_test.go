package zalo

import (
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/channel"
)

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"event_name":"user_send_location","message":{"attachments":[{"payload":{"coordinates":{"latitude":1e400,"longitude":"NaN"}}}]},"timestamp":"9999999999999999999"}`))
	f.Add([]byte(`{"event_name":"user_seen_message","message":{"msg_ids":[1,null,{},"a"]}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, err := Parse(raw)
		if err != nil {
			if len(b.Messages)+len(b.Receipts) != 0 {
				t.Fatal("error with a non-empty batch")
			}
			return
		}
		for _, m := range b.Messages {
			if m.ProviderMessageID == "" || m.Kind == "" {
				t.Fatalf("message without id or kind: %+v", m)
			}
			if m.Kind == channel.KindLocation && m.Location == nil {
				t.Fatalf("location without coordinates: %+v", m)
			}
			if m.Kind == channel.KindUnsupported && m.Text == "" {
				t.Fatalf("unsupported message with no description: %+v", m)
			}
			if utf8.ValidString(string(raw)) && !utf8.ValidString(m.Text) {
				t.Fatalf("invalid UTF-8 text from valid input: %q", m.Text)
			}
		}
		for _, r := range b.Receipts {
			if r.ProviderMessageID == "" {
				t.Fatalf("receipt without id: %+v", r)
			}
		}
	})
}
