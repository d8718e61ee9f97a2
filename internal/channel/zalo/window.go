package zalo

import (
	"time"

	"github.com/parleyhq/parley/internal/channel"
)

// Zalo's consultation-message policy [secondary, quoting
// docs.zaloplatforms.com "điều kiện gửi tin tư vấn"]:
const (
	// FreeWindow: customer-service messages are free within 48 hours of
	// the customer's last interaction (unlimited since 2026-01-01; the
	// old cap of 8 replies per 48 h is retired).
	FreeWindow = 48 * time.Hour
	// ReplyWindow: after 7 days Zalo refuses customer-service messages
	// (-230/-232) until the customer interacts again.
	ReplyWindow = 7 * 24 * time.Hour
)

// Window is what the OA may send at now, given the time of the customer's
// last interaction with the OA (a message, or another action Zalo counts
// as interaction; the zero time means never).
//
// The intervals are half-open: [0, 48 h) free, [48 h, 7 days) open but
// possibly billed, from 7 days on closed. A last interaction in the future
// (clock skew) counts as now.
func Window(lastUserInteraction, now time.Time) channel.Window {
	closed := channel.Window{
		Reason: "Zalo allows customer-service messages only within 7 days of the customer's last interaction",
	}
	if lastUserInteraction.IsZero() {
		return closed
	}
	elapsed := now.Sub(lastUserInteraction)
	if elapsed < 0 {
		elapsed = 0
	}
	closesAt := lastUserInteraction.Add(ReplyWindow)
	switch {
	case elapsed < FreeWindow:
		return channel.Window{Open: true, ClosesAt: closesAt}
	case elapsed < ReplyWindow:
		return channel.Window{
			Open:     true,
			ClosesAt: closesAt,
			Reason:   "More than 48 hours since the customer's last interaction: Zalo may bill this customer-service message (they are free only within 48 hours).",
		}
	}
	return closed
}
