package parley

import (
	"net/url"
	"time"
)

// ChannelType names the kind of channel an inbox is connected to.
type ChannelType string

const (
	// ChannelAPI is an inbox fed through the REST API by the business's own
	// systems; replies are read back from the API or posted to a webhook.
	ChannelAPI ChannelType = "api"
	// ChannelWidget is the chat widget on the business's website.
	ChannelWidget ChannelType = "widget"
	// Provider channels: messages arrive on /hooks/{channel}/{inbox_id}
	// (or by IMAP) and replies go out through the provider's API.
	ChannelWhatsApp  ChannelType = "whatsapp"
	ChannelMessenger ChannelType = "messenger"
	ChannelZalo      ChannelType = "zalo"
	ChannelSMS       ChannelType = "sms" // Twilio Programmable Messaging
	ChannelRCS       ChannelType = "rcs" // Google RCS Business Messaging
	ChannelEmail     ChannelType = "email"
)

// ChannelTypes lists every channel type, in the order they are offered.
var ChannelTypes = []ChannelType{ChannelWidget, ChannelAPI, ChannelEmail, ChannelWhatsApp, ChannelMessenger, ChannelSMS, ChannelRCS, ChannelZalo}

// Valid reports whether c is a channel type this build supports.
func (c ChannelType) Valid() bool {
	for _, t := range ChannelTypes {
		if c == t {
			return true
		}
	}
	return false
}

// Provider reports whether c sends through an outside provider, with
// credentials, rules about when the business may write, and receipts.
func (c ChannelType) Provider() bool { return c != ChannelAPI && c != ChannelWidget && c.Valid() }

// When the widget asks a visitor for an email address.
const (
	EmailAskNever   = "never"
	EmailAskOffline = "offline" // when no agent is online
	EmailAskAlways  = "always"
)

// Identity kinds for widget visitors: an anonymous visitor (by a random
// token the widget keeps), and a signed-in user of the business's site
// whose id the host page vouches for with an HMAC.
const (
	IdentityVisitor = "visitor"
	IdentityUser    = "user"
)

// Inbox is one connection to one channel: a WhatsApp number, a website
// widget, an email address. Conversations belong to an inbox.
type Inbox struct {
	ID          int64       `json:"id"`
	Name        string      `json:"name"`
	ChannelType ChannelType `json:"channel_type"`
	// ReopenWindow is how long after resolution a customer message reopens
	// the conversation instead of starting a new, linked one.
	ReopenWindow time.Duration `json:"-"`
	// WebhookURL, for API inboxes, receives outgoing replies as JSON posts.
	WebhookURL string `json:"webhook_url,omitempty"`

	// Widget settings.
	EmailAsk string `json:"email_ask"` // never, offline or always
	// AwayMinutes: a visitor with no open widget for this long is emailed
	// agents' replies.
	AwayMinutes   int    `json:"away_minutes"`
	ReplyTimeText string `json:"reply_time_text"` // e.g. "We usually reply within a few hours"
	Greeting      string `json:"greeting"`
	// AllowedOrigins are the sites that may embed the widget (its page's
	// frame-ancestors, and the only origins it talks to by postMessage):
	// normalised origins, possibly wildcards, or AnyOrigin alone. Empty
	// means no site may; the chat then opens only on its own (links in
	// emails).
	AllowedOrigins []string `json:"allowed_origins,omitempty"`
	// Look is the chat's colour, title, logo, launcher side and language.
	Look WidgetLook `json:"look"`

	// Settings are a provider channel's non-secret settings (ids, numbers,
	// prices, templates), by name; each channel says which it takes. Its
	// secrets are stored apart, sealed, and never shown.
	Settings map[string]string `json:"settings,omitempty"`

	// Routing: auto-assignment, business hours, acknowledgements,
	// auto-resolve.
	Routing Routing `json:"routing"`

	CreatedAt time.Time `json:"created_at"`
}

// Validate normalises and checks an inbox before it is stored.
func (i *Inbox) Validate() error {
	i.Name = CleanLine(i.Name)
	if i.Name == "" {
		return Errorf(EINVALID, "inbox name is required")
	}
	if !i.ChannelType.Valid() {
		return Errorf(EINVALID, "channel type %q is not supported (want one of %v)", i.ChannelType, ChannelTypes)
	}
	if i.ReopenWindow == 0 {
		i.ReopenWindow = DefaultReopenWindow
	}
	if err := i.Look.Validate(); err != nil {
		return err
	}
	if i.ReopenWindow < 0 || i.ReopenWindow > 365*24*time.Hour {
		return Errorf(EINVALID, "reopen window must be between 1 second and 365 days")
	}
	switch i.EmailAsk {
	case "":
		i.EmailAsk = EmailAskNever
	case EmailAskNever, EmailAskOffline, EmailAskAlways:
	default:
		return Errorf(EINVALID, "email_ask %q is not one of never, offline, always", i.EmailAsk)
	}
	if i.AwayMinutes == 0 {
		i.AwayMinutes = 5
	}
	if i.AwayMinutes < 1 || i.AwayMinutes > 7*24*60 {
		return Errorf(EINVALID, "away_minutes must be between 1 and 10080")
	}
	if len(i.ReplyTimeText) > 200 || len(i.Greeting) > 500 {
		return Errorf(EINVALID, "reply_time_text is limited to 200 characters and greeting to 500")
	}
	if err := i.Routing.Validate(); err != nil {
		return err
	}
	if i.ChannelType != ChannelWidget && len(i.AllowedOrigins) > 0 {
		return Errorf(EINVALID, "allowed_origins applies to widget inboxes only")
	}
	origins, err := NormalizeOrigins(i.AllowedOrigins)
	if err != nil {
		return err
	}
	i.AllowedOrigins = origins
	if i.WebhookURL != "" {
		u, err := url.Parse(i.WebhookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Errorf(EINVALID, "webhook_url %q is not an http(s) URL", i.WebhookURL)
		}
	}
	return nil
}
