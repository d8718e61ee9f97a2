package email

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// mustParse parses testdata/name.
func mustParse(tb testing.TB, name string) *Message {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	m, err := Parse(raw)
	if err != nil {
		tb.Fatalf("Parse(%s): %v", name, err)
	}
	return m
}

func TestParseGmailReply(t *testing.T) {
	m := mustParse(t, "gmail_reply.eml")
	if m.MessageID != "CAJx9bK=abc+def@mail.gmail.test" || m.InReplyTo != "a1b2c3@acme.test" {
		t.Errorf("ids = %q, %q", m.MessageID, m.InReplyTo)
	}
	if strings.Join(m.References, " ") != "first.1@acme.test a1b2c3@acme.test" {
		t.Errorf("references = %q", m.References)
	}
	if m.From == nil || m.From.Name != "Ann Example" || m.From.Address != "ann.example@gmail.test" {
		t.Errorf("from = %+v", m.From)
	}
	if len(m.To) != 1 || m.To[0].Address != "support+c42.TAG@acme.test" {
		t.Errorf("to = %+v", m.To)
	}
	if len(m.DeliveredTo) != 1 || m.DeliveredTo[0] != "support+c42.TAG@acme.test" {
		t.Errorf("delivered-to = %q", m.DeliveredTo)
	}
	if want := time.Date(2025, 3, 4, 9, 20, 5, 0, time.UTC); !m.Date.Equal(want) || m.Date.Location() != time.UTC {
		t.Errorf("date = %v", m.Date)
	}
	if m.Subject != "Re: Where is my order?" {
		t.Errorf("subject = %q", m.Subject)
	}
	want := "Hi Ben,\n\nYes, the order number is 10442. Thanks for checking!\n\nAnn"
	if m.Text != want {
		t.Errorf("text = %q, want %q", m.Text, want)
	}
	if !strings.Contains(m.FullText, "Could you send me your order number?") {
		t.Errorf("full text lost the quote: %q", m.FullText)
	}
	if !strings.Contains(m.HTML, "Thanks for checking!") || !strings.Contains(m.HTML, "<blockquote") {
		t.Errorf("html = %q", m.HTML)
	}
	if m.AutoReply || m.Bounce != nil || len(m.Attachments) != 0 {
		t.Errorf("autoreply %v, bounce %v, %d attachments", m.AutoReply, m.Bounce, len(m.Attachments))
	}
}

func TestParseOutlookHTMLOnly(t *testing.T) {
	m := mustParse(t, "outlook_reply.eml")
	if m.Subject != "AW: Passwort zurücksetzen" {
		t.Errorf("subject = %q", m.Subject)
	}
	if want := "Hallo,\n\nleider funktioniert der Link nicht.\nViele Grüße\nKlaus"; m.Text != want {
		t.Errorf("text = %q, want %q", m.Text, want)
	}
	if !strings.Contains(m.FullText, "bitte klicken Sie auf den Link") || !strings.Contains(m.FullText, "März") {
		t.Errorf("full text = %q", m.FullText)
	}
	if strings.Contains(m.HTML, "<style") || strings.Contains(m.HTML, "margin:0") {
		t.Errorf("style kept: %q", m.HTML)
	}
}

func TestParseAppleMailInlineImage(t *testing.T) {
	m := mustParse(t, "apple_mail.eml")
	want := "Here is a photo of the screen. It stays black after the logo and the fan keeps running."
	if m.Text != want {
		t.Errorf("text = %q, want %q", m.Text, want)
	}
	if len(m.Attachments) != 1 {
		t.Fatalf("attachments = %+v", m.Attachments)
	}
	a := m.Attachments[0]
	if a.Filename != "photo.png" || a.ContentType != "image/png" || a.ContentID != "8C1B2A3D-photo@example.org" || !a.Inline {
		t.Errorf("attachment = %+v", a)
	}
	if !bytes.HasPrefix(a.Data, []byte("\x89PNG")) {
		t.Errorf("image data = %q", a.Data)
	}
	if !strings.Contains(m.HTML, `src="cid:8C1B2A3D-photo@example.org"`) {
		t.Errorf("cid image dropped from html: %q", m.HTML)
	}
	if m.MessageID != "6F0E8C2A-1B2C-4D5E-8F90-A1B2C3D4E5F6@example.org" {
		t.Errorf("message id = %q", m.MessageID)
	}
}

func TestParseThunderbirdLatin1(t *testing.T) {
	m := mustParse(t, "thunderbird_latin1.eml")
	if m.Subject != "Re: Problème de facturation" || m.From.Name != "Élodie François" {
		t.Errorf("subject %q, from %q", m.Subject, m.From.Name)
	}
	want := "Bonjour,\n\nla facture est toujours erronée : le montant dû n'est pas le bon, il devrait être de 120 €."
	if m.Text != want {
		t.Errorf("text = %q, want %q", m.Text, want)
	}
}

func TestParseCharsets(t *testing.T) {
	for _, tc := range []struct{ file, from, subject, body string }{
		{"iso2022jp.eml", "山田太郎", "注文について", "注文した商品がまだ届きません。\n確認してください。"},
		{"shift_jis.eml", "佐藤花子", "返品の件", "返品の手続きを教えてください。"},
		{"gb2312.eml", "王芳", "发票问题", "我的发票上的金额不对。"},
		{"koi8r.eml", "Иван Петров", "Вопрос о доставке", "Когда придёт мой заказ?"},
		{"windows1252.eml", "Zoë Müller", "Prix en €", "Le prix affiché est 49 € – pourquoi ?"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			m := mustParse(t, tc.file)
			if m.From == nil || m.From.Name != tc.from || m.From.Address != "customer@example.net" {
				t.Errorf("from = %+v", m.From)
			}
			if m.Subject != tc.subject {
				t.Errorf("subject = %q, want %q", m.Subject, tc.subject)
			}
			if m.Text != tc.body || m.FullText != tc.body {
				t.Errorf("text = %q, want %q", m.Text, tc.body)
			}
		})
	}
}

func TestParseEncodedWordHeaders(t *testing.T) {
	raw := "From: =?UTF-8?Q?Andr=C3=A9_Gon=C3=A7alves?= <andre@example.pt>\r\n" +
		"To: =?ISO-8859-2?Q?Pawe=B3?= <pawel@example.pl>, \"Smith, John\" <john@example.com>\r\n" +
		"Cc: undisclosed-recipients:;\r\n" +
		"Subject: =?UTF-8?B?0J/RgNC40LLQtdGC?= =?UTF-8?Q?_=E2=9C=93?=\r\n" +
		"Message-ID: <x@y>\r\n\r\nhi\r\n"
	m, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if m.From.Name != "André Gonçalves" || m.Subject != "Привет ✓" {
		t.Errorf("from %q subject %q", m.From.Name, m.Subject)
	}
	if len(m.To) != 2 || m.To[0].Name != "Paweł" || m.To[1].Name != "Smith, John" {
		t.Errorf("to = %+v", m.To)
	}
	if len(m.Cc) != 0 {
		t.Errorf("cc = %+v", m.Cc)
	}
}

func TestParseAttachments(t *testing.T) {
	m := mustParse(t, "attachments.eml")
	if len(m.Cc) != 2 || m.Cc[1].Name != "Doe, Jane" {
		t.Errorf("cc = %+v", m.Cc)
	}
	type att struct {
		name, ctype, cid string
		inline           bool
	}
	var got []att
	for _, a := range m.Attachments {
		got = append(got, att{a.Filename, a.ContentType, a.ContentID, a.Inline})
	}
	want := []att{
		{"shot.png", "image/png", "shot1@example.com", true},
		{"résumé facture.pdf", "application/pdf", "", false},
		{"passwd", "application/octet-stream", "", false},
		{"attachment.eml", "message/rfc822", "", false},
	}
	if len(got) != len(want) {
		t.Fatalf("attachments = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("attachment %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if !bytes.HasPrefix(m.Attachments[1].Data, []byte("%PDF-1.4")) || string(m.Attachments[2].Data) != "hello" {
		t.Errorf("data = %q / %q", m.Attachments[1].Data, m.Attachments[2].Data)
	}
	if !strings.Contains(string(m.Attachments[3].Data), "forwarded body") {
		t.Errorf("forwarded message = %q", m.Attachments[3].Data)
	}
	if m.Text != "See the screenshot:" {
		t.Errorf("text = %q", m.Text)
	}
}

func TestParseBounce(t *testing.T) {
	m := mustParse(t, "bounce.eml")
	want := Bounce{OriginalMessageID: "reply-55@acme.test", Recipient: "nobody@example.com", Action: "failed",
		Status: "5.1.1", Diagnostic: "smtp; 550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown", Permanent: true}
	if m.Bounce == nil || *m.Bounce != want {
		t.Fatalf("bounce = %+v, want %+v", m.Bounce, want)
	}
	if !m.AutoReply {
		t.Error("a bounce must count as an auto-reply")
	}
	if !strings.Contains(m.Text, "could not\nbe delivered") {
		t.Errorf("text = %q", m.Text)
	}

	// The same report carrying the whole message, delayed, not failed.
	raw := strings.NewReplacer(
		"Content-Type: text/rfc822-headers", "Content-Type: message/rfc822",
		"Action: failed", "Action: delayed",
		"Status: 5.1.1", "Status: 4.4.1",
		"Date: Tue, 4 Mar 2025 12:59:57 +0000\r\n--DSN", "Date: Tue, 4 Mar 2025 12:59:57 +0000\r\n\r\nHello\r\n--DSN",
	).Replace(readFile(t, "bounce.eml"))
	m, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if b := m.Bounce; b == nil || b.OriginalMessageID != "reply-55@acme.test" || b.Permanent || b.Action != "delayed" || b.Status != "4.4.1" {
		t.Fatalf("delayed bounce = %+v", m.Bounce)
	}
}

func readFile(tb testing.TB, name string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func TestParseAutoReply(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   bool
	}{
		{"Auto-Submitted: auto-replied", true},
		{"Auto-Submitted: auto-generated; owner-email=\"x@y\"", true},
		{"Auto-Submitted: no", false},
		{"Auto-Submitted: No ", false},
		{"X-Autoreply: yes", true},
		{"X-Autorespond: Out of office", true},
		{"Precedence: bulk", true},
		{"Precedence: junk", true},
		{"Precedence: list", true},
		{"Precedence: auto_reply", true},
		{"Precedence: first-class", false},
		{"X-Precedence: bulk", true},
		{"Subject: Automatic reply: Where is my order?", true},
		{"Subject: Out of Office: Where is my order?", true},
		{"Subject: Abwesenheitsnotiz: Ihre Anfrage", true},
		{"Subject: Réponse automatique : votre demande", true},
		{"Subject: Respuesta automática: pedido", true},
		{"Subject: Risposta automatica: ordine", true},
		{"Subject: Automatisch antwoord: bestelling", true},
		{"Subject: Re: my office chair is broken", false},
		{"From: MAILER-DAEMON@mx.example.com", true},
	} {
		raw := "Message-ID: <a@b>\r\n" + tc.header + "\r\n"
		if !strings.HasPrefix(tc.header, "From:") {
			raw += "From: ann@example.com\r\n"
		}
		if !strings.HasPrefix(tc.header, "Subject:") {
			raw += "Subject: Hello\r\n"
		}
		m, err := Parse([]byte(raw + "\r\nbody\r\n"))
		if err != nil {
			t.Fatalf("%s: %v", tc.header, err)
		}
		if m.AutoReply != tc.want {
			t.Errorf("%s: AutoReply = %v, want %v", tc.header, m.AutoReply, tc.want)
		}
	}
}

func TestParseSanitizesHTML(t *testing.T) {
	m := mustParse(t, "html_unsafe.eml")
	for _, bad := range []string{"<script", "alert(", "onclick", "onload", "onerror", "javascript:", "<style",
		"evil.test", "<iframe", "<form", "<input", "<object", "<svg", "position", "background-image", `href="/logout"`, "steal("} {
		if strings.Contains(m.HTML, bad) {
			t.Errorf("html keeps %q: %s", bad, m.HTML)
		}
	}
	for _, good := range []string{"<b>help</b>", `href="https://example.com/order/1"`, `src="https://example.com/logo.png"`,
		`src="cid:logo@example.com"`, "color: red", `rel="nofollow noreferrer noopener"`} {
		if !strings.Contains(m.HTML, good) {
			t.Errorf("html lost %q: %s", good, m.HTML)
		}
	}
	if !strings.Contains(m.Text, "Please help me.") || strings.Contains(m.Text, "alert") || strings.Contains(m.Text, "background") {
		t.Errorf("text = %q", m.Text)
	}
	if !strings.Contains(m.Text, "order page <https://example.com/order/1>") {
		t.Errorf("link url missing from text: %q", m.Text)
	}
}

func TestParseMalformed(t *testing.T) {
	for name, raw := range map[string]string{
		"empty":              "",
		"not mail":           "hello world, this is not an email\r\n",
		"leading space":      " From: a@b\r\n\r\nx",
		"bad header key":     "Fr om: a@b\r\n\r\nx",
		"no boundary":        "From: a@b\r\nContent-Type: multipart/mixed\r\n\r\n--x\r\n\r\nhi\r\n--x--\r\n",
		"unterminated parts": "From: a@b\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhi",
	} {
		if m, err := Parse([]byte(raw)); err == nil {
			t.Errorf("%s: no error, got %+v", name, m)
		}
	}
	// Over the limits.
	big := append([]byte("From: a@b\r\n\r\n"), bytes.Repeat([]byte("x"), MaxMessageSize)...)
	if _, err := Parse(big); !errors.Is(err, ErrLimit) {
		t.Errorf("big message: err = %v", err)
	}
	var b strings.Builder
	b.WriteString("From: a@b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n")
	for range MaxParts + 1 {
		b.WriteString("--b\r\nContent-Type: text/plain\r\n\r\npart\r\n")
	}
	b.WriteString("--b--\r\n")
	if _, err := Parse([]byte(b.String())); !errors.Is(err, ErrLimit) {
		t.Errorf("too many parts: err = %v", err)
	}
	var deep strings.Builder
	deep.WriteString("From: a@b\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n")
	for i := 1; i <= maxDepth+1; i++ {
		fmt.Fprintf(&deep, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i-1, i)
	}
	fmt.Fprintf(&deep, "--b%d\r\nContent-Type: text/plain\r\n\r\ndeep\r\n", maxDepth+1)
	for i := maxDepth + 1; i >= 0; i-- {
		fmt.Fprintf(&deep, "--b%d--\r\n", i)
	}
	if _, err := Parse([]byte(deep.String())); !errors.Is(err, ErrLimit) {
		t.Errorf("deep nesting: err = %v", err)
	}
}

func TestParseLenient(t *testing.T) {
	// Sloppy but real: bare LF line ends, a From the strict parser refuses,
	// a Message-ID without brackets, References with a comment, an unknown
	// charset, a corrupt base64 attachment, raw 8-bit Latin-1 in a header.
	raw := "From: Ann \"the customer\" Smith <ann@example.com\n" +
		"To: support@acme.test\n" +
		"Subject: Caf\xe9 order\n" +
		"Message-ID: abc123@example.com\n" +
		"References: <one@x> (first) <two@x>\n" +
		"Date: not a date\n" +
		"Content-Type: multipart/mixed; boundary=b\n\n" +
		"--b\nContent-Type: text/plain; charset=x-unknown-charset\n\nplain text\n" +
		"--b\nContent-Type: image/png; name=a.png\nContent-Transfer-Encoding: base64\n\naGVsbG8=!!!!\n" +
		"--b--\n"
	m, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if m.From == nil || m.From.Address != "ann@example.com" {
		t.Errorf("from = %+v", m.From)
	}
	if m.Subject != "Café order" || m.MessageID != "abc123@example.com" || !m.Date.IsZero() {
		t.Errorf("subject %q id %q date %v", m.Subject, m.MessageID, m.Date)
	}
	if strings.Join(m.References, " ") != "one@x two@x" {
		t.Errorf("references = %q", m.References)
	}
	if m.Text != "plain text" || len(m.Attachments) != 1 || m.Attachments[0].Filename != "a.png" {
		t.Errorf("text %q attachments %+v", m.Text, m.Attachments)
	}

	// No Message-ID: a stable one from the bytes.
	raw2 := []byte("From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n")
	m1, _ := Parse(raw2)
	m2, _ := Parse(raw2)
	if m1.MessageID == "" || m1.MessageID != m2.MessageID || !strings.HasSuffix(m1.MessageID, "@parley.invalid") {
		t.Errorf("derived ids %q %q", m1.MessageID, m2.MessageID)
	}
}

func TestParseHTMLToText(t *testing.T) {
	raw := "From: a@example.com\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
		"<div>First line<br>second line</div><p>Para&nbsp;two</p><ul><li>one</li><li>two</li></ul>" +
		"<table><tr><td>Order</td><td>10442</td></tr></table><pre>  code\n  more</pre>" +
		"<blockquote>old<br>stuff</blockquote>"
	m, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	want := "First line\nsecond line\n\nPara two\n\n- one\n- two\n\nOrder 10442\n\n  code\n  more\n\n> old\n> stuff"
	if m.FullText != want {
		t.Errorf("full text = %q\nwant        %q", m.FullText, want)
	}
	if want := "First line\nsecond line\n\nPara two\n\n- one\n- two\n\nOrder 10442\n\n  code\n  more"; m.Text != want {
		t.Errorf("text = %q\nwant   %q", m.Text, want)
	}
}
