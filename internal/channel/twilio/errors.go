package twilio

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/channel"
)

// knownErrors are Twilio error codes (https://www.twilio.com/docs/errors)
// with a message written for agents and whether retrying can help. The
// 30xxx codes arrive asynchronously, in status callbacks' ErrorCode.
var knownErrors = map[string]struct {
	msg       string
	permanent bool
}{
	"20003": {"Twilio rejected the credentials: check the account SID and token in the channel settings.", true},
	"20404": {"Twilio could not find the account or resource: check the account SID and sender settings.", true},
	"20429": {"Twilio is rate limiting this account; the message will be retried.", false},
	"21211": {"The customer's phone number is not valid. Check it is in international format (e.g. +14155550100).", true},
	"21408": {"Sending to this country or region is not enabled on the Twilio account (Messaging Geo Permissions).", true},
	"21602": {"The message has no text and no attachment.", true},
	"21606": {"The sender number cannot send SMS to this destination: check the channel's From number.", true},
	"21610": {"The customer opted out of messages from this number (they replied STOP). They must text START to opt back in.", true},
	"21612": {"Twilio cannot route a message from this sender to this number.", true},
	"21614": {"The customer's number is not a mobile number and cannot receive SMS.", true},
	"21617": {"The message is too long (Twilio allows 1,600 characters).", true},
	"30003": {"The customer's phone is unreachable (switched off or out of coverage); the carrier gave up.", true},
	"30005": {"The customer's number is unknown or no longer exists.", true},
	"30006": {"The customer's number is a landline or cannot receive SMS.", true},
	"30007": {"The carrier filtered this message (spam filter or unregistered sender). Check the sender's registration (10DLC / toll-free verification) and the content.", true},
	"30008": {"The carrier reported an unknown error delivering the message.", false},
	"63016": {"The WhatsApp 24-hour window is closed: only an approved template can be sent now.", true},
}

// codeError is the SendError for a Twilio error code. twilioMsg, Twilio's
// own text, is used for codes this package does not know.
func codeError(code, twilioMsg string) *channel.SendError {
	if k, ok := knownErrors[code]; ok {
		return &channel.SendError{Code: code, Message: k.msg, Permanent: k.permanent}
	}
	msg := strings.TrimSpace(twilioMsg)
	if msg == "" {
		msg = "Twilio refused the message"
	}
	return &channel.SendError{Code: code, Message: "Twilio: " + msg + " (see https://www.twilio.com/docs/errors/" + code + ")", Permanent: true}
}

// httpError maps a non-2xx answer from the Messages API. code is the
// "code" of Twilio's JSON error body (0 when the body had none).
func httpError(status, code int, twilioMsg string, h http.Header) *channel.SendError {
	var e *channel.SendError
	switch {
	case status == http.StatusTooManyRequests || code == 20429:
		e = codeError("20429", "")
		e.RetryAfter = retryAfter(h.Get("Retry-After"), time.Now())
		return e
	case status >= 500:
		c := strconv.Itoa(status)
		if code != 0 {
			c = strconv.Itoa(code)
		}
		return &channel.SendError{Code: c, Message: "Twilio is having trouble (HTTP " + strconv.Itoa(status) + "); the message will be retried.", RetryAfter: retryAfter(h.Get("Retry-After"), time.Now())}
	case code != 0:
		return codeError(strconv.Itoa(code), twilioMsg)
	case status == http.StatusUnauthorized:
		return codeError("20003", "")
	}
	return &channel.SendError{Code: "http_" + strconv.Itoa(status), Message: "Twilio refused the message (HTTP " + strconv.Itoa(status) + ").", Permanent: true}
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(min(s, 86400)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), 24*time.Hour)
	}
	return 0
}
