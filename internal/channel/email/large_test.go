package email

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// bigMail builds a multipart/mixed message: a multipart/alternative
// body (text and HTML) and one base64 file per entry of files (name →
// decoded size).
func bigMail(subject string, files ...fileSpec) string {
	var b strings.Builder
	b.WriteString("From: Customer <c@example.com>\r\nTo: support@acme.test\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + strings.ReplaceAll(subject, " ", "-") + "@example.com>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n--outer\r\n" +
		"Content-Type: multipart/alternative; boundary=\"inner\"\r\n\r\n--inner\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\nThe files are attached. Can you check the invoice?\r\n--inner\r\n" +
		"Content-Type: text/html; charset=utf-8\r\n\r\n<p>The files are attached. Can you check the <b>invoice</b>?</p>\r\n--inner--\r\n")
	for _, f := range files {
		fmt.Fprintf(&b, "--outer\r\nContent-Type: %s; name=%q\r\nContent-Disposition: attachment; filename=%q\r\n"+
			"Content-Transfer-Encoding: base64\r\n\r\n", f.mediaType, f.name, f.name)
		enc := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{f.fill}, f.size))
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\r\n")
	}
	b.WriteString("--outer--\r\n")
	return b.String()
}

type fileSpec struct {
	name, mediaType string
	size            int
	fill            byte
}

func (s *testIMAP) deliverRaw(t *testing.T, raw string) {
	t.Helper()
	if _, err := s.user.Append("INBOX", literal{bytes.NewReader([]byte(raw))}, &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestPollerTrimsLargeMail: a message over the size limit arrives with its
// text, its HTML and every file that fits, and the poller says what it
// left out and why, instead of skipping the whole message.
func TestPollerTrimsLargeMail(t *testing.T) {
	srv := startIMAP(t)
	type got struct {
		msg     *Message
		omitted []Omission
	}
	var handled []got
	cursor := Cursor{}
	p := &Poller{
		Config: IMAPConfig{Host: "127.0.0.1", Port: srv.port, Username: "ann", Password: "secret", Security: "none", Dial: loopbackDial},
		Load:   func(context.Context) (Cursor, error) { return cursor, nil },
		Save:   func(_ context.Context, c Cursor) error { cursor = c; return nil },
		Handle: func(_ context.Context, _ uint32, raw []byte, omitted []Omission) error {
			if int64(len(raw)) > 300<<10 {
				t.Errorf("handed %d bytes, over the limit", len(raw))
			}
			m, err := Parse(raw)
			if err != nil {
				t.Fatalf("the trimmed message does not parse: %v", err)
			}
			handled = append(handled, got{m, omitted})
			return nil
		},
		MaxPartSize: 150 << 10,
		Logger:      slog.New(slog.DiscardHandler),
		maxMessage:  300 << 10,
	}
	mustPoll(t, p, 0)
	srv.deliverRaw(t, bigMail("mixed sizes",
		fileSpec{"small.png", "image/png", 10 << 10, 'a'},
		fileSpec{"huge.zip", "application/zip", 200 << 10, 'b'},    // over the file limit
		fileSpec{"invoice.pdf", "application/pdf", 120 << 10, 'c'}, // fits
		fileSpec{"second.pdf", "application/pdf", 120 << 10, 'd'},  // fits the file limit, not what is left
		fileSpec{"tiny.txt", "text/plain", 100, 'e'},               // later but small: still fits
	))
	srv.deliverRaw(t, "From: c@example.com\r\nSubject: one part\r\nMessage-ID: <one@example.com>\r\n"+
		"Content-Type: application/octet-stream; name=\"dump.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"+
		base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("x"), 400<<10))+"\r\n")
	srv.deliver(t, "small after")
	mustPoll(t, p, 3)

	m := handled[0]
	if !strings.Contains(m.msg.Text, "Can you check the invoice?") || !strings.Contains(m.msg.HTML, "<b>invoice</b>") {
		t.Errorf("text %q, html %q: the body was lost", m.msg.Text, m.msg.HTML)
	}
	var names []string
	for _, a := range m.msg.Attachments {
		names = append(names, fmt.Sprintf("%s:%d", a.Filename, len(a.Data)))
		if want := map[string]byte{"small.png": 'a', "invoice.pdf": 'c', "tiny.txt": 'e'}[a.Filename]; len(a.Data) == 0 || a.Data[0] != want {
			t.Errorf("%s has the wrong content", a.Filename)
		}
	}
	if strings.Join(names, " ") != "small.png:10240 invoice.pdf:122880 tiny.txt:100" {
		t.Errorf("kept %v", names)
	}
	var left []string
	for _, o := range m.omitted {
		left = append(left, fmt.Sprintf("%s %s %s ~%dK", o.Filename, o.ContentType, o.Reason, o.Size>>10))
	}
	if want := "huge.zip application/zip file_too_large ~199K|second.pdf application/pdf message_too_large ~119K"; strings.Join(left, "|") != want {
		t.Errorf("omitted %q, want %q", strings.Join(left, "|"), want)
	}

	one := handled[1]
	if one.msg.Subject != "one part" || len(one.msg.Attachments) != 0 || len(one.omitted) != 1 ||
		one.omitted[0].Filename != "dump.bin" || one.omitted[0].Reason != OmitFileTooLarge {
		t.Errorf("one-part message: subject %q, %d files, omitted %+v", one.msg.Subject, len(one.msg.Attachments), one.omitted)
	}
	if handled[2].msg.Subject != "small after" || handled[2].omitted != nil {
		t.Errorf("the next message: %q %+v", handled[2].msg.Subject, handled[2].omitted)
	}
}

func TestBoundaryOf(t *testing.T) {
	for in, want := range map[string]string{
		"From: a@b\r\nContent-Type: multipart/mixed;\r\n boundary=\"x y\"\r\n\r\n": "x y",
		"Content-Type: multipart/alternative; boundary=abc\r\n\r\n":                "abc",
		"Content-Type: text/plain\r\n\r\n":                                         "",
		"garbage":                                                                  "",
	} {
		if got := boundaryOf([]byte(in)); got != want {
			t.Errorf("boundaryOf(%q) = %q, want %q", in, got, want)
		}
	}
}
