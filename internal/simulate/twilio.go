package simulate

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"

	"github.com/parleyhq/parley/internal/channel/twilio"
)

// Twilio builds Twilio Programmable Messaging webhooks (incoming SMS/MMS
// and status callbacks) for one number, form-encoded and signed with
// X-Twilio-Signature as Twilio signs them.
type Twilio struct {
	AccountSID string
	AuthToken  string
	// URL is the full public URL Twilio posts to, exactly as configured
	// in the Twilio console (PARLEY_BASE_URL + /hooks/sms/{inbox_id}):
	// the signature covers it, so a request signed for another URL fails.
	URL string
	// Number is the business's Twilio number (E.164) customers write to.
	Number              string
	MessagingServiceSID string // set when the number is in a Messaging Service
}

// Messages builds the webhook of one incoming message: Twilio posts one
// message per call, so exactly one Message must be given (it panics
// otherwise; call it once per message). Message.From is the customer's
// E.164 number; Media becomes an MMS (NumMedia=1, MediaUrl0 and
// MediaContentType0), with Text as its body. Message.Name becomes
// ProfileName, which Twilio sends only for WhatsApp senders: leave it
// empty for SMS.
func (tw Twilio) Messages(msgs ...Message) Webhook {
	one("Twilio", len(msgs))
	m := msgs[0]
	prefix := "SM"
	if m.Media != nil {
		prefix = "MM"
	}
	if m.ID == "" {
		m.ID = twilioSID(prefix)
	}
	f := url.Values{
		"ToCountry": {"US"}, "ToState": {"CA"}, "ToCity": {""}, "ToZip": {""},
		"FromCountry": {"US"}, "FromState": {""}, "FromCity": {""}, "FromZip": {""},
		"SmsMessageSid": {m.ID}, "SmsSid": {m.ID}, "MessageSid": {m.ID},
		"SmsStatus": {"received"}, "Body": {m.Text}, "To": {tw.Number}, "From": {m.From},
		"NumMedia": {"0"}, "NumSegments": {"1"}, "AccountSid": {tw.AccountSID}, "ApiVersion": {"2010-04-01"},
	}
	if tw.MessagingServiceSID != "" {
		f.Set("MessagingServiceSid", tw.MessagingServiceSID)
	}
	if m.Name != "" {
		f.Set("ProfileName", m.Name)
	}
	if m.Media != nil {
		f.Set("NumMedia", "1")
		f.Set("MediaUrl0", m.Media.URL)
		f.Set("MediaContentType0", m.Media.MIMEType)
	}
	return tw.Sign(f)
}

// Receipts builds one status callback, as Twilio posts to a message's
// StatusCallback: Twilio posts one per call, so exactly one Receipt must
// be given (it panics otherwise). Receipt.ID is the message SID Parley
// got when sending, To the customer's number, Status Twilio's
// MessageStatus (sent, delivered, undelivered, failed, read…) and Code its
// ErrorCode for undelivered and failed.
func (tw Twilio) Receipts(rs ...Receipt) Webhook {
	one("Twilio", len(rs))
	r := rs[0]
	f := url.Values{
		"SmsSid": {r.ID}, "MessageSid": {r.ID}, "SmsStatus": {r.Status}, "MessageStatus": {r.Status},
		"To": {r.To}, "From": {tw.Number}, "AccountSid": {tw.AccountSID}, "ApiVersion": {"2010-04-01"},
	}
	if tw.MessagingServiceSID != "" {
		f.Set("MessagingServiceSid", tw.MessagingServiceSID)
	}
	switch r.Status {
	case "delivered", "undelivered":
		f.Set("RawDlrDoneDate", at(r.At).UTC().Format("0601021504"))
	}
	if r.Code != 0 && (r.Status == "undelivered" || r.Status == "failed") {
		f.Set("ErrorCode", strconv.Itoa(r.Code))
	}
	return tw.Sign(f)
}

// Sign builds a webhook of any form, encoded as Twilio posts it and
// signed over URL and the form.
func (tw Twilio) Sign(form url.Values) Webhook {
	h := http.Header{}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	h.Set("User-Agent", "TwilioProxy/1.1")
	h.Set(twilio.SignatureHeader, twilio.Signature(tw.AuthToken, tw.URL, form))
	return Webhook{Body: []byte(form.Encode()), Header: h}
}

// twilioSID is a Twilio-shaped id: a two-letter prefix and 32 hex digits.
func twilioSID(prefix string) string {
	b := make([]byte, 16)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}
