package messenger

import (
	"time"

	"github.com/parleyhq/parley/internal/channel"
)

// Messenger's policy windows, counted from the customer's last message.
const (
	// StandardWindow: any message may be sent (messaging_type RESPONSE).
	StandardWindow = 24 * time.Hour
	// HumanAgentWindow: after the standard window, a reply written by a
	// person may still be sent with the HUMAN_AGENT tag, if the app has
	// Meta's Human Agent permission.
	HumanAgentWindow = 7 * 24 * time.Hour
)

// Needs value for the HUMAN_AGENT tag, as channel.Window.Needs.
const NeedsHumanAgent = "tag:HUMAN_AGENT"

// Window says what the page may send at now, given when the customer last
// wrote (zero if never) and whether the app has the Human Agent
// permission. Both windows end exactly at their limit (at 24 h the
// standard window is closed; at 7 days the Human Agent one is).
func Window(lastCustomerMessage, now time.Time, humanAgent bool) channel.Window {
	if lastCustomerMessage.IsZero() {
		return channel.Window{Reason: "This person has not messaged the page, so Messenger does not allow the page to write to them."}
	}
	closes := lastCustomerMessage.Add(StandardWindow)
	if now.Before(closes) {
		return channel.Window{Open: true, ClosesAt: closes}
	}
	if now.Before(lastCustomerMessage.Add(HumanAgentWindow)) {
		if humanAgent {
			return channel.Window{ClosesAt: closes, Needs: NeedsHumanAgent,
				Reason: "More than 24 hours have passed since the customer last wrote: only a reply written by an agent can be sent (with Messenger's Human Agent tag), until 7 days after their last message."}
		}
		return channel.Window{ClosesAt: closes,
			Reason: "More than 24 hours have passed since the customer last wrote, and this page does not have Messenger's Human Agent permission, so it cannot reply until the customer writes again."}
	}
	return channel.Window{ClosesAt: closes,
		Reason: "More than 7 days have passed since the customer last wrote, so Messenger does not allow the page to reply until they write again."}
}
