package messenger

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/channel/meta"
	"github.com/parleyhq/parley/internal/parley"
)

// Object is the webhook "object" of Messenger payloads.
const Object = "page"

// ErrBadPayload is wrapped by Parse's errors: the body is not a Messenger
// webhook payload. The webhook answers 400 and stores nothing.
var ErrBadPayload = meta.ErrBadPayload

type payload struct {
	Object *string `json:"object"`
	Entry  []struct {
		ID        string            `json:"id"`
		Messaging []json.RawMessage `json:"messaging"`
	} `json:"entry"`
}

type id struct {
	ID string `json:"id"`
}

// envelope is what every messaging event has; decoded on its own so that
// one event of an unexpected shape does not lose the others.
type envelope struct {
	Sender    id              `json:"sender"`
	Recipient id              `json:"recipient"`
	Timestamp meta.UnixMillis `json:"timestamp"`
	Message   *struct {
		Mid string `json:"mid"`
	} `json:"message"`
}

type event struct {
	Message *struct {
		Mid        string `json:"mid"`
		Text       string `json:"text"`
		IsEcho     bool   `json:"is_echo"`
		QuickReply *struct {
			Payload string `json:"payload"`
		} `json:"quick_reply"`
		ReplyTo *struct {
			Mid string `json:"mid"`
		} `json:"reply_to"`
		StickerID   json.RawMessage `json:"sticker_id"`
		Attachments []struct {
			Type    string `json:"type"`
			Payload *struct {
				URL         string          `json:"url"`
				Title       string          `json:"title"`
				StickerID   json.RawMessage `json:"sticker_id"`
				Coordinates *struct {
					Lat  float64 `json:"lat"`
					Long float64 `json:"long"`
				} `json:"coordinates"`
			} `json:"payload"`
			Title string `json:"title"`
			URL   string `json:"url"`
		} `json:"attachments"`
	} `json:"message"`
	Delivery *struct {
		Mids      []string        `json:"mids"`
		Watermark meta.UnixMillis `json:"watermark"`
	} `json:"delivery"`
	Read *struct {
		Watermark meta.UnixMillis `json:"watermark"`
	} `json:"read"`
	Postback *struct {
		Mid     string `json:"mid"`
		Title   string `json:"title"`
		Payload string `json:"payload"`
	} `json:"postback"`
}

// Parse turns one webhook POST body into a Batch. Every entry's messaging
// events are read in order:
//
//   - message: a customer message, or, with is_echo, a copy of something
//     the page sent (Echo true: From is the page, To the customer);
//   - postback: a button tap, as KindInteractive with the button title;
//   - delivery: one Receipt per listed mid, each with the watermark; with
//     no mids, one Receipt with no id meaning "everything sent before
//     Watermark was delivered";
//   - read: one Receipt with no id: everything before Watermark was read.
//
// Delivery and read events without a usable watermark or mid are
// skipped. Other events (reactions, referrals, opt-ins, …) are skipped. Malformed
// JSON or an "object" other than "page" is an error wrapping
// ErrBadPayload; one event of an unexpected shape is not: a message that
// cannot be read becomes KindUnsupported, other events are skipped.
func Parse(raw []byte) (channel.Batch, error) {
	var p payload
	if err := meta.DecodeWebhook(raw, Object, &p); err != nil {
		return channel.Batch{}, err
	}
	var b channel.Batch
	for _, e := range p.Entry {
		for _, rawEv := range e.Messaging {
			var env envelope
			if json.Unmarshal(rawEv, &env) != nil {
				continue
			}
			var ev event
			if err := json.Unmarshal(rawEv, &ev); err != nil {
				if env.Message != nil && env.Message.Mid != "" {
					in := base(env, env.Message.Mid)
					in.Kind = channel.KindUnsupported
					in.Text = "The customer sent a Messenger message Parley could not read. Open the page inbox to see it."
					b.Messages = append(b.Messages, in)
				}
				continue
			}
			add(&b, env, ev)
		}
	}
	return b, nil
}

func base(env envelope, mid string) channel.Inbound {
	return channel.Inbound{
		ProviderMessageID: mid,
		From:              channel.Sender{ID: env.Sender.ID},
		To:                env.Recipient.ID,
		Timestamp:         time.Time(env.Timestamp),
	}
}

func add(b *channel.Batch, env envelope, ev event) {
	switch {
	case ev.Message != nil:
		if ev.Message.Mid == "" {
			return
		}
		b.Messages = append(b.Messages, inbound(env, ev))
	case ev.Postback != nil:
		pb := ev.Postback
		mid := pb.Mid
		if mid == "" {
			// Older postbacks carry no mid; sender and time identify the
			// tap, so a retried delivery still has the same key.
			mid = fmt.Sprintf("postback:%s:%d", env.Sender.ID, time.Time(env.Timestamp).UnixMilli())
		}
		in := base(env, mid)
		in.Kind, in.Text = channel.KindInteractive, pb.Title
		if in.Text == "" {
			in.Text = pb.Payload
		}
		b.Messages = append(b.Messages, in)
	case ev.Delivery != nil:
		// The customer's device got the page's messages: the recipient
		// of those messages is this event's sender.
		wm := time.Time(ev.Delivery.Watermark)
		r := channel.Receipt{State: parley.DeliveryDelivered, Timestamp: time.Time(env.Timestamp), Watermark: wm, Recipient: env.Sender.ID}
		if len(ev.Delivery.Mids) == 0 && !wm.IsZero() {
			b.Receipts = append(b.Receipts, r)
		}
		for _, mid := range ev.Delivery.Mids {
			if mid != "" {
				r.ProviderMessageID = mid
				b.Receipts = append(b.Receipts, r)
			}
		}
	case ev.Read != nil:
		if time.Time(ev.Read.Watermark).IsZero() {
			return // nothing to apply
		}
		b.Receipts = append(b.Receipts, channel.Receipt{State: parley.DeliveryRead, Timestamp: time.Time(env.Timestamp),
			Watermark: time.Time(ev.Read.Watermark), Recipient: env.Sender.ID})
	}
}

func inbound(env envelope, ev event) channel.Inbound {
	m := ev.Message
	in := base(env, m.Mid)
	in.Echo = m.IsEcho
	in.Text = m.Text
	if m.ReplyTo != nil {
		in.ReplyToID = m.ReplyTo.Mid
	}
	sticker := len(m.StickerID) > 0 && string(m.StickerID) != "null"
	for _, a := range m.Attachments {
		url := a.URL
		if a.Payload != nil && a.Payload.URL != "" {
			url = a.Payload.URL
		}
		kind := ""
		switch a.Type {
		case "image":
			kind = channel.KindImage
			if sticker || (a.Payload != nil && len(a.Payload.StickerID) > 0 && string(a.Payload.StickerID) != "null") {
				kind = channel.KindSticker
			}
		case "video":
			kind = channel.KindVideo
		case "audio":
			kind = channel.KindAudio
		case "file":
			kind = channel.KindDocument
		case "location":
			if in.Kind == "" && a.Payload != nil && a.Payload.Coordinates != nil {
				c := a.Payload.Coordinates
				in.Kind = channel.KindLocation
				in.Location = &channel.Location{Latitude: c.Lat, Longitude: c.Long, Name: firstNonEmpty(a.Title, a.Payload.Title)}
				if in.Text == "" {
					in.Text = in.Location.Name
				}
			}
			continue
		case "fallback":
			// A shared link Messenger cannot render: show it as text.
			title := a.Title
			if a.Payload != nil {
				title = firstNonEmpty(title, a.Payload.Title)
			}
			if in.Kind == "" {
				in.Kind = channel.KindText
			}
			if s := strings.TrimSpace(title + " " + url); s != "" && !strings.Contains(in.Text, url) {
				in.Text = strings.TrimSpace(in.Text + "\n" + s)
			}
			continue
		default:
			if in.Kind == "" {
				in.Kind = channel.KindUnsupported
			}
			t := a.Type
			if t == "" {
				t = "unknown"
			}
			who := "The customer"
			if m.IsEcho {
				who = "The page"
			}
			s := fmt.Sprintf("%s shared a Messenger %q attachment that Parley cannot show.", who, t)
			if url != "" {
				s += " Link: " + url
			}
			in.Text = strings.TrimSpace(in.Text + "\n" + s)
			continue
		}
		if in.Kind == "" {
			in.Kind = kind
		}
		if url != "" {
			in.Media = append(in.Media, channel.Media{URL: url})
		}
	}
	switch {
	case in.Kind == "" && m.QuickReply != nil:
		// The customer tapped a quick reply: Text is its title.
		in.Kind, in.Payload = channel.KindInteractive, m.QuickReply.Payload
		if in.Text == "" {
			in.Text = m.QuickReply.Payload
		}
	case in.Kind == "" && in.Text != "":
		in.Kind = channel.KindText
	case in.Kind == "":
		in.Kind = channel.KindUnsupported
		in.Text = "The customer sent a Messenger message Parley cannot show. Open the page inbox to see it."
		if m.IsEcho {
			in.Text = "The page sent a Messenger message Parley cannot show (for example a template)."
		}
	}
	return in
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
