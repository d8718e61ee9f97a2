package gateway

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// driver is one provider channel as the gateway uses it. Each lives in its
// own file and adapts a package under internal/channel.
type driver interface {
	// fields lists the settings and secrets the channel takes.
	fields() []Field
	// check validates settings and secrets together, beyond each field.
	check(settings, secrets map[string]string) error
	// rate is the default outgoing rate, in messages per second.
	rate() float64
	// handshake answers the provider's GET verification of a webhook URL.
	handshake(c *conn, r *http.Request) (string, error)
	// parse checks the request's signature over raw, then parses it.
	parse(g *Gateway, c *conn, r *http.Request, raw []byte) (parsed, error)
	// contact says who a sender is, as Parley identities.
	contact(c *conn, s channel.Sender) store.ContactKey
	// address is the id to send to for a contact; "" if this channel
	// knows no way to reach them.
	address(c *conn, ct parley.Contact) string
	// window is what the channel allows the business to send at now, given
	// when the contact last wrote (zero if never).
	window(c *conn, last, now time.Time) channel.Window
	// send sends one message and returns the provider's id for it.
	send(ctx context.Context, g *Gateway, c *conn, m parley.Message, out channel.Outbound, p payload) (string, error)
	// media opens a file from an incoming message.
	media(ctx context.Context, g *Gateway, c *conn, md inbox.PendingMedia) (io.ReadCloser, string, error)
}

// parsed is what one webhook call carried, or, for a verification POST
// (RBM), the answer to give instead.
type parsed struct {
	batch  channel.Batch
	answer string
}

// payload is what the send job needs beyond the message's text, stored
// with the message when the reply is admitted.
type payload struct {
	To       string   `json:"to"`
	Template string   `json:"template,omitempty"`
	Language string   `json:"language,omitempty"`
	Params   []string `json:"params,omitempty"`
	Tag      string   `json:"tag,omitempty"`
	// Email threading.
	Subject    string   `json:"subject,omitempty"`
	InReplyTo  string   `json:"in_reply_to,omitempty"`
	References []string `json:"references,omitempty"`
	// FallbackFrom is set on an SMS that replaces an RCS message.
	FallbackFrom int64 `json:"fallback_from,omitempty"`
	// Choices are buttons under the text (a survey's scores).
	Choices      []inbox.Choice `json:"choices,omitempty"`
	ChoicesLabel string         `json:"choices_label,omitempty"`
}

var drivers = map[parley.ChannelType]driver{}

// answerOK is what most providers want back: a 200 with a short body.
const answerOK = "EVENT_RECEIVED"
