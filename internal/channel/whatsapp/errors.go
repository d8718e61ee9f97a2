package whatsapp

import (
	"strconv"
	"time"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/channel/meta"
)

// Back-off used when WhatsApp asks us to slow down without saying for how
// long (it usually answers HTTP 400 even when throttling, so the decision
// is made on the error code, never on the HTTP status).
const (
	throughputBackoff = 5 * time.Second  // 130429: ~80 msg/s per number exceeded
	pairBackoff       = 10 * time.Second // 131056: about one message per 6 s to the same user
	appRateBackoff    = time.Minute      // 4, 80007: app / WABA call limits
	serverBackoff     = 10 * time.Second // HTTP 5xx
)

// SendErrorFor maps a Graph API error code to a *channel.SendError with a
// message for agents and whether retrying can help. httpStatus is the
// HTTP status of a refused send (0 for a failed status webhook, where
// an unknown code is final); providerText is what Meta said and is kept
// for unknown codes; retryAfter, if non-zero, overrides the back-off.
func SendErrorFor(httpStatus, code int, providerText string, retryAfter time.Duration) *channel.SendError {
	e := &channel.SendError{Code: strconv.Itoa(code)}
	retry := func(d time.Duration) {
		e.Permanent = false
		e.RetryAfter = d
		if retryAfter > 0 {
			e.RetryAfter = retryAfter
		}
	}
	switch code {
	case 131047:
		e.Message = "More than 24 hours have passed since the customer last wrote, so WhatsApp only allows an approved template. Use a template to re-open the conversation."
		e.Permanent = true
	case 130429:
		e.Message = "WhatsApp's sending rate for this number was exceeded; the message will be retried shortly."
		retry(throughputBackoff)
	case 131056:
		e.Message = "Too many messages were sent to this customer in a short time; the message will be retried later."
		retry(pairBackoff)
	case 4, 80007:
		e.Message = "The WhatsApp account's API rate limit was reached; the message will be retried later."
		retry(appRateBackoff)
	case 131026:
		e.Message = "WhatsApp could not deliver the message: the number may not be on WhatsApp, may use an old app version, or has not accepted the latest terms."
		e.Permanent = true
	case 131021:
		e.Message = "The recipient is not a valid WhatsApp user (or is the sending number itself)."
		e.Permanent = true
	case 132000:
		e.Message = "The template's parameters do not match the approved template (wrong number of variables). Check the template and try again."
		e.Permanent = true
	case 132001:
		e.Message = "The template does not exist in this language or is not approved yet. Pick another template or language."
		e.Permanent = true
	case 190:
		e.Message = "WhatsApp rejected the inbox's access token (expired or revoked). An admin must reconnect the inbox."
		e.Permanent = true
	case 131048:
		e.Message = "WhatsApp limited this number for spam (low quality rating). Check the number's quality in WhatsApp Manager before sending more."
		e.Permanent = true
	case 131049:
		e.Message = "WhatsApp did not deliver this marketing message to keep engagement healthy. Do not resend it right away."
		e.Permanent = true
	case 368:
		e.Message = "The WhatsApp account is temporarily blocked for policy violations. An admin should check WhatsApp Manager."
		e.Permanent = true
	default:
		meta.UnknownError(e, "WhatsApp", code, httpStatus, providerText, serverBackoff, throughputBackoff, retryAfter)
	}
	return e
}
