// Package mail builds and sends notification emails: a MIME message with
// a plain-text part (quoted-printable UTF-8) and an escaped HTML
// alternative, sent over SMTP with STARTTLS, implicit TLS or none.
package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"time"
)

// Message is one email to one recipient.
type Message struct {
	From    string // "Support <help@example.com>"
	To      string // "Ann <ann@example.com>" or a bare address
	Subject string
	Text    string // the plain-text body; the HTML part is built from it
	// Link, if set, is shown after the text as a call to action.
	Link, LinkText string
	Date           time.Time // zero: now
	MessageID      string    // zero: a random one at the sender's domain
	ReplyTo        string
}

// Addresses parses From and To. It returns an error naming the bad one.
func (m Message) Addresses() (from, to *mail.Address, err error) {
	if from, err = mail.ParseAddress(m.From); err != nil {
		return nil, nil, fmt.Errorf("mail: from address %q: %w", m.From, err)
	}
	if to, err = mail.ParseAddress(m.To); err != nil {
		return nil, nil, fmt.Errorf("mail: to address %q: %w", m.To, err)
	}
	return from, to, nil
}

// Bytes renders the message as RFC 5322 text with CRLF line ends.
func (m Message) Bytes() ([]byte, error) {
	from, to, err := m.Addresses()
	if err != nil {
		return nil, err
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, errors.New("mail: subject has a line break")
	}
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	id := m.MessageID
	if id == "" {
		id = NewMessageID(from.Address)
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("Date", date.Format(time.RFC1123Z))
	h("Message-ID", id)
	h("From", from.String())
	h("To", to.String())
	if m.ReplyTo != "" {
		rt, err := mail.ParseAddress(m.ReplyTo)
		if err != nil {
			return nil, fmt.Errorf("mail: reply-to address %q: %w", m.ReplyTo, err)
		}
		h("Reply-To", rt.String())
	}
	h("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	h("MIME-Version", "1.0")
	h("Auto-Submitted", "auto-generated")
	h("Content-Type", `multipart/alternative; boundary="`+mw.Boundary()+`"`)
	b.WriteString("\r\n")

	text := m.Text
	if m.Link != "" {
		text = strings.TrimRight(text, "\n") + "\n\n" + m.LinkText + ":\n" + m.Link + "\n"
	}
	if err := writePart(mw, "text/plain; charset=utf-8", crlf(text)); err != nil {
		return nil, err
	}
	if err := writePart(mw, "text/html; charset=utf-8", crlf(htmlBody(m))); err != nil {
		return nil, err
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writePart(mw *multipart.Writer, ctype, body string) error {
	hdr := textproto.MIMEHeader{}
	hdr.Set("Content-Type", ctype)
	hdr.Set("Content-Transfer-Encoding", "quoted-printable")
	w, err := mw.CreatePart(hdr)
	if err != nil {
		return err
	}
	qw := quotedprintable.NewWriter(w)
	if _, err := io.WriteString(qw, body); err != nil {
		return err
	}
	return qw.Close()
}

// htmlBody is a plain, escaped HTML version of the text: paragraphs and
// line breaks, and the link as a button. Nothing from the text is markup.
func htmlBody(m Message) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html><body style="font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;font-size:15px;line-height:1.5;color:#1f2430">`)
	b.WriteString(HTMLText(m.Text))
	if m.Link != "" {
		fmt.Fprintf(&b, `<p><a href="%s" style="display:inline-block;padding:10px 16px;background:#2f5bea;color:#fff;border-radius:6px;text-decoration:none">%s</a></p>`,
			html.EscapeString(m.Link), html.EscapeString(m.LinkText))
	}
	b.WriteString("</body></html>")
	return b.String()
}

// HTMLText renders plain text as escaped HTML paragraphs: blank lines
// separate paragraphs and single line breaks become <br>, and http(s)
// URLs become links (a survey's answers are links). Nothing else in the
// text can become markup, so it is safe for any text a person typed.
func HTMLText(text string) string {
	var b strings.Builder
	for _, para := range strings.Split(strings.ReplaceAll(strings.TrimSpace(text), "\r\n", "\n"), "\n\n") {
		lines := strings.Split(para, "\n")
		for i := range lines {
			lines[i] = linkify(lines[i])
		}
		b.WriteString("<p>" + strings.Join(lines, "<br>") + "</p>\n")
	}
	return b.String()
}

var urlRE = regexp.MustCompile(`https?://[^\s<>"']+`)

// linkify escapes a line, making its http(s) URLs links (without the
// punctuation that usually ends a sentence after them).
func linkify(line string) string {
	var b strings.Builder
	last := 0
	for _, m := range urlRE.FindAllStringIndex(line, -1) {
		end := m[1]
		for end > m[0] && strings.ContainsRune(".,;:!?)]", rune(line[end-1])) {
			end--
		}
		u := html.EscapeString(line[m[0]:end])
		b.WriteString(html.EscapeString(line[last:m[0]]))
		b.WriteString(`<a href="` + u + `">` + u + `</a>`)
		last = end
	}
	b.WriteString(html.EscapeString(line[last:]))
	return b.String()
}

// crlf normalises line ends to CRLF.
func crlf(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}

// NewMessageID returns a random Message-ID at the domain of addr.
func NewMessageID(addr string) string {
	domain := "parley.invalid"
	if _, d, ok := strings.Cut(addr, "@"); ok && d != "" {
		domain = d
	}
	b := make([]byte, 16)
	rand.Read(b)
	return "<" + hex.EncodeToString(b) + "@" + domain + ">"
}
