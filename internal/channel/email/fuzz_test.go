package email

import (
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that no input makes Parse (and the quote stripping
// and HTML handling it runs) panic or hang. Seeds are the testdata mail.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.eml"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("From: a@b\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n--x\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n--x--\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(raw)
		if err != nil {
			return
		}
		if m.MessageID == "" {
			t.Error("parsed message without a MessageID")
		}
		// Everything parsed must be storable text.
		fields := []string{m.MessageID, m.InReplyTo, m.Subject, m.Text, m.FullText, m.HTML}
		fields = append(fields, m.References...)
		fields = append(fields, m.DeliveredTo...)
		for _, list := range [][]*mail.Address{m.To, m.Cc, {m.From}} {
			for _, a := range list {
				if a != nil {
					fields = append(fields, a.Name, a.Address)
				}
			}
		}
		for _, a := range m.Attachments {
			fields = append(fields, a.Filename, a.ContentType, a.ContentID)
		}
		if b := m.Bounce; b != nil {
			fields = append(fields, b.OriginalMessageID, b.Recipient, b.Action, b.Status, b.Diagnostic)
		}
		for _, s := range fields {
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
				t.Errorf("field %q is not clean UTF-8", s)
			}
		}
		StripQuoted(m.FullText)
		StripQuotedHTML(m.HTML)
	})
}
