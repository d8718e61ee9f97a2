// Package email turns email into a Parley channel.
//
// Inbound mail arrives as raw RFC 5322 bytes (from an IMAP mailbox polled
// by Poller, or from anywhere else) and Parse turns it into a Message: its
// threading headers, its addresses, the new part of the reply with the
// quoted history and signature stripped, a sanitized HTML body, its
// attachments, and whether it is an auto-reply or a bounce, which must
// never open a conversation or trigger an answer.
//
// Outbound replies are built by Outgoing.Bytes with the headers that make
// mail clients thread them (Message-ID, In-Reply-To, References, "Re:")
// and a Reply-To made by ReplyAddress, a plus-address carrying the
// conversation id and an HMAC tag, which ConversationFromAddress reads
// back from the customer's answer. Sending goes through internal/mail.
//
// The package knows nothing of the store: the app decides what a parsed
// message becomes and where cursors and keys are kept.
package email

import (
	"errors"
	"net/mail"
	"time"
)

// Limits on what Parse accepts; they bound the memory one message can
// take however it is built. MaxMessageSize holds one file at Parley's
// default 25 MB upload limit after base64 (which adds a third) with room
// for the text; the poller fetches a bigger message without the parts
// that do not fit rather than losing it.
const (
	MaxMessageSize = 40 << 20 // bytes of raw message
	MaxParts       = 50       // MIME parts, containers included
	maxDepth       = 10       // nesting of multiparts
)

// ErrLimit is wrapped by the errors Parse returns for a message over one
// of the limits above.
var ErrLimit = errors.New("email: message over limit")

// Message is one parsed inbound email.
type Message struct {
	// MessageID is the Message-ID without angle brackets. For a message
	// that has none, it is derived from a hash of the raw bytes, so a
	// redelivery of the same bytes still has the same id.
	MessageID  string
	InReplyTo  string
	References []string
	From       *mail.Address // nil if the message has no usable From
	To, Cc     []*mail.Address
	// DeliveredTo holds the Delivered-To, X-Original-To and Envelope-To
	// values: the address the mail was really delivered to, which keeps
	// a plus-address even when To names only the plain inbox (Bcc,
	// forwarding).
	DeliveredTo []string
	Subject     string
	Date        time.Time // zero if missing or unreadable
	// Text is the new part of the reply: quoted history and signature
	// stripped. When stripping would leave nothing, it is FullText.
	Text string
	// FullText is the whole plain text: the text/plain parts, or the HTML
	// converted to text when there are none.
	FullText string
	// HTML is the HTML body, sanitized: no scripts, style sheets, event
	// handlers, forms, frames or relative URLs; links and images by
	// http(s), mailto and cid URLs only; of inline styles only colours,
	// fonts and alignment. Empty when the message has no HTML part.
	HTML        string
	Attachments []Attachment
	// AutoReply is true for mail a program sent on its own: out-of-office
	// and vacation replies, list and bulk mail, bounces, read receipts and
	// other reports. Never answer it automatically.
	AutoReply bool
	// Bounce is non-nil for a delivery status notification (RFC 3464).
	Bounce *Bounce
}

// Attachment is a file carried by a message. Inline images referenced
// from the HTML as cid:ContentID have Inline set.
type Attachment struct {
	Filename    string
	ContentType string // lower-case media type without parameters
	ContentID   string // without angle brackets
	Inline      bool
	Data        []byte
}

// Bounce is what a delivery status notification says about a message
// that could not be delivered (or, for Action "delayed", not yet).
type Bounce struct {
	OriginalMessageID string // the Message-ID of the message that bounced, without brackets
	Recipient         string // the address it bounced for
	Action            string // failed, delayed, delivered, relayed or expanded
	Status            string // the RFC 3463 code, e.g. 5.1.1
	Diagnostic        string // the remote server's words, e.g. "smtp; 550 5.1.1 no such user"
	// Permanent is true when sending again cannot help: Action failed or
	// a 5.x.x status.
	Permanent bool
}
