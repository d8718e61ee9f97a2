package parley

import (
	"net/url"
	"strings"
	"time"
)

// ChannelType names the kind of channel an inbox is connected to.
type ChannelType string

const (
	// ChannelAPI is an inbox fed through the REST API by the business's own
	// systems; replies are read back from the API or posted to a webhook.
	ChannelAPI ChannelType = "api"
)

// Valid reports whether c is a channel type this build supports.
func (c ChannelType) Valid() bool { return c == ChannelAPI }

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
	WebhookURL string    `json:"webhook_url,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// Validate normalises and checks an inbox before it is stored.
func (i *Inbox) Validate() error {
	i.Name = strings.TrimSpace(i.Name)
	if i.Name == "" {
		return Errorf(EINVALID, "inbox name is required")
	}
	if !i.ChannelType.Valid() {
		return Errorf(EINVALID, "channel type %q is not supported (want api)", i.ChannelType)
	}
	if i.ReopenWindow == 0 {
		i.ReopenWindow = DefaultReopenWindow
	}
	if i.ReopenWindow < 0 || i.ReopenWindow > 365*24*time.Hour {
		return Errorf(EINVALID, "reopen window must be between 1 second and 365 days")
	}
	if i.WebhookURL != "" {
		u, err := url.Parse(i.WebhookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Errorf(EINVALID, "webhook_url %q is not an http(s) URL", i.WebhookURL)
		}
	}
	return nil
}
