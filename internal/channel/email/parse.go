package email

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"path"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message"
	// Imported for its side effect: it gives go-message the decoders for
	// non-UTF-8 charsets (ISO-8859-x, Windows-125x, ISO-2022-JP, Shift_JIS,
	// GB2312, KOI8-R…) used by bodies and RFC 2047 encoded words.
	_ "github.com/emersion/go-message/charset"
	gomail "github.com/emersion/go-message/mail"
	"golang.org/x/text/encoding/charmap"
)

// Parse reads a raw RFC 5322 message. It returns an error for input that
// is not a mail message (no header, a broken header or MIME structure)
// and one wrapping ErrLimit for a message over MaxMessageSize or
// MaxParts. It is lenient where mail in the wild is sloppy: unknown
// charsets, undecodable addresses or Message-IDs and corrupt transfer
// encodings degrade the field concerned, not the whole message.
func Parse(raw []byte) (*Message, error) {
	if len(raw) > MaxMessageSize {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrLimit, len(raw), MaxMessageSize)
	}
	ent, err := message.Read(bytes.NewReader(raw))
	if err != nil && !decodeProblem(err) {
		return nil, fmt.Errorf("email: read header: %w", err)
	}
	if ent.Header.Len() == 0 {
		return nil, errors.New("email: no header fields")
	}
	h := gomail.Header{Header: ent.Header}
	m := &Message{}
	readHeader(m, h, raw)

	w := &walker{budget: 2 * MaxMessageSize}
	if err := w.walk(ent, 0, ""); err != nil {
		return nil, err
	}
	hasPlain := len(w.text) > 0
	m.FullText = tidyText(strings.Join(w.text, "\n"))
	rawHTML := strings.Join(w.html, "\n")
	if !hasPlain && rawHTML != "" {
		m.FullText = htmlToText(rawHTML)
	}
	if rawHTML != "" {
		m.HTML = sanitizeHTML(rawHTML)
	}
	switch {
	case forwardSubject.MatchString(m.Subject):
		// Outlook marks a forward only in the subject; its body looks
		// like a reply header followed by history.
		m.Text = m.FullText
	case hasPlain:
		// Untidied, so StripQuoted can tell "-- " from a bare "--".
		m.Text = StripQuoted(strings.Join(w.text, "\n"))
	case rawHTML != "":
		m.Text = StripQuotedHTML(rawHTML)
	}
	if strings.TrimSpace(m.Text) == "" {
		// Nothing new above the quote: a forward, or a reply written
		// below the history. Show everything rather than nothing.
		m.Text = m.FullText
	}
	m.Attachments = w.attachments
	if w.bounce != nil {
		w.bounce.OriginalMessageID = w.originalID
		m.Bounce = w.bounce
	}
	m.AutoReply = isAutoReply(h, m) || w.otherReport
	return m, nil
}

var forwardSubject = regexp.MustCompile(`(?i)^\s*(fwd?|wg|tr|rv|i|enc|doorst)\s*:`)

// readHeader fills the header fields of m.
func readHeader(m *Message, h gomail.Header, raw []byte) {
	if id, err := h.MessageID(); err == nil && id != "" {
		m.MessageID = clean(id)
	} else if ids := lenientIDs(h.Get("Message-Id")); len(ids) > 0 {
		m.MessageID = ids[0]
	} else {
		sum := sha256.Sum256(raw)
		m.MessageID = "sha256-" + hex.EncodeToString(sum[:16]) + "@parley.invalid"
	}
	inReplyTo := msgIDs(h, "In-Reply-To")
	if len(inReplyTo) > 0 {
		m.InReplyTo = inReplyTo[0]
	}
	m.References = msgIDs(h, "References")
	// Extra parents in In-Reply-To are still thread members.
	for _, id := range inReplyTo[min(1, len(inReplyTo)):] {
		if !containsFold(m.References, id) {
			m.References = append(m.References, id)
		}
	}
	if from := addresses(h, "From"); len(from) > 0 {
		m.From = from[0]
	}
	m.To = addresses(h, "To")
	m.Cc = addresses(h, "Cc")
	for _, k := range []string{"Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To"} {
		for _, v := range h.Values(k) {
			v = clean(strings.Trim(strings.TrimSpace(v), "<>"))
			if strings.Contains(v, "@") && !containsFold(m.DeliveredTo, v) {
				m.DeliveredTo = append(m.DeliveredTo, v)
			}
		}
	}
	subject, _ := h.Subject()
	m.Subject = strings.TrimSpace(clean(subject))
	if d, err := h.Date(); err == nil {
		m.Date = d.UTC()
	}
}

// msgIDs reads a list of message identifiers, falling back to anything
// that looks like one when the field is not well-formed (clients add
// comments, drop brackets, or fold badly).
func msgIDs(h gomail.Header, key string) []string {
	ids, err := h.MsgIDList(key)
	if err != nil || len(ids) == 0 {
		ids = lenientIDs(h.Get(key))
	}
	const maxIDs = 100 // a References chain longer than this is noise
	if len(ids) > maxIDs {
		ids = append(ids[:1], ids[len(ids)-maxIDs+1:]...)
	}
	for i := range ids {
		ids[i] = clean(ids[i])
	}
	return ids
}

var bracketedID = regexp.MustCompile(`<([^<>\s]+)>`)

func lenientIDs(v string) []string {
	var ids []string
	for _, m := range bracketedID.FindAllStringSubmatch(v, -1) {
		ids = append(ids, clean(m[1]))
	}
	if len(ids) == 0 {
		for _, f := range strings.Fields(v) {
			if strings.Contains(f, "@") {
				ids = append(ids, clean(strings.Trim(f, "<>,;")))
			}
		}
	}
	return ids
}

var looseAddress = regexp.MustCompile(`[^\s<>"',;:()\[\]]+@[^\s<>"',;:()\[\]]+`)

// addresses parses every field named key as an address list. A list the
// strict parser refuses still yields the addresses it contains, without
// display names: a customer must not be lost to a stray quote.
func addresses(h gomail.Header, key string) []*mail.Address {
	var out []*mail.Address
	for _, v := range h.Values(key) {
		list, err := gomail.ParseAddressList(v)
		if err != nil {
			list = nil
			for _, a := range looseAddress.FindAllString(v, -1) {
				list = append(list, &mail.Address{Address: a})
			}
		}
		for _, a := range list {
			a.Name = clean(a.Name)
			a.Address = clean(a.Address)
		}
		out = append(out, list...)
	}
	return out
}

// walker collects the bodies and files of a MIME tree.
type walker struct {
	parts       int
	budget      int64 // decoded bytes still allowed
	text, html  []string
	attachments []Attachment
	bounce      *Bounce
	originalID  string
	otherReport bool // a report that is not about delivery (read receipts, abuse feedback)
}

func (w *walker) walk(e *message.Entity, depth int, parent string) error {
	w.parts++
	if w.parts > MaxParts {
		return fmt.Errorf("%w: more than %d MIME parts", ErrLimit, MaxParts)
	}
	if depth > maxDepth {
		return fmt.Errorf("%w: multiparts nested deeper than %d", ErrLimit, maxDepth)
	}
	mediaType, params, err := e.Header.ContentType()
	if err != nil || mediaType == "" {
		mediaType, params = "text/plain", nil // RFC 2045 §5.2
	}
	mediaType = strings.ToLower(mediaType)
	if mr := e.MultipartReader(); mr != nil {
		if mediaType == "multipart/report" && !strings.EqualFold(params["report-type"], "delivery-status") {
			w.otherReport = true
		}
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return nil
			}
			if err != nil && !decodeProblem(err) {
				return fmt.Errorf("email: read part of %s: %w", mediaType, err)
			}
			if err := w.walk(p, depth+1, mediaType); err != nil {
				return err
			}
		}
	}

	data, err := w.read(e.Body)
	if err != nil {
		return fmt.Errorf("email: read %s part: %w", mediaType, err)
	}
	disp, dparams, _ := e.Header.ContentDisposition()
	disp = strings.ToLower(disp)
	filename := dparams["filename"]
	if filename == "" {
		filename = params["name"]
	}
	switch {
	case mediaType == "message/delivery-status" || mediaType == "message/global-delivery-status":
		if w.bounce == nil {
			w.bounce = parseDeliveryStatus([]byte(clean(string(data))))
		}
		return nil
	case parent == "multipart/report" && isHeaderPart(mediaType):
		if w.originalID == "" {
			w.originalID = clean(originalMessageID(data))
		}
		return nil
	case (mediaType == "text/plain" || mediaType == "text/html") && disp != "attachment" && filename == "":
		s := clean(string(data))
		if cs := strings.ToLower(params["charset"]); cs == "iso-8859-1" || cs == "latin1" || cs == "us-ascii" {
			s = c1AsWindows1252(s)
		}
		if mediaType == "text/html" {
			w.html = append(w.html, s)
		} else {
			if strings.EqualFold(params["format"], "flowed") {
				s = unflow(s, strings.EqualFold(params["delsp"], "yes"))
			}
			w.text = append(w.text, s)
		}
		return nil
	}
	if len(data) == 0 {
		return nil // an empty file carries nothing (and stands for a part the poller left out)
	}
	cid := strings.TrimSpace(e.Header.Get("Content-Id"))
	cid = clean(strings.TrimSuffix(strings.TrimPrefix(cid, "<"), ">"))
	w.attachments = append(w.attachments, Attachment{
		Filename:    safeFilename(filename, mediaType),
		ContentType: mediaType,
		ContentID:   cid,
		Inline:      disp == "inline" || (disp == "" && cid != ""),
		Data:        data,
	})
	return nil
}

// read reads a decoded part body within the budget. A corrupt base64 or
// quoted-printable body keeps what decoded before the damage: part of an
// attachment is better than losing the customer's whole message.
func (w *walker) read(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, w.budget+1))
	if int64(len(b)) > w.budget {
		return nil, fmt.Errorf("%w: decoded parts over %d bytes", ErrLimit, 2*MaxMessageSize)
	}
	w.budget -= int64(len(b))
	var corrupt base64.CorruptInputError
	if err != nil && (errors.As(err, &corrupt) || strings.HasPrefix(err.Error(), "quotedprintable:")) {
		err = nil
	}
	return b, err
}

func isHeaderPart(mediaType string) bool {
	switch mediaType {
	case "message/rfc822", "text/rfc822-headers", "message/global", "message/global-headers":
		return true
	}
	return false
}

// decodeProblem reports errors go-message returns together with a usable
// entity: an unknown charset or transfer encoding leaves the bytes as
// they are, which clean then makes readable.
func decodeProblem(err error) bool {
	return message.IsUnknownCharset(err) || message.IsUnknownEncoding(err)
}

// clean makes text from a message safe to store and show: valid UTF-8
// (bytes that are not are read as Windows-1252: raw 8-bit headers and
// bodies without a declared charset are nearly always in a Western legacy
// charset, and a wrong guess still beats U+FFFD) without NUL characters,
// which databases refuse in text.
func clean(s string) string {
	if !utf8.ValidString(s) {
		out, err := charmap.Windows1252.NewDecoder().String(s)
		if err != nil {
			out = strings.ToValidUTF8(s, "\uFFFD")
		}
		s = out
	}
	return strings.ReplaceAll(s, "\x00", "")
}

// c1AsWindows1252 reads the C1 control characters, which no one types,
// as the Windows-1252 characters (€, typographic quotes, dashes) that
// mailers labelling text ISO-8859-1 really meant, as browsers do.
func c1AsWindows1252(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r >= 0x80 && r <= 0x9f }) {
		return s
	}
	dec := charmap.Windows1252.NewDecoder()
	return strings.Map(func(r rune) rune {
		if r < 0x80 || r > 0x9f {
			return r
		}
		if out, err := dec.Bytes([]byte{byte(r)}); err == nil {
			if d, _ := utf8.DecodeRune(out); d != utf8.RuneError {
				return d
			}
		}
		return r
	}, s)
}

// tidyText normalises line ends and trims surrounding blank lines.
func tidyText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRightFunc(l, unicode.IsSpace)
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

// unflow joins the soft line breaks of format=flowed text (RFC 3676): a
// line ending in a space continues on the next line at the same quote
// depth. Without this, agents would see text broken at 72 columns.
func unflow(s string, delsp bool) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	var out []string
	joining := false
	for _, l := range lines {
		depth := len(l) - len(strings.TrimLeft(l, ">"))
		content := strings.TrimPrefix(l[depth:], " ") // space stuffing
		soft := strings.HasSuffix(content, " ") && content != "-- "
		if soft && delsp {
			content = content[:len(content)-1]
		}
		if joining && len(out) > 0 && depth == quoteDepth(out[len(out)-1]) {
			out[len(out)-1] += content
		} else {
			out = append(out, strings.Repeat(">", depth)+spaceIf(depth > 0)+content)
		}
		joining = soft
	}
	return strings.Join(out, "\n")
}

func quoteDepth(l string) int { return len(l) - len(strings.TrimLeft(l, ">")) }

func spaceIf(b bool) string {
	if b {
		return " "
	}
	return ""
}

var attachmentExt = map[string]string{
	"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp",
	"application/pdf": ".pdf", "text/plain": ".txt", "text/html": ".html", "text/calendar": ".ics",
	"message/rfc822": ".eml",
}

// safeFilename keeps only the last path element of a sender-chosen name
// and drops control characters, so the name can be shown and stored
// without surprises; an unnamed part gets a generic name.
func safeFilename(name, mediaType string) string {
	name = clean(name)
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name)
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	if name == "." || name == "/" || name == ".." {
		name = ""
	}
	if len(name) > 200 {
		ext := path.Ext(name)
		if len(ext) > 20 {
			ext = ""
		}
		name = strings.ToValidUTF8(name[:200-len(ext)], "") + ext
	}
	if strings.TrimSpace(name) == "" {
		name = "attachment" + attachmentExt[mediaType]
	}
	return name
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
