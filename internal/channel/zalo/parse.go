package zalo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/parley"
)

// Event names Zalo posts to the webhook [secondary: third-party notes and
// SDKs quoting Zalo's webhook documentation].
const (
	EventUserSendText         = "user_send_text"
	EventUserSendImage        = "user_send_image"
	EventUserSendGIF          = "user_send_gif"
	EventUserSendFile         = "user_send_file"
	EventUserSendAudio        = "user_send_audio"
	EventUserSendVideo        = "user_send_video"
	EventUserSendSticker      = "user_send_sticker"
	EventUserSendLocation     = "user_send_location"
	EventUserSendLink         = "user_send_link"
	EventUserSendBusinessCard = "user_send_business_card"
	EventUserReceivedMessage  = "user_received_message"
	EventUserSeenMessage      = "user_seen_message"
	EventFollow               = "follow"
	EventUnfollow             = "unfollow"
)

// Prefixes of event families.
const (
	userSendPrefix = "user_send_" // a message from a customer
	oaSendPrefix   = "oa_send_"   // a copy of a message the OA sent (from any tool)
)

// Parse reads the body of one Zalo webhook call (Zalo posts one event per
// call) into a channel.Batch. Check the signature first, on the same raw
// bytes (CheckSignature).
//
//   - user_send_{text,image,gif,file,audio,video,sticker,location,link}
//     become one channel.Inbound each. sender.id is the customer's
//     OA-scoped user id (From.ID), recipient.id the OA (To),
//     message.msg_id the idempotency key (ProviderMessageID), and
//     timestamp (milliseconds since the epoch) the Timestamp.
//   - Any other user-originated event (user_send_business_card,
//     user_click_button, a user_* event Zalo adds later, ...) becomes an
//     Inbound of channel.KindUnsupported whose Text says what it was,
//     so it is stored and shown rather than dropped.
//   - oa_send_* are copies of messages the OA sent (through Parley or any
//     other tool): they come back as Inbound with Echo true, From.ID the
//     OA and To the customer, so the caller can de-duplicate them against
//     its own sends by ProviderMessageID.
//   - user_received_message and user_seen_message become receipts in
//     state delivered and read, one per message id (message.msg_id and/or
//     message.msg_ids). Recipient is the customer.
//   - follow, unfollow and every OA-side or system event give an empty
//     batch and no error.
//
// Events that carry no msg_id get a ProviderMessageID derived from a hash
// of the raw body, stable across Zalo's retries of the same call.
//
// Parse returns an error only when raw is not a JSON object. Fields of an
// unexpected type are ignored rather than failing the whole call; large
// numeric ids are read as strings, never as floats.
func Parse(raw []byte) (channel.Batch, error) {
	var b channel.Batch
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return b, errors.New("zalo: webhook body is not a JSON object")
	}
	var ev event
	if err := json.Unmarshal(trimmed, &ev); err != nil {
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			return b, fmt.Errorf("zalo: webhook body: %w", err)
		}
		// A field of an unexpected type: json.Unmarshal has filled in
		// everything else, which is what we want.
	}

	name := strings.TrimSpace(string(ev.EventName))
	switch {
	case name == EventUserReceivedMessage:
		b.Receipts = receipts(&ev, parley.DeliveryDelivered)
	case name == EventUserSeenMessage:
		b.Receipts = receipts(&ev, parley.DeliveryRead)
	case name == EventFollow || name == EventUnfollow:
		// Not messages. (The app may later want them for contact
		// status; channel.Batch has no place for them today.)
	case strings.HasPrefix(name, userSendPrefix):
		b.Messages = []channel.Inbound{message(&ev, raw, strings.TrimPrefix(name, userSendPrefix), false)}
	case strings.HasPrefix(name, oaSendPrefix):
		b.Messages = []channel.Inbound{message(&ev, raw, strings.TrimPrefix(name, oaSendPrefix), true)}
	case strings.HasPrefix(name, "user_"), strings.HasPrefix(name, "anonymous_"):
		// A user-originated event this adapter does not know.
		in := base(&ev, raw, false)
		in.ProviderMessageID = syntheticID(raw) // a msg_id here may name another message
		in.Kind = channel.KindUnsupported
		in.Text = fmt.Sprintf("The customer did something on Zalo that Parley cannot show yet (event %q).", clip(name, 64))
		b.Messages = []channel.Inbound{in}
	default:
		// OA-side and system events (oa_*, change_oa_*, shop_*,
		// add_user_to_tag, ...): nothing for the inbox.
	}
	return b, nil
}

// The wire shapes. Every scalar is a flexString so that ids sent as JSON
// numbers, timestamps sent as strings and so on all read the same.
type event struct {
	EventName   flexString `json:"event_name"`
	AppID       flexString `json:"app_id"`
	OAID        flexString `json:"oa_id"`
	UserIDByApp flexString `json:"user_id_by_app"`
	Sender      party      `json:"sender"`
	Recipient   party      `json:"recipient"`
	Message     wireMsg    `json:"message"`
	Timestamp   flexString `json:"timestamp"`
}

type party struct {
	ID flexString `json:"id"`
}

type wireMsg struct {
	MsgID       flexString   `json:"msg_id"`
	MsgIDs      []flexString `json:"msg_ids"`
	Text        flexString   `json:"text"`
	Attachments []attachment `json:"attachments"`
}

type attachment struct {
	Type    flexString `json:"type"`
	Payload payload    `json:"payload"`
}

type payload struct {
	URL         flexString   `json:"url"`
	Thumbnail   flexString   `json:"thumbnail"`
	Name        flexString   `json:"name"`
	Size        flexString   `json:"size"`
	Type        flexString   `json:"type"` // file extension on user_send_file, e.g. "pdf"
	ID          flexString   `json:"id"`   // sticker id
	Description flexString   `json:"description"`
	Coordinates *coordinates `json:"coordinates"`
}

type coordinates struct {
	Latitude  flexString `json:"latitude"`
	Longitude flexString `json:"longitude"`
}

// flexString reads a JSON string or number as its text; null, booleans,
// objects and arrays read as "" (never an error, so one odd field cannot
// fail a webhook call).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		*f = ""
		return nil
	}
	switch c := b[0]; {
	case c == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			*f = ""
			return nil
		}
		*f = flexString(s)
	case c == '-' || (c >= '0' && c <= '9'):
		*f = flexString(b) // the literal as sent: no float rounding of big ids
	default:
		*f = ""
	}
	return nil
}

func (f flexString) String() string { return strings.TrimSpace(string(f)) }

// base fills what every Inbound from an event shares.
func base(ev *event, raw []byte, echo bool) channel.Inbound {
	to := ev.Recipient.ID.String()
	if to == "" && !echo {
		to = ev.OAID.String()
	}
	from := ev.Sender.ID.String()
	if from == "" && echo {
		from = ev.OAID.String()
	}
	id := ev.Message.MsgID.String()
	if id == "" {
		id = syntheticID(raw)
	}
	return channel.Inbound{
		ProviderMessageID: id,
		From:              channel.Sender{ID: from},
		To:                to,
		Timestamp:         millis(ev.Timestamp),
		Echo:              echo,
	}
}

// message maps a user_send_<kind> or oa_send_<kind> event.
func message(ev *event, raw []byte, kind string, echo bool) channel.Inbound {
	in := base(ev, raw, echo)
	text := ev.Message.Text.String()
	switch kind {
	case "text":
		in.Kind = channel.KindText
		in.Text = text
	case "image", "gif", "audio", "video", "file", "sticker":
		in.Kind = map[string]string{
			"image": channel.KindImage, "gif": channel.KindImage,
			"audio": channel.KindAudio, "video": channel.KindVideo,
			"file": channel.KindDocument, "sticker": channel.KindSticker,
		}[kind]
		in.Text = text
		in.Media = media(ev.Message.Attachments, kind, text)
	case "location":
		in.Kind = channel.KindLocation
		in.Text = text
		for _, a := range ev.Message.Attachments {
			if loc := location(a.Payload.Coordinates); loc != nil {
				in.Location = loc
				break
			}
		}
		if in.Location == nil {
			in.Kind = channel.KindUnsupported
			in.Text = joinText(text, "The customer shared a location on Zalo, but it came without readable coordinates.")
		}
	case "link":
		// Parley has no link kind: a shared link is shown as text that
		// contains the URL.
		in.Kind = channel.KindText
		in.Text = text
		for _, a := range ev.Message.Attachments {
			u := a.Payload.URL.String()
			if u != "" && !strings.Contains(in.Text, u) {
				in.Text = joinText(in.Text, u)
			}
		}
	case "business_card":
		// The card's payload shape is not documented well enough to map
		// to KindContacts.
		in.Kind = channel.KindUnsupported
		in.Text = joinText(text, "The customer sent a Zalo business card, which Parley cannot show yet.")
	default:
		in.Kind = channel.KindUnsupported
		what := "customer"
		if echo {
			what = "Official Account"
		}
		in.Text = joinText(text, fmt.Sprintf("The %s sent a Zalo message of a type Parley cannot show yet (%q).", what, clip(kind, 64)))
		in.Media = media(ev.Message.Attachments, kind, text)
	}
	return in
}

// media maps attachments. Zalo gives a public URL (and sometimes a
// thumbnail URL) for every file; the thumbnail is used only when there is
// no full URL. Size and thumbnail have no place in channel.Media.
func media(atts []attachment, kind, caption string) []channel.Media {
	var out []channel.Media
	for _, a := range atts {
		p := a.Payload
		m := channel.Media{
			ProviderID: p.ID.String(),
			URL:        p.URL.String(),
			Filename:   p.Name.String(),
			Caption:    caption,
		}
		if m.URL == "" {
			m.URL = p.Thumbnail.String()
		}
		if m.URL == "" && m.ProviderID == "" {
			continue
		}
		t := a.Type.String()
		if t == "" {
			t = kind
		}
		switch t {
		case "gif":
			m.MIMEType = "image/gif"
		case "file":
			if ext := p.Type.String(); ext != "" && len(ext) <= 16 && !strings.ContainsAny(ext, "./\\ ") {
				m.MIMEType = mime.TypeByExtension("." + strings.ToLower(ext))
			}
		}
		out = append(out, m)
	}
	return out
}

// location reads Zalo coordinates (sent as strings or numbers) and rejects
// anything that is not a place on Earth.
func location(c *coordinates) *channel.Location {
	if c == nil {
		return nil
	}
	lat, err1 := strconv.ParseFloat(c.Latitude.String(), 64)
	lon, err2 := strconv.ParseFloat(c.Longitude.String(), 64)
	if err1 != nil || err2 != nil || math.IsNaN(lat) || math.IsNaN(lon) ||
		lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		return nil
	}
	return &channel.Location{Latitude: lat, Longitude: lon}
}

// receipts maps user_received_message / user_seen_message. The documented
// shape has the customer as sender and the OA as recipient; some
// integrations report it inverted, so when the body names the OA (oa_id)
// the customer is whichever side is not the OA.
func receipts(ev *event, state parley.DeliveryState) []channel.Receipt {
	user := ev.Sender.ID.String()
	if oa := ev.OAID.String(); oa != "" && user == oa {
		user = ev.Recipient.ID.String()
	}
	ts := millis(ev.Timestamp)
	seen := map[string]bool{}
	var out []channel.Receipt
	add := func(id string) {
		if id == "" || seen[id] {
			return
		}
		seen[id] = true
		out = append(out, channel.Receipt{ProviderMessageID: id, State: state, Timestamp: ts, Recipient: user})
	}
	add(ev.Message.MsgID.String())
	for _, id := range ev.Message.MsgIDs {
		add(id.String())
	}
	return out
}

// millis reads a Zalo timestamp (milliseconds since the epoch, usually as
// a string). Unreadable or out-of-range values give the zero time.
func millis(s flexString) time.Time {
	v := s.String()
	if v == "" {
		return time.Time{}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil || math.IsNaN(f) || f <= 0 || f > 1e15 {
			return time.Time{}
		}
		n = int64(f)
	}
	// Between 1970 and year ~33658: anything else is not a real time.
	if n <= 0 || n > 1e15 {
		return time.Time{}
	}
	return time.UnixMilli(n).UTC()
}

// syntheticID is an idempotency key for an event without a msg_id: Zalo
// retries a call with the same body, so the same call gets the same key.
func syntheticID(raw []byte) string {
	sum := sha256.Sum256(raw)
	return "zalo-event-" + hex.EncodeToString(sum[:16])
}

func joinText(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	return a + "\n" + b
}

// clip shortens s to at most n bytes without splitting a UTF-8 sequence.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
