package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/channel/email"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/mail"
	"github.com/parleyhq/parley/internal/outbound"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

func init() { drivers[parley.ChannelEmail] = emailDriver{} }

// emailDriver is a support address: IMAP in (see emailin.go), SMTP out.
type emailDriver struct{}

func (emailDriver) fields() []Field {
	return []Field{
		{Name: "address", Label: "Support address", Kind: "email", Required: true, Help: "The address customers write to, e.g. help@example.com."},
		{Name: "from_name", Label: "Sender name", Help: "Shown as the sender of replies, e.g. Example Support."},
		{Name: "imap_host", Label: "IMAP server", Help: "Where customers' mail is read from. Empty: the inbox only sends."},
		{Name: "imap_port", Label: "IMAP port", Kind: "number", Help: "Empty: 993 for TLS, 143 otherwise."},
		{Name: "imap_security", Label: "IMAP security", Help: "tls (default), starttls, or none (loopback only)."},
		{Name: "imap_username", Label: "IMAP username", Help: "Empty: the support address."},
		{Name: "imap_mailbox", Label: "IMAP mailbox", Help: "Empty: INBOX."},
		{Name: "smtp_host", Label: "SMTP server", Required: true},
		{Name: "smtp_port", Label: "SMTP port", Kind: "number", Help: "Empty: 465 for TLS, 587 otherwise."},
		{Name: "smtp_security", Label: "SMTP security", Help: "starttls (default), tls, or none (loopback only)."},
		{Name: "smtp_username", Label: "SMTP username", Help: "Empty: the support address."},
		{Name: "imap_password", Label: "IMAP password", Secret: true},
		{Name: "smtp_password", Label: "SMTP password", Secret: true},
	}
}

func (emailDriver) check(settings, _ map[string]string) error {
	for _, k := range []string{"imap", "smtp"} {
		switch settings[k+"_security"] {
		case "", "tls", "starttls":
		case "none":
			// The password would cross the network in clear: only to
			// this machine (checked again on the address reached).
			if h := settings[k+"_host"]; h != "" && !outbound.IsLoopbackHost(h) {
				return fieldErr(parley.ChannelEmail, "%s_security none is only for a server on this machine (localhost or 127.0.0.1); %s needs tls or starttls", k, h)
			}
		default:
			return fieldErr(parley.ChannelEmail, "%s_security must be tls, starttls or none", k)
		}
	}
	for _, k := range []string{"imap_port", "smtp_port"} {
		if v := settings[k]; v != "" {
			if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 65535 {
				return fieldErr(parley.ChannelEmail, "%s must be a port number", k)
			}
		}
	}
	return nil
}

func (emailDriver) rate() float64 { return 5 }

func (emailDriver) handshake(*conn, *http.Request) (string, error) {
	return "", parley.Errorf(parley.ENOTFOUND, "email arrives by IMAP, not by webhook")
}

func (emailDriver) parse(*Gateway, *conn, *http.Request, []byte) (parsed, error) {
	return parsed{}, channel.ErrBadSignature // nothing may post email in
}

func (emailDriver) contact(_ *conn, s channel.Sender) store.ContactKey {
	return store.ContactKey{Email: s.Email, Name: s.Name}
}

func (emailDriver) address(_ *conn, ct parley.Contact) string { return ct.Email }

func (emailDriver) window(*conn, time.Time, time.Time) channel.Window {
	return channel.Window{Open: true}
}

func (emailDriver) media(context.Context, *Gateway, *conn, inbox.PendingMedia) (io.ReadCloser, string, error) {
	return nil, "", permanentErr{errors.New("email attachments arrive with the message")}
}

// replyKey is the key of an inbox's plus-addresses: derived from
// PARLEY_SECRET_KEY, so nothing more is stored and it never changes while
// the key does not.
func (g *Gateway) replyKey(inboxID int64) []byte {
	k, _ := g.Box.MAC("email reply address", []byte(strconv.FormatInt(inboxID, 10)))
	return []byte(k)
}

// messageID is the Message-ID of an outgoing message: the same on every
// retry, so a customer's answer threads onto it and a bounce finds it.
func (g *Gateway) messageID(c *conn, messageID int64) string {
	domain := c.setting("address")
	if i := strings.LastIndexByte(domain, '@'); i >= 0 {
		domain = domain[i+1:]
	}
	tag, _ := g.Box.MAC("email message id", []byte(fmt.Sprintf("%d/%d", c.inbox.ID, messageID)))
	return fmt.Sprintf("parley.%d.%d.%s@%s", c.inbox.ID, messageID, strings.ToLower(tag[:10]), domain)
}

func smtpConfig(c *conn) mail.Config {
	port, _ := strconv.Atoi(c.setting("smtp_port"))
	sec := c.setting("smtp_security")
	if sec == "" {
		sec = "starttls"
	}
	if port == 0 {
		port = 587
		if sec == "tls" {
			port = 465
		}
	}
	user := c.setting("smtp_username")
	if user == "" && c.secret("smtp_password") != "" {
		user = c.setting("address")
	}
	return mail.Config{Host: c.setting("smtp_host"), Port: port, Username: user, Password: c.secret("smtp_password"), Security: sec}
}

// send mails one reply, threaded onto the customer's last email, with a
// Reply-To that leads their answer back to this conversation.
func (emailDriver) send(ctx context.Context, g *Gateway, c *conn, m parley.Message, _ channel.Outbound, p payload) (string, error) {
	from := c.setting("address")
	if n := c.setting("from_name"); n != "" {
		from = fmt.Sprintf("%q <%s>", n, from)
	}
	o := email.Outgoing{From: from, To: p.To, ReplyTo: email.ReplyAddress(c.setting("address"), m.ConversationID, g.replyKey(c.inbox.ID)),
		Subject: p.Subject, Text: m.Text, MessageID: g.messageID(c, m.ID), InReplyTo: p.InReplyTo, References: p.References,
		Headers: map[string]string{"X-Parley-Conversation": strconv.FormatInt(m.ConversationID, 10), "Auto-Submitted": "no"}}
	for _, a := range m.Attachments {
		f, err := g.Blobs.Open(a.SHA256)
		if err != nil {
			return "", err
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return "", err
		}
		o.Attachments = append(o.Attachments, email.Attachment{Filename: a.Filename, ContentType: a.ContentType, Data: data})
	}
	cfg := smtpConfig(c)
	cfg.Dial = g.guard().DialContext
	err := email.Send(ctx, cfg, o)
	var perm *mail.PermanentError
	if errors.As(err, &perm) {
		return "", &channel.SendError{Code: "smtp", Message: "The mail server refused the message: " + perm.Error(), Permanent: true}
	}
	return o.MessageID, err
}

// emailThread is what an incoming email keeps for threading the reply.
type emailThread struct {
	Subject    string   `json:"subject,omitempty"`
	MessageID  string   `json:"message_id,omitempty"`
	References []string `json:"references,omitempty"`
}

// threading fills in an email reply's subject and threading headers: the
// subject the conversation began with (a customer who renames the subject
// halfway, or a second request, does not rename the thread), else the
// subject the sender gave (a workflow emailing a WhatsApp customer), in
// reply to the last email received in it; other channels have none.
func (g *Gateway) threading(tx *store.Tx, c *conn, conv parley.Conversation, p *payload, subject string) error {
	if c.inbox.ChannelType != parley.ChannelEmail {
		return nil
	}
	raw, err := tx.LastIncomingPayload(conv.ID, c.inbox.ID)
	if err != nil {
		return err
	}
	var t, first emailThread
	if raw != "" {
		json.Unmarshal([]byte(raw), &t)
	}
	if raw, err = tx.FirstPayload(conv.ID); err != nil {
		return err
	}
	json.Unmarshal([]byte(raw), &first)
	if p.Subject = first.Subject; p.Subject == "" {
		p.Subject = t.Subject
	}
	if p.Subject == "" {
		p.Subject = strings.TrimSpace(subject)
	}
	if p.Subject == "" {
		p.Subject = "Your conversation with " + c.inbox.Name
	}
	if t.MessageID != "" {
		p.InReplyTo = t.MessageID
		p.References = append(append([]string{}, t.References...), t.MessageID)
	}
	return nil
}

// externalID makes a Message-ID a stored id. The sender's mailer writes
// it, so it can be anything: one too long or not clean text
// (parley.CheckID) is kept as its hash, the same for every copy of the
// mail and every reference to it, so the mail is stored, deduplicated and
// threaded rather than refused.
func externalID(messageID string) string {
	if len(messageID) <= inbox.MaxExternalIDLength && parley.CheckID("Message-ID", messageID) == nil {
		return messageID
	}
	h := sha256.Sum256([]byte(messageID))
	return "sha256:" + hex.EncodeToString(h[:])
}

// uploadAll stores an email's files and names them for the message. A
// file over the upload limit, or beyond the 19 a message carries (one
// place is kept for the original), is listed as omitted, not lost
// silently.
func (g *Gateway) uploadAll(ctx context.Context, files []email.Attachment) ([]inbox.AttachmentRef, []parley.OmittedPart, error) {
	const maxFiles = 19
	var refs []inbox.AttachmentRef
	var omitted []parley.OmittedPart
	for _, a := range files {
		if len(a.Data) == 0 {
			continue
		}
		name := a.Filename
		if name == "" {
			name = "attachment" + extFor(a.ContentType)
		}
		name = parley.CleanFilename(name)
		left := parley.OmittedPart{Filename: name, ContentType: a.ContentType, Size: int64(len(a.Data))}
		if len(refs) == maxFiles {
			left.Reason, left.Limit = parley.OmitTooManyFiles, maxFiles
			omitted = append(omitted, left)
			continue
		}
		info, err := g.Inbox.Upload(ctx, bytes.NewReader(a.Data), g.maxMedia())
		if parley.ErrorCode(err) == parley.ETOOLARGE {
			left.Reason, left.Limit = parley.OmitFileTooLarge, g.maxMedia()
			omitted = append(omitted, left)
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		refs = append(refs, inbox.AttachmentRef{SHA256: info.SHA256, Filename: name})
	}
	return refs, omitted, nil
}

func (g *Gateway) maxMedia() int64 {
	if g.MaxMediaBytes > 0 {
		return g.MaxMediaBytes
	}
	return 25 << 20
}
