package whatsapp

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/channel/meta"
	"github.com/parleyhq/parley/internal/parley"
)

// Object is the webhook "object" of every WhatsApp Cloud API payload.
const Object = "whatsapp_business_account"

// ErrBadPayload is wrapped by Parse's errors: the body is not a WhatsApp
// webhook payload. The webhook answers 400 and stores nothing.
var ErrBadPayload = meta.ErrBadPayload

type payload struct {
	Object *string `json:"object"`
	Entry  []struct {
		ID      string `json:"id"`
		Changes []struct {
			Field string          `json:"field"`
			Value json.RawMessage `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

type value struct {
	Metadata struct {
		DisplayPhoneNumber string `json:"display_phone_number"`
		PhoneNumberID      string `json:"phone_number_id"`
	} `json:"metadata"`
	Contacts []struct {
		WaID    string `json:"wa_id"`
		Profile struct {
			Name string `json:"name"`
		} `json:"profile"`
	} `json:"contacts"`
	// Messages and statuses are decoded one by one, so that one of an
	// unexpected shape does not lose the rest of the batch.
	Messages []json.RawMessage `json:"messages"`
	Statuses []json.RawMessage `json:"statuses"`
}

// head is what every message has; used when the rest cannot be decoded.
type head struct {
	From      string           `json:"from"`
	ID        string           `json:"id"`
	Timestamp meta.UnixSeconds `json:"timestamp"`
	Type      string           `json:"type"`
}

type media struct {
	ID       string `json:"id"`
	MIMEType string `json:"mime_type"`
	SHA256   string `json:"sha256"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
}

type graphErr struct {
	Code      int    `json:"code"`
	Title     string `json:"title"`
	Message   string `json:"message"`
	ErrorData struct {
		Details string `json:"details"`
	} `json:"error_data"`
}

type message struct {
	From      string           `json:"from"`
	ID        string           `json:"id"`
	Timestamp meta.UnixSeconds `json:"timestamp"`
	Type      string           `json:"type"`
	Context   *struct {
		ID string `json:"id"`
	} `json:"context"`
	Text *struct {
		Body string `json:"body"`
	} `json:"text"`
	Image    *media `json:"image"`
	Audio    *media `json:"audio"`
	Voice    *media `json:"voice"`
	Video    *media `json:"video"`
	Document *media `json:"document"`
	Sticker  *media `json:"sticker"`
	Location *struct {
		Latitude  float64 `json:"latitude"`
		Longitude float64 `json:"longitude"`
		Name      string  `json:"name"`
		Address   string  `json:"address"`
	} `json:"location"`
	Contacts []struct {
		Name struct {
			FormattedName string `json:"formatted_name"`
		} `json:"name"`
		Phones []struct {
			Phone string `json:"phone"`
		} `json:"phones"`
	} `json:"contacts"`
	Interactive *struct {
		Type        string `json:"type"`
		ButtonReply *struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		} `json:"button_reply"`
		ListReply *struct {
			ID          string `json:"id"`
			Title       string `json:"title"`
			Description string `json:"description"`
		} `json:"list_reply"`
	} `json:"interactive"`
	Button *struct {
		Text    string `json:"text"`
		Payload string `json:"payload"`
	} `json:"button"`
	Reaction *struct {
		MessageID string `json:"message_id"`
		Emoji     string `json:"emoji"`
	} `json:"reaction"`
	Order *struct {
		Text         string            `json:"text"`
		ProductItems []json.RawMessage `json:"product_items"`
	} `json:"order"`
	System *struct {
		Body string `json:"body"`
	} `json:"system"`
	Errors []graphErr `json:"errors"`
}

type status struct {
	ID          string           `json:"id"`
	Status      string           `json:"status"`
	Timestamp   meta.UnixSeconds `json:"timestamp"`
	RecipientID string           `json:"recipient_id"`
	Errors      []graphErr       `json:"errors"`
}

// Parse turns one webhook POST body into a Batch. One POST may carry
// several entries, each with several changes, each with several messages
// and statuses; all of them are returned, in order. Only changes with
// field "messages" carry messages and statuses; other fields are ignored.
//
// Inbound.To is the business phone number id (metadata.phone_number_id),
// which identifies the inbox; Sender.ID is the customer's wa_id, with
// Phone set to "+"+wa_id when it is a phone number.
//
// Malformed JSON, or an "object" other than "whatsapp_business_account",
// is an error wrapping ErrBadPayload. An unknown message type is never an
// error: it becomes channel.KindUnsupported with a readable Text. Messages
// and statuses without an id (no idempotency key) are skipped.
func Parse(raw []byte) (channel.Batch, error) {
	var p payload
	if err := meta.DecodeWebhook(raw, Object, &p); err != nil {
		return channel.Batch{}, err
	}
	var b channel.Batch
	for _, e := range p.Entry {
		for _, c := range e.Changes {
			if c.Field != "" && c.Field != "messages" {
				continue
			}
			var v value
			if len(c.Value) == 0 || json.Unmarshal(c.Value, &v) != nil {
				// Not the documented shape; the other changes still count.
				continue
			}
			names := make(map[string]string, len(v.Contacts))
			for _, ct := range v.Contacts {
				names[ct.WaID] = ct.Profile.Name
			}
			for _, rm := range v.Messages {
				in, ok := decodeMessage(rm)
				if !ok {
					continue
				}
				in.From.Name = names[in.From.ID]
				if in.From.Name == "" && len(v.Contacts) == 1 && v.Contacts[0].WaID == "" {
					in.From.Name = v.Contacts[0].Profile.Name
				}
				in.To = v.Metadata.PhoneNumberID
				b.Messages = append(b.Messages, in)
			}
			for _, rs := range v.Statuses {
				var s status
				if json.Unmarshal(rs, &s) != nil {
					continue
				}
				if r, ok := receipt(s); ok {
					b.Receipts = append(b.Receipts, r)
				}
			}
		}
	}
	return b, nil
}

// decodeMessage decodes one message; false if it has no id. A message
// whose fields have unexpected types becomes KindUnsupported.
func decodeMessage(raw json.RawMessage) (channel.Inbound, bool) {
	var m message
	if err := json.Unmarshal(raw, &m); err == nil {
		return inbound(m), m.ID != ""
	}
	var h head
	if json.Unmarshal(raw, &h) != nil || h.ID == "" {
		return channel.Inbound{}, false
	}
	return channel.Inbound{
		ProviderMessageID: h.ID,
		From:              channel.Sender{ID: h.From, Phone: e164(h.From)},
		Timestamp:         time.Time(h.Timestamp),
		Kind:              channel.KindUnsupported,
		Text:              fmt.Sprintf("The customer sent a WhatsApp %q message that Parley could not read. Open WhatsApp to see it.", h.Type),
	}, true
}

// e164 returns "+digits" when id is a phone number in WhatsApp's wa_id
// form (digits only, country code first). Newer payloads may carry
// business-scoped user ids instead, which are not phone numbers.
func e164(id string) string {
	if len(id) < 7 || len(id) > 15 {
		return ""
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return ""
		}
	}
	return "+" + id
}

func inbound(m message) channel.Inbound {
	in := channel.Inbound{
		ProviderMessageID: m.ID,
		From:              channel.Sender{ID: m.From, Phone: e164(m.From)},
		Timestamp:         time.Time(m.Timestamp),
	}
	if m.Context != nil {
		in.ReplyToID = m.Context.ID
	}
	withMedia := func(kind string, md *media) {
		in.Kind = kind
		in.Text = md.Caption
		in.Media = []channel.Media{{ProviderID: md.ID, MIMEType: md.MIMEType, SHA256: md.SHA256, Caption: md.Caption, Filename: md.Filename}}
	}
	switch {
	case m.Type == "text" && m.Text != nil:
		in.Kind, in.Text = channel.KindText, m.Text.Body
	case m.Type == "image" && m.Image != nil:
		withMedia(channel.KindImage, m.Image)
	case m.Type == "audio" && m.Audio != nil:
		withMedia(channel.KindAudio, m.Audio)
	case m.Type == "voice" && m.Voice != nil:
		withMedia(channel.KindAudio, m.Voice)
	case m.Type == "video" && m.Video != nil:
		withMedia(channel.KindVideo, m.Video)
	case m.Type == "document" && m.Document != nil:
		withMedia(channel.KindDocument, m.Document)
	case m.Type == "sticker" && m.Sticker != nil:
		withMedia(channel.KindSticker, m.Sticker)
	case m.Type == "location" && m.Location != nil:
		l := m.Location
		in.Kind = channel.KindLocation
		in.Location = &channel.Location{Latitude: l.Latitude, Longitude: l.Longitude, Name: l.Name, Address: l.Address}
		in.Text = strings.TrimSpace(strings.Join(nonEmpty(l.Name, l.Address), ", "))
	case m.Type == "contacts" && len(m.Contacts) > 0:
		in.Kind = channel.KindContacts
		var parts []string
		for _, c := range m.Contacts {
			s := c.Name.FormattedName
			var phones []string
			for _, p := range c.Phones {
				if p.Phone != "" {
					phones = append(phones, p.Phone)
				}
			}
			if len(phones) > 0 {
				s = strings.TrimSpace(s + " (" + strings.Join(phones, ", ") + ")")
			}
			if s != "" {
				parts = append(parts, s)
			}
		}
		in.Text = "Shared contact: " + strings.Join(parts, "; ")
		if len(parts) == 0 {
			in.Text = "Shared a contact card"
		}
	case m.Type == "interactive" && m.Interactive != nil && m.Interactive.ButtonReply != nil:
		in.Kind, in.Text, in.Payload = channel.KindInteractive, m.Interactive.ButtonReply.Title, m.Interactive.ButtonReply.ID
	case m.Type == "interactive" && m.Interactive != nil && m.Interactive.ListReply != nil:
		in.Kind, in.Text, in.Payload = channel.KindInteractive, m.Interactive.ListReply.Title, m.Interactive.ListReply.ID
	case m.Type == "button" && m.Button != nil:
		// A quick-reply button on a template: the text is what the
		// customer tapped.
		in.Kind, in.Text, in.Payload = channel.KindInteractive, m.Button.Text, m.Button.Payload
		if in.Text == "" {
			in.Text = m.Button.Payload
		}
	case m.Type == "reaction" && m.Reaction != nil:
		// ReplyToID is the reacted-to message; an empty emoji means the
		// customer removed their reaction.
		in.Kind, in.Text, in.ReplyToID = channel.KindReaction, m.Reaction.Emoji, m.Reaction.MessageID
	default:
		in.Kind, in.Text = channel.KindUnsupported, unsupportedText(m)
	}
	return in
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// unsupportedText describes, for agents, a message Parley cannot show.
func unsupportedText(m message) string {
	switch {
	case m.Type == "order" && m.Order != nil:
		s := fmt.Sprintf("The customer sent a catalog order with %d item(s)", len(m.Order.ProductItems))
		if m.Order.Text != "" {
			s += ": " + m.Order.Text
		}
		return s + ". Open WhatsApp Manager to see it."
	case m.Type == "system" && m.System != nil && m.System.Body != "":
		return "WhatsApp notice: " + m.System.Body
	case m.Type == "interactive":
		return "The customer answered an interactive message in a way Parley cannot show yet."
	}
	t := m.Type
	if t == "" {
		t = "unknown"
	}
	s := fmt.Sprintf("The customer sent a WhatsApp message of type %q that Parley cannot show.", t)
	if len(m.Errors) > 0 {
		e := m.Errors[0]
		if d := firstNonEmpty(e.ErrorData.Details, e.Message, e.Title); d != "" {
			s += " WhatsApp says: " + d
		}
	}
	return s + " Ask them to resend it in another form."
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// receipt maps one status. Meta sends sent, delivered, read and failed
// (and may skip delivered and go straight to read, or send them out of
// order); other states are ignored.
func receipt(s status) (channel.Receipt, bool) {
	if s.ID == "" {
		return channel.Receipt{}, false
	}
	r := channel.Receipt{ProviderMessageID: s.ID, Timestamp: time.Time(s.Timestamp), Recipient: s.RecipientID}
	switch s.Status {
	case "sent":
		r.State = parley.DeliverySent
	case "delivered":
		r.State = parley.DeliveryDelivered
	case "read":
		r.State = parley.DeliveryRead
	case "failed":
		r.State = parley.DeliveryFailed
		if len(s.Errors) > 0 {
			e := s.Errors[0]
			r.Error = SendErrorFor(0, e.Code, firstNonEmpty(e.ErrorData.Details, e.Message, e.Title), 0)
		} else {
			r.Error = &channel.SendError{Code: "unknown", Message: "WhatsApp could not deliver the message and gave no reason.", Permanent: true}
		}
	default:
		return channel.Receipt{}, false
	}
	return r, true
}
