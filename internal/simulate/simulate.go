// Package simulate builds the webhooks real providers send, in their real
// wire formats and signed the way they sign them, so that `parley
// simulate` can show every channel working without provider accounts and
// tests can drive the whole webhook path. What it builds must pass the
// same checks a real provider's call passes: nothing here is trusted.
package simulate

import (
	"fmt"
	"net/http"
	"time"
)

// Message is a customer message to simulate.
type Message struct {
	ID    string // the provider's message id; a retry repeats it
	From  string // the sender's provider id or phone number (E.164 for phone channels)
	Name  string // the sender's display name
	Text  string
	Media *Media // an attachment instead of (or with, as a caption) text
	At    time.Time
	// Payload is the id of a tapped button, list row, quick reply or
	// suggestion (Text is its title): a WhatsApp list_reply, a Messenger
	// quick_reply, an RBM suggestionResponse.
	Payload string
}

// Media is a file on a simulated message.
type Media struct {
	ID, URL, MIMEType, Filename string
}

// Receipt is a simulated delivery receipt for a message Parley sent.
type Receipt struct {
	ID     string // the provider's id of the message
	To     string // the recipient
	Status string // "sent", "delivered", "read" or "failed"
	Code   int    // the provider's error code when failed
	At     time.Time
}

// Webhook is a request to post to /hooks/{channel}/{inbox_id}.
type Webhook struct {
	Body   []byte
	Header http.Header
}

func at(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}

// newID makes a provider-style id unique across runs and machines: the
// time alone repeats when two are made within the clock's resolution.
func newID(prefix string) string {
	return fmt.Sprintf("%s%d%s", prefix, time.Now().UnixNano(), randomHex(3))
}
