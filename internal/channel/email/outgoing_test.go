package email

import (
	"bytes"
	"context"
	"errors"
	"net/mail"
	"strings"
	"testing"
	"time"

	pmail "github.com/parleyhq/parley/internal/mail"
	"github.com/parleyhq/parley/internal/mail/mailtest"
)

func TestOutgoingBytes(t *testing.T) {
	o := Outgoing{
		From: "Acme Support <support@acme.test>", To: "Zoë Müller <zoe@example.com>",
		ReplyTo: "support+c42.abc@acme.test", Subject: "Prix en €", Text: "Bonjour Zoë,\n\n<b>pas</b> de souci.\n" + strings.Repeat("long ", 40),
		MessageID: "out-1@acme.test", InReplyTo: "<in-1@example.com>", References: []string{"root@acme.test", "in-1@example.com"},
		Headers: map[string]string{"X-Parley-Conversation": "42"},
		Date:    time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC),
	}
	raw, err := o.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) {
		t.Error("bare LF in output")
	}
	for _, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line over 998 octets: %.60q…", line)
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"Message-Id": "<out-1@acme.test>", "In-Reply-To": "<in-1@example.com>",
		"References": "<root@acme.test> <in-1@example.com>", "Reply-To": "<support+c42.abc@acme.test>",
		"X-Parley-Conversation": "42", "Mime-Version": "1.0",
	} {
		if got := msg.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if !strings.HasPrefix(msg.Header.Get("Content-Type"), "multipart/alternative;") {
		t.Errorf("content-type = %q", msg.Header.Get("Content-Type"))
	}
	m, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Re: Prix en €" || m.To[0].Name != "Zoë Müller" || !m.Date.Equal(o.Date) {
		t.Errorf("subject %q to %+v date %v", m.Subject, m.To, m.Date)
	}
	if !strings.Contains(m.FullText, "<b>pas</b> de souci.") || !strings.Contains(m.HTML, "&lt;b&gt;pas&lt;/b&gt; de souci.") {
		t.Errorf("text %q / html %q", m.FullText, m.HTML)
	}
}

func TestOutgoingSubjectAndReferences(t *testing.T) {
	for _, tc := range []struct {
		subject, inReplyTo, want string
		refs                     []string
		wantRefs                 string
	}{
		{"Hello", "", "Hello", nil, ""},
		{"Hello", "a@x", "Re: Hello", nil, "<a@x>"},
		{"Re: Hello", "a@x", "Re: Hello", []string{"r@x"}, "<r@x> <a@x>"},
		{"RE: Hello", "a@x", "RE: Hello", []string{"r@x", "a@x"}, "<r@x> <a@x>"},
		{"AW: Hallo", "a@x", "AW: Hallo", nil, "<a@x>"},
		{"Re[2]: Hello", "a@x", "Re[2]: Hello", nil, "<a@x>"},
		{"Regarding your order", "a@x", "Re: Regarding your order", nil, "<a@x>"},
	} {
		raw, err := Outgoing{From: "s@acme.test", To: "c@example.com", Subject: tc.subject, InReplyTo: tc.inReplyTo, References: tc.refs}.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := mail.ReadMessage(bytes.NewReader(raw))
		if got, _ := new(mime2047).decode(msg.Header.Get("Subject")); got != tc.want {
			t.Errorf("subject %q → %q, want %q", tc.subject, got, tc.want)
		}
		if got := msg.Header.Get("References"); got != tc.wantRefs {
			t.Errorf("references = %q, want %q", got, tc.wantRefs)
		}
		if !strings.HasSuffix(msg.Header.Get("Message-Id"), "@acme.test>") {
			t.Errorf("generated Message-ID = %q", msg.Header.Get("Message-Id"))
		}
	}
	// Long threads keep the root and the most recent references.
	var refs []string
	for i := range 50 {
		refs = append(refs, "m"+string(rune('a'+i%26))+strings.Repeat("x", i)+"@x")
	}
	got := references(refs, "last@x")
	if len(got) != 20 || got[0] != refs[0] || got[19] != "last@x" || got[18] != refs[49] {
		t.Errorf("trimmed references = %q", got)
	}
}

type mime2047 struct{}

func (mime2047) decode(s string) (string, error) {
	m, err := Parse([]byte("Subject: " + s + "\r\n\r\n"))
	if err != nil {
		return "", err
	}
	return m.Subject, nil
}

func TestOutgoingRefusesInjection(t *testing.T) {
	base := Outgoing{From: "s@acme.test", To: "c@example.com", Subject: "x"}
	for name, o := range map[string]Outgoing{
		"subject":      func() Outgoing { o := base; o.Subject = "x\r\nBcc: victim@example.com"; return o }(),
		"message id":   func() Outgoing { o := base; o.MessageID = "a@b>\r\nBcc: v@x"; return o }(),
		"in-reply-to":  func() Outgoing { o := base; o.InReplyTo = "a@b\nX: y"; return o }(),
		"header value": func() Outgoing { o := base; o.Headers = map[string]string{"X-A": "1\r\nBcc: v@x"}; return o }(),
		"header name":  func() Outgoing { o := base; o.Headers = map[string]string{"X A:": "1"}; return o }(),
		"reserved":     func() Outgoing { o := base; o.Headers = map[string]string{"bcc": "v@x"}; return o }(),
		"from":         func() Outgoing { o := base; o.From = "not an address"; return o }(),
		"to":           func() Outgoing { o := base; o.To = ""; return o }(),
		"reply-to":     func() Outgoing { o := base; o.ReplyTo = "bad <"; return o }(),
		"content id": func() Outgoing {
			o := base
			o.Attachments = []Attachment{{Filename: "a", ContentID: "a>\r\nX: y"}}
			return o
		}(),
	} {
		if _, err := o.Bytes(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestSendRoundTrip sends a reply with attachments through a real SMTP
// server on loopback, parses what it received, and checks that the
// customer's answer to it finds its conversation again.
func TestSendRoundTrip(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	cfg := pmail.Config{Host: "127.0.0.1", Port: srv.Port, Security: "none", Timeout: 5 * time.Second, Dial: srv.Dial}
	key := []byte("test key")
	inbox := "Acme Support <support@acme.test>"
	png := []byte("\x89PNG\r\n\x1a\nfake image bytes \x00\xff")
	out := Outgoing{
		From: inbox, To: "Ann Example <ann@example.com>", ReplyTo: ReplyAddress(inbox, 42, key),
		Subject: "Where is my order?", Text: "Hi Ann,\n\nit ships today. The invoice is attached.\n\nBen",
		MessageID: NewMessageID(inbox), InReplyTo: "CAJx9bK=abc@mail.gmail.test", References: []string{"first@acme.test"},
		Attachments: []Attachment{
			{Filename: "facture é.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4 data")},
			{Filename: "logo.png", ContentType: "image/png", ContentID: "logo@acme.test", Inline: true, Data: png},
		},
		Headers: map[string]string{"X-Parley-Conversation": "42"},
	}
	if err := Send(context.Background(), cfg, out); err != nil {
		t.Fatal(err)
	}
	got := srv.Wait(t, 1)[0]
	if got.From != "support@acme.test" || len(got.To) != 1 || got.To[0] != "ann@example.com" {
		t.Fatalf("envelope = %q → %q", got.From, got.To)
	}
	m, err := Parse([]byte(got.Data))
	if err != nil {
		t.Fatal(err)
	}
	if m.MessageID != out.MessageID || m.InReplyTo != out.InReplyTo ||
		strings.Join(m.References, " ") != "first@acme.test CAJx9bK=abc@mail.gmail.test" || m.Subject != "Re: Where is my order?" {
		t.Errorf("threading: id %q irt %q refs %q subject %q", m.MessageID, m.InReplyTo, m.References, m.Subject)
	}
	if m.Text != "Hi Ann,\n\nit ships today. The invoice is attached.\n\nBen" {
		t.Errorf("text = %q", m.Text)
	}
	if len(m.Attachments) != 2 || m.Attachments[0].Filename != "facture é.pdf" || string(m.Attachments[0].Data) != "%PDF-1.4 data" ||
		m.Attachments[1].ContentID != "logo@acme.test" || !m.Attachments[1].Inline || !bytes.Equal(m.Attachments[1].Data, png) {
		t.Errorf("attachments = %+v", m.Attachments)
	}
	hdr, _ := mail.ReadMessage(strings.NewReader(got.Data))
	replyTo := hdr.Header.Get("Reply-To")
	if !strings.Contains(replyTo, "support+c42.") {
		t.Fatalf("reply-to = %q", replyTo)
	}

	// The customer answers to the Reply-To address.
	rt, _ := mail.ParseAddress(replyTo)
	answer, err := Outgoing{From: "ann@example.com", To: rt.Address, Subject: m.Subject, Text: "Great, thanks!",
		InReplyTo: m.MessageID, References: m.References}.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	am, err := Parse(answer)
	if err != nil {
		t.Fatal(err)
	}
	if id := ConversationFromAddress(am, inbox, key); id != 42 {
		t.Errorf("conversation from the answer = %d", id)
	}
	if am.Subject != "Re: Where is my order?" {
		t.Errorf("answer subject = %q", am.Subject)
	}
}

func TestSendErrors(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{RejectRcpt: "nobody@example.com"})
	cfg := pmail.Config{Host: "127.0.0.1", Port: srv.Port, Security: "none", Timeout: 5 * time.Second, Dial: srv.Dial}
	var perm *pmail.PermanentError
	err := Send(context.Background(), cfg, Outgoing{From: "s@acme.test", To: "nobody@example.com", Subject: "x", Text: "y"})
	if !errors.As(err, &perm) {
		t.Errorf("rejected recipient: err = %v, want permanent", err)
	}
	err = Send(context.Background(), cfg, Outgoing{From: "bad", To: "c@example.com"})
	if !errors.As(err, &perm) {
		t.Errorf("unbuildable message: err = %v, want permanent", err)
	}
}
