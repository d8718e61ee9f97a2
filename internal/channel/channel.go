// Package channel holds what every messaging provider adapter shares: the
// provider-neutral shapes of what comes in from a webhook (messages and
// delivery receipts), what goes out, how a send can fail, and the rule
// each channel has about when a business may write. One sub-package per
// provider (whatsapp, messenger, zalo, twilio, rbm, email) turns its real
// wire format into these shapes and back; each is tested against an
// in-repo fake of the provider's API that checks every request's shape.
//
// Adapters are plain net/http and the standard library: they check
// signatures over the raw bytes, parse, and send. They know nothing of the
// store: wiring them to webhooks, use cases and durable jobs is the app's.
package channel

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Kinds of inbound message. Anything a provider sends that an adapter does
// not know becomes KindUnsupported, stored and shown, never dropped.
const (
	KindText        = "text"
	KindImage       = "image"
	KindAudio       = "audio"
	KindVideo       = "video"
	KindDocument    = "document"
	KindSticker     = "sticker"
	KindLocation    = "location"
	KindContacts    = "contacts"
	KindInteractive = "interactive" // a button or list reply
	KindReaction    = "reaction"
	KindUnsupported = "unsupported"
)

// Sender is who wrote an inbound message, as the provider identifies them.
type Sender struct {
	ID    string // the provider's id for the person: a WhatsApp id, a page-scoped id, a Zalo user id, an E.164 number, an email address
	Name  string // as the provider gives it, if it does
	Phone string // E.164, when the provider's id is (or includes) a phone number
	Email string
}

// Media is a file on an inbound message. Providers give either an id to
// fetch it with (WhatsApp) or a URL (Messenger, Twilio, Zalo, RBM).
type Media struct {
	ProviderID string
	URL        string
	MIMEType   string
	Filename   string
	Caption    string
	SHA256     string // when the provider gives one
}

// Location is a shared place.
type Location struct {
	Latitude, Longitude float64
	Name, Address       string
}

// Inbound is one message from a customer.
type Inbound struct {
	ProviderMessageID string // idempotency key: retries of a delivery carry the same one
	From              Sender
	To                string // the business's number, page or account it was sent to
	Kind              string
	Text              string // the text, or a caption or button title, or a description of what could not be shown
	Media             []Media
	Location          *Location
	ReplyToID         string // the provider message id this one answers, if any
	Timestamp         time.Time
	// Echo is true for a message the business itself sent (Messenger
	// echoes, copies of our own sends): never a customer message.
	Echo bool
	// Payload is the id the business gave the button, list row, quick
	// reply or suggestion the customer tapped (Choice.ID), if any.
	Payload string
}

// Receipt is a provider's news about a message the business sent.
type Receipt struct {
	ProviderMessageID string
	State             parley.DeliveryState // sent, delivered, read or failed
	Error             *SendError           // why, when failed
	Timestamp         time.Time
	// Watermark, for providers that report "everything before this time
	// was delivered/read" (Messenger) rather than per message.
	Watermark time.Time
	Recipient string
}

// Batch is everything one webhook call carried (providers batch).
type Batch struct {
	Messages []Inbound
	Receipts []Receipt
}

// Outbound is a message the business sends.
type Outbound struct {
	To        string // the provider's id for the recipient
	Text      string
	Media     []OutMedia
	Template  *Template // WhatsApp templates, for writing outside the window
	ReplyToID string
	// Tag is Messenger's message tag (HUMAN_AGENT) for replies after 24 h.
	Tag string
	// Choices are answers offered under Text: WhatsApp reply buttons (up
	// to 3) or a list (up to 10, opened by ChoicesLabel), Messenger quick
	// replies, RBM suggested replies. Channels without them ignore them.
	Choices      []Choice
	ChoicesLabel string
}

// Choice is one offered answer; ID comes back as Inbound.Payload when the
// customer taps it.
type Choice struct {
	ID, Title string
}

// Clip shortens s to at most n characters (runes), ending in "…" when cut:
// providers refuse button titles over their limits.
func Clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// OutMedia is a file to send, by a URL the provider can fetch or by an id
// the provider gave for an upload.
type OutMedia struct {
	URL, ProviderID, MIMEType, Filename, Caption string
}

// Template is an approved message template with its variables.
type Template struct {
	Name     string
	Language string // e.g. en_US
	Params   []string
}

// SendError is why a provider refused a send: its code, a message for
// agents, and whether trying again can help.
type SendError struct {
	Code       string // the provider's code, e.g. "131047"
	Message    string // written for agents: what happened and what to do
	Permanent  bool   // retrying cannot help (window closed, blocked, bad number, bad token)
	RetryAfter time.Duration
}

func (e *SendError) Error() string { return fmt.Sprintf("%s (code %s)", e.Message, e.Code) }

// AsSendError returns the *SendError in err's chain, if any.
func AsSendError(err error) (*SendError, bool) {
	var se *SendError
	ok := errors.As(err, &se)
	return se, ok
}

// ErrBadSignature is returned by webhook checks for a request that is not
// from the provider: answer 401 and store nothing.
var ErrBadSignature = errors.New("channel: bad signature")

// Window is what a channel allows the business to send at a moment.
type Window struct {
	// Open: any message may be sent now.
	Open bool
	// ClosesAt is when the free-form window ends (zero if it has none).
	ClosesAt time.Time
	// Needs names what is still allowed when not Open: "template"
	// (WhatsApp), "tag:HUMAN_AGENT" (Messenger, up to 7 days), or "" when
	// nothing can be sent.
	Needs string
	// Reason is shown to agents when a send is refused.
	Reason string
}

// MediaKind sorts a file by its MIME type the way messaging APIs do:
// "image", "video", "audio", or other for anything else (WhatsApp's
// "document", Messenger's "file").
func MediaKind(mime, other string) string {
	mime = strings.ToLower(mime)
	switch {
	case strings.HasPrefix(mime, "image/"):
		return "image"
	case strings.HasPrefix(mime, "video/"):
		return "video"
	case strings.HasPrefix(mime, "audio/"):
		return "audio"
	}
	return other
}
