package messenger

import (
	"strconv"
	"time"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/channel/meta"
)

// Back-off when Messenger asks to slow down without saying for how long.
const (
	rateBackoff   = time.Minute      // 4, 613: app or page call limits
	tempBackoff   = 10 * time.Second // 2: temporary failure
	serverBackoff = 10 * time.Second // HTTP 5xx
)

// SendErrorFor maps a Graph API error (code, subcode) from the Send API
// to a *channel.SendError with a message for agents. Code is "code" or
// "code/subcode". httpStatus decides unknown codes: 5xx and 429 retry,
// anything else is permanent, with the provider's text included;
// retryAfter, if non-zero, overrides the back-off.
func SendErrorFor(httpStatus, code, subcode int, providerText string, retryAfter time.Duration) *channel.SendError {
	e := &channel.SendError{Code: strconv.Itoa(code)}
	if subcode != 0 {
		e.Code += "/" + strconv.Itoa(subcode)
	}
	retry := func(d time.Duration) {
		e.RetryAfter = d
		if retryAfter > 0 {
			e.RetryAfter = retryAfter
		}
	}
	switch {
	case code == 10 || subcode == 2018278:
		// Policy: outside the 24-hour standard window a page may only
		// send a tagged message (HUMAN_AGENT up to 7 days).
		e.Message = "Messenger refused the message because it is outside the allowed window: more than 24 hours have passed since the customer last wrote (7 days with the Human Agent tag)."
		e.Permanent = true
	case code == 551:
		e.Message = "This person isn't available on Messenger right now (they may have blocked the page or turned off messages)."
		e.Permanent = true
	case code == 100 && subcode == 2018001:
		e.Message = "Messenger has no such person for this page (they may have deleted their account)."
		e.Permanent = true
	case code == 613 || code == 4:
		e.Message = "Messenger's rate limit for this page was reached; the message will be retried later."
		retry(rateBackoff)
	case code == 2:
		e.Message = "Messenger had a temporary failure; the message will be retried."
		retry(tempBackoff)
	case code == 190:
		e.Message = "Messenger rejected the page's access token (expired or revoked). An admin must reconnect the inbox."
		e.Permanent = true
	default:
		meta.UnknownError(e, "Messenger", code, httpStatus, providerText, serverBackoff, rateBackoff, retryAfter)
	}
	return e
}
