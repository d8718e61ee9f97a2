package twilio

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/parley"
)

// ErrInvalidPayload is returned for a webhook form that is not a Twilio
// message or status callback (a signed request missing what Twilio always
// sends). Answer 400.
var ErrInvalidPayload = errors.New("twilio: invalid webhook payload")

// maxMedia bounds how many MediaUrl{N} are read. Twilio sends at most 10
// media per message; the bound only stops a forged NumMedia from making
// the parser loop.
const maxMedia = 20

// Parse turns a webhook form (already signature-checked) into a batch: a
// status callback, which carries MessageStatus, becomes one Receipt; any
// other request becomes one inbound message. A status this package does
// not know (Twilio adds some) gives an empty batch: ignore it, answer 200.
func Parse(form url.Values) (channel.Batch, error) {
	if form.Get("MessageStatus") != "" {
		r, ok, err := ParseStatus(form)
		if err != nil || !ok {
			return channel.Batch{}, err
		}
		return channel.Batch{Receipts: []channel.Receipt{r}}, nil
	}
	in, err := ParseInbound(form)
	if err != nil {
		return channel.Batch{}, err
	}
	return channel.Batch{Messages: []channel.Inbound{in}}, nil
}

// messageSID is the message's id; SmsMessageSid and SmsSid are its
// deprecated duplicates, read only when MessageSid is absent.
func messageSID(form url.Values) string {
	for _, k := range []string{"MessageSid", "SmsMessageSid", "SmsSid"} {
		if v := strings.TrimSpace(form.Get(k)); v != "" {
			return v
		}
	}
	return ""
}

// ParseInbound reads an incoming SMS/MMS (or WhatsApp-via-Twilio) webhook:
// MessageSid, From, To, Body, NumMedia with MediaUrl{N} and
// MediaContentType{N}. Twilio gives no send time: Timestamp is zero and
// the caller should use the time it received the webhook.
func ParseInbound(form url.Values) (channel.Inbound, error) {
	sid, from := messageSID(form), strings.TrimSpace(form.Get("From"))
	if sid == "" || from == "" {
		return channel.Inbound{}, fmt.Errorf("%w: MessageSid and From are required", ErrInvalidPayload)
	}
	in := channel.Inbound{
		ProviderMessageID: sid,
		From:              sender(from, form.Get("ProfileName")),
		To:                strings.TrimSpace(form.Get("To")),
		Kind:              channel.KindText,
		Text:              form.Get("Body"),
		ReplyToID:         form.Get("OriginalRepliedMessageSid"), // WhatsApp replies
	}
	n, err := strconv.Atoi(strings.TrimSpace(form.Get("NumMedia")))
	if err != nil || n < 0 {
		n = 0
	}
	n = min(n, maxMedia)
	for i := range n {
		u := form.Get("MediaUrl" + strconv.Itoa(i))
		if u == "" {
			continue
		}
		in.Media = append(in.Media, channel.Media{
			URL:      u,
			MIMEType: form.Get("MediaContentType" + strconv.Itoa(i)),
			Caption:  in.Text,
		})
	}
	if len(in.Media) > 0 {
		in.Kind = kindOf(in.Media[0].MIMEType)
	} else if loc := location(form); loc != nil {
		in.Kind, in.Location = channel.KindLocation, loc
	}
	return in, nil
}

// sender splits a Twilio address: "+15551234567", or a channel-prefixed
// one such as "whatsapp:+15551234567" or "messenger:123". The ID keeps the
// prefix (it is what a reply must be sent To); Phone is the E.164 part.
func sender(from, name string) channel.Sender {
	s := channel.Sender{ID: from, Name: name}
	num := from
	if i := strings.IndexByte(from, ':'); i >= 0 {
		if !strings.EqualFold(from[:i], "whatsapp") {
			return s
		}
		num = from[i+1:]
	}
	if isE164(num) {
		s.Phone = num
	}
	return s
}

func isE164(s string) bool {
	if len(s) < 3 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// location reads the Latitude/Longitude Twilio adds for a WhatsApp
// location message.
func location(form url.Values) *channel.Location {
	lat, err1 := strconv.ParseFloat(form.Get("Latitude"), 64)
	lng, err2 := strconv.ParseFloat(form.Get("Longitude"), 64)
	if err1 != nil || err2 != nil || !(lat >= -90 && lat <= 90) || !(lng >= -180 && lng <= 180) { // NaN fails too
		return nil
	}
	return &channel.Location{Latitude: lat, Longitude: lng, Name: form.Get("Label"), Address: form.Get("Address")}
}

func kindOf(mime string) string {
	mime = strings.ToLower(mime)
	switch {
	case strings.HasPrefix(mime, "image/"):
		return channel.KindImage
	case strings.HasPrefix(mime, "audio/"):
		return channel.KindAudio
	case strings.HasPrefix(mime, "video/"):
		return channel.KindVideo
	case mime == "text/vcard" || mime == "text/x-vcard":
		return channel.KindContacts
	}
	return channel.KindDocument
}

// ParseStatus reads a status callback. Twilio's statuses map as: queued,
// accepted, scheduled and sending → queued; sent; delivered; read
// (WhatsApp, RCS); undelivered, failed and canceled → failed, with the
// ErrorCode explained in Error. ok is false for a status this package does
// not know. Callbacks can arrive out of order: the caller must not move a
// message back (e.g. from read to delivered). Timestamp is zero: Twilio's
// RawDlrDoneDate has no time zone, so the receive time is the better clock.
func ParseStatus(form url.Values) (r channel.Receipt, ok bool, err error) {
	sid := messageSID(form)
	status := strings.ToLower(strings.TrimSpace(form.Get("MessageStatus")))
	if sid == "" || status == "" {
		return channel.Receipt{}, false, fmt.Errorf("%w: MessageSid and MessageStatus are required", ErrInvalidPayload)
	}
	r = channel.Receipt{ProviderMessageID: sid, Recipient: form.Get("To")}
	switch status {
	case "queued", "accepted", "scheduled", "sending":
		r.State = parley.DeliveryQueued
	case "sent":
		r.State = parley.DeliverySent
	case "delivered":
		r.State = parley.DeliveryDelivered
	case "read":
		r.State = parley.DeliveryRead
	case "undelivered", "failed", "canceled":
		r.State = parley.DeliveryFailed
		code := strings.TrimSpace(form.Get("ErrorCode"))
		if code != "" && code != "0" {
			r.Error = codeError(code, form.Get("ErrorMessage"))
		} else {
			r.Error = &channel.SendError{Code: status, Message: "Twilio reports the message as " + status + ".", Permanent: true}
		}
	default:
		return channel.Receipt{}, false, nil
	}
	return r, true, nil
}

// FormKeyword is ParseKeyword for an inbound webhook, preferring the
// OptOutType parameter (STOP, START or HELP) that Twilio adds when a
// Messaging Service with Advanced Opt-Out recognised a keyword, since the
// service's keyword list may be customised.
func FormKeyword(form url.Values) Keyword {
	switch strings.ToUpper(strings.TrimSpace(form.Get("OptOutType"))) {
	case "STOP":
		return KeywordOptOut
	case "START":
		return KeywordOptIn
	case "HELP":
		return KeywordHelp
	}
	return ParseKeyword(form.Get("Body"))
}
