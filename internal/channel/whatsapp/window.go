package whatsapp

import (
	"time"

	"github.com/parleyhq/parley/internal/channel"
)

// ServiceWindow is WhatsApp's customer service window: any message may be
// sent for 24 hours after the customer's last message (each new customer
// message restarts it; the business's own messages do not).
const ServiceWindow = 24 * time.Hour

// Window says what may be sent at now, given when the customer last wrote
// (zero if never). Inside the window anything may be sent, until
// ClosesAt = lastCustomerMessage + 24 h (exclusive: at exactly 24 h it is
// closed). Outside it only an approved template may be sent (Needs
// "template").
func Window(lastCustomerMessage, now time.Time) channel.Window {
	if lastCustomerMessage.IsZero() {
		return channel.Window{
			Needs:  "template",
			Reason: "This customer has not written to this WhatsApp number yet, so only an approved template can be sent.",
		}
	}
	closes := lastCustomerMessage.Add(ServiceWindow)
	if now.Before(closes) {
		return channel.Window{Open: true, ClosesAt: closes}
	}
	return channel.Window{
		ClosesAt: closes,
		Needs:    "template",
		Reason:   "More than 24 hours have passed since the customer last wrote, so WhatsApp only allows an approved template. The window re-opens when they reply.",
	}
}
