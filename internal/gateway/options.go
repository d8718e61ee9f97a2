package gateway

import (
	"context"
	"strconv"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/parley"
)

// ReplyOption is one way an agent can answer a conversation: its own
// inbox, or another channel the contact can be reached on.
type ReplyOption struct {
	InboxID   int64
	Name      string
	Channel   parley.ChannelType
	Current   bool // the conversation's own inbox
	Provider  bool
	Window    channel.Window
	Templates []Template
	// SMS pricing, for the composer's segment counter.
	PricePerSegment float64
	Currency        string
}

// ReplyOptions lists the inboxes a reply in conversation c can go out
// through, the conversation's own first, each with what its channel
// allows right now. Other provider inboxes are offered when the contact
// has an address there (a phone number for WhatsApp and SMS, an email
// address for email…), so an agent can move to a better channel.
func (g *Gateway) ReplyOptions(ctx context.Context, c parley.Conversation, ct parley.Contact, inboxes []parley.Inbox) ([]ReplyOption, error) {
	var out []ReplyOption
	for _, in := range inboxes {
		current := in.ID == c.InboxID
		d := drivers[in.ChannelType]
		if !current && d == nil {
			continue
		}
		o := ReplyOption{InboxID: in.ID, Name: in.Name, Channel: in.ChannelType, Current: current, Provider: d != nil, Window: channel.Window{Open: true}}
		if d != nil {
			cn := &conn{inbox: in, settings: in.Settings, driver: d}
			if d.address(cn, ct) == "" {
				if !current {
					continue
				}
				o.Window = channel.Window{Reason: "Parley has no " + string(in.ChannelType) + " address for this contact."}
			} else {
				last, err := g.DB.LastIncomingAt(ctx, in.ID, ct.ID)
				if err != nil {
					return nil, err
				}
				o.Window = d.window(cn, last, g.now())
			}
			o.Templates, _ = Templates(in.Settings["templates"])
			o.PricePerSegment, _ = strconv.ParseFloat(in.Settings["price_per_segment"], 64)
			o.Currency = in.Settings["currency"]
		}
		if current {
			out = append([]ReplyOption{o}, out...)
		} else {
			out = append(out, o)
		}
	}
	return out, nil
}
