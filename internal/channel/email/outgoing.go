package email

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/textproto"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"

	pmail "github.com/parleyhq/parley/internal/mail"
)

// Outgoing is a reply (or a first message) to send to a customer.
type Outgoing struct {
	From, To string // "Name <addr>" or a bare address
	// ReplyTo should be a ReplyAddress, so the customer's answer finds
	// its conversation even when their client drops threading headers.
	ReplyTo string
	// Subject gets "Re: " once when InReplyTo is set and it does not
	// already start with a reply prefix.
	Subject string
	Text    string
	// MessageID, without brackets, is generated at From's domain when
	// empty; set it (NewMessageID) to know it before sending, as threading
	// the customer's answer needs it stored.
	MessageID string
	InReplyTo string // the customer's Message-ID this answers, without brackets
	// References is the thread so far, oldest first, without brackets:
	// the customer message's References then its Message-ID. InReplyTo
	// is appended when missing.
	References  []string
	Attachments []Attachment
	// Headers are extra fields, e.g. X-Parley-Conversation. They may not
	// replace the fields Bytes writes itself.
	Headers map[string]string
	Date    time.Time // zero: now
}

// NewMessageID returns a new random Message-ID, without brackets, at the
// domain of from ("Name <addr>" or a bare address).
func NewMessageID(from string) string {
	return strings.Trim(pmail.NewMessageID(bareAddress(from)), "<>")
}

// reserved are the fields Bytes writes; Headers may not set them.
var reserved = map[string]bool{
	"From": true, "To": true, "Cc": true, "Bcc": true, "Reply-To": true, "Subject": true, "Date": true,
	"Message-Id": true, "In-Reply-To": true, "References": true, "Mime-Version": true,
	"Content-Type": true, "Content-Transfer-Encoding": true, "Content-Disposition": true,
}

var (
	headerKey   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,75}$`)
	replyPrefix = regexp.MustCompile(`(?i)^\s*(re|aw|sv|antw|vs|ref|res|odp|r)\s*(\[\d+\])?\s*:`)
)

// Bytes renders the message as RFC 5322 text with CRLF line ends: a
// multipart/alternative of the text (UTF-8, quoted-printable) and an HTML
// version made by escaping it, inside a multipart/mixed when there are
// attachments. It returns an error for an unparseable address, a line
// break in a header value, an invalid or reserved extra header name, or
// an attachment that cannot be encoded.
func (o Outgoing) Bytes() ([]byte, error) {
	from, err := mail.ParseAddress(o.From)
	if err != nil {
		return nil, fmt.Errorf("email: from address %q: %w", o.From, err)
	}
	to, err := mail.ParseAddressList(o.To)
	if err != nil {
		return nil, fmt.Errorf("email: to address %q: %w", o.To, err)
	}
	subject := o.Subject
	if o.InReplyTo != "" && !replyPrefix.MatchString(subject) {
		subject = "Re: " + subject
	}
	for _, v := range append([]string{subject, o.MessageID, o.InReplyTo}, o.References...) {
		if strings.ContainsAny(v, "\r\n") {
			return nil, errors.New("email: line break in a header value")
		}
	}
	var replyTo *mail.Address
	if o.ReplyTo != "" {
		if replyTo, err = mail.ParseAddress(o.ReplyTo); err != nil {
			return nil, fmt.Errorf("email: reply-to address %q: %w", o.ReplyTo, err)
		}
	}
	for k, v := range o.Headers {
		if !headerKey.MatchString(k) || reserved[textproto.CanonicalMIMEHeaderKey(k)] {
			return nil, fmt.Errorf("email: extra header %q is not allowed", k)
		}
		if strings.ContainsAny(v, "\r\n") {
			return nil, fmt.Errorf("email: line break in header %s", k)
		}
	}
	id := o.MessageID
	if id == "" {
		id = NewMessageID(from.Address)
	}
	date := o.Date
	if date.IsZero() {
		date = time.Now()
	}

	// go-message puts each new field above the others, so the fields are
	// added bottom to top, to read in the usual order.
	var h gomail.Header
	ctype := "multipart/alternative"
	if len(o.Attachments) > 0 {
		ctype = "multipart/mixed"
	}
	h.SetContentType(ctype, map[string]string{"boundary": newBoundary()})
	h.Set("MIME-Version", "1.0")
	keys := slices.Sorted(maps.Keys(o.Headers))
	for _, k := range slices.Backward(keys) {
		h.Set(textproto.CanonicalMIMEHeaderKey(k), mime.QEncoding.Encode("utf-8", o.Headers[k]))
	}
	if refs := references(o.References, o.InReplyTo); len(refs) > 0 {
		h.SetMsgIDList("References", refs)
	}
	if o.InReplyTo != "" {
		h.SetMsgIDList("In-Reply-To", []string{strings.Trim(o.InReplyTo, "<>")})
	}
	h.SetMessageID(strings.Trim(id, "<>"))
	h.SetSubject(subject)
	if replyTo != nil {
		h.SetAddressList("Reply-To", []*mail.Address{replyTo})
	}
	h.SetAddressList("To", to)
	h.SetAddressList("From", []*mail.Address{from})
	h.SetDate(date)

	var b bytes.Buffer
	if len(o.Attachments) == 0 {
		w, err := message.CreateWriter(&b, h.Header)
		if err != nil {
			return nil, fmt.Errorf("email: write header: %w", err)
		}
		if err := writeBodies(w, o.Text); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, fmt.Errorf("email: close message: %w", err)
		}
		return b.Bytes(), nil
	}
	w, err := message.CreateWriter(&b, h.Header)
	if err != nil {
		return nil, fmt.Errorf("email: write header: %w", err)
	}
	var ah message.Header
	ah.SetContentType("multipart/alternative", map[string]string{"boundary": newBoundary()})
	alt, err := w.CreatePart(ah)
	if err != nil {
		return nil, fmt.Errorf("email: create body part: %w", err)
	}
	if err := writeBodies(alt, o.Text); err != nil {
		return nil, err
	}
	if err := alt.Close(); err != nil {
		return nil, fmt.Errorf("email: close body part: %w", err)
	}
	for i, a := range o.Attachments {
		if err := writeAttachment(w, a); err != nil {
			return nil, fmt.Errorf("email: attachment %d (%q): %w", i+1, a.Filename, err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("email: close message: %w", err)
	}
	return b.Bytes(), nil
}

// references is the References field of a reply: the thread as given,
// ending with the message answered, trimmed to its first entry and the
// most recent ones so long threads do not grow headers without bound.
func references(refs []string, inReplyTo string) []string {
	var out []string
	for _, r := range refs {
		if r = strings.Trim(strings.TrimSpace(r), "<>"); r != "" {
			out = append(out, r)
		}
	}
	if irt := strings.Trim(inReplyTo, "<>"); irt != "" && (len(out) == 0 || out[len(out)-1] != irt) {
		out = append(out, irt)
	}
	const keep = 20
	if len(out) > keep {
		out = append(out[:1], out[len(out)-keep+1:]...)
	}
	return out
}

func writeBodies(w *message.Writer, text string) error {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	html := "<!doctype html><html><head><meta charset=\"utf-8\"></head><body>\n" + pmail.HTMLText(text) + "</body></html>\n"
	for _, p := range []struct{ ctype, body string }{{"text/plain", text}, {"text/html", html}} {
		var ph message.Header
		ph.SetContentType(p.ctype, map[string]string{"charset": "utf-8"})
		ph.Set("Content-Transfer-Encoding", "quoted-printable")
		pw, err := w.CreatePart(ph)
		if err != nil {
			return fmt.Errorf("email: create %s part: %w", p.ctype, err)
		}
		if _, err := io.WriteString(pw, p.body); err != nil {
			return fmt.Errorf("email: write %s part: %w", p.ctype, err)
		}
		if err := pw.Close(); err != nil {
			return fmt.Errorf("email: close %s part: %w", p.ctype, err)
		}
	}
	return nil
}

func writeAttachment(w *message.Writer, a Attachment) error {
	ctype := a.ContentType
	if _, _, err := mime.ParseMediaType(ctype); err != nil || ctype == "" {
		ctype = "application/octet-stream"
	}
	var ph message.Header
	ph.SetContentType(ctype, map[string]string{"name": a.Filename})
	disp := "attachment"
	if a.Inline {
		disp = "inline"
	}
	// RFC 2231 for the file name (go-message would write an RFC 2047
	// encoded word, which the standard does not allow in a parameter).
	ph.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": a.Filename}))
	if a.ContentID != "" {
		if strings.ContainsAny(a.ContentID, "\r\n<> ") {
			return errors.New("bad Content-ID")
		}
		ph.Set("Content-Id", "<"+a.ContentID+">")
	}
	ph.Set("Content-Transfer-Encoding", "base64")
	pw, err := w.CreatePart(ph)
	if err != nil {
		return err
	}
	if _, err := pw.Write(a.Data); err != nil {
		return err
	}
	return pw.Close()
}

// newBoundary returns a random multipart boundary.
func newBoundary() string {
	return multipart.NewWriter(io.Discard).Boundary()
}

// Send builds o and delivers it through the SMTP server in cfg, from
// o.From's address to o.To's. Errors are those of mail.SendRaw: a
// *mail.PermanentError when retrying cannot help, which includes a
// message that cannot be built.
func Send(ctx context.Context, cfg pmail.Config, o Outgoing) error {
	raw, err := o.Bytes()
	if err != nil {
		return &pmail.PermanentError{Err: err}
	}
	return pmail.SendRaw(ctx, cfg, o.From, o.To, raw)
}
