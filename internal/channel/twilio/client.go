package twilio

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/channel"

	"github.com/parleyhq/parley/internal/outbound"
)

// DefaultBaseURL is Twilio's REST API.
const DefaultBaseURL = "https://api.twilio.com"

// MaxBody is the longest Body Twilio accepts, in characters.
const MaxBody = 1600

// Client sends messages through Twilio's Messages API.
type Client struct {
	BaseURL    string // DefaultBaseURL when empty; a fake's URL in tests
	AccountSID string
	AuthToken  string
	// From is the sender (an E.164 number, or e.g. "whatsapp:+1555…").
	// MessagingServiceSID, when set, is used instead and lets Twilio pick
	// the sender from the service's pool.
	From                string
	MessagingServiceSID string
	// StatusCallback, when set, is the URL Twilio posts status callbacks to.
	StatusCallback string
	// HTTP is the client to use; one with a 30 s timeout when nil.
	HTTP *http.Client
}

var defaultHTTP = outbound.Strict().HTTPClient(30 * time.Second)

// Send posts out and returns the Twilio message SID.
//
// Errors: a *channel.SendError for anything Twilio refused (see the
// Permanent and RetryAfter fields), or for an invalid Outbound; another
// error, wrapping the cause, when no answer came back (network failure,
// ctx cancelled or timed out) — the message may or may not have been
// accepted, so retry with care (Twilio has no idempotency key for sends).
//
// Media are sent by URL (MediaUrl, up to 10, each fetchable by Twilio);
// provider media ids and templates are not supported on this channel.
func (c *Client) Send(ctx context.Context, out channel.Outbound) (sid string, err error) {
	form, err := c.form(out)
	if err != nil {
		return "", err
	}
	base := c.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	endpoint := strings.TrimRight(base, "/") + "/2010-04-01/Accounts/" + url.PathEscape(c.AccountSID) + "/Messages.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("twilio: send: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(c.AccountSID, c.AuthToken)
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("twilio: send: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		if resp.StatusCode/100 == 2 {
			return "", badResponse()
		}
		return "", fmt.Errorf("twilio: send: reading the answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(body, &e) // a non-JSON error body still maps by status
		return "", httpError(resp.StatusCode, e.Code, e.Message, resp.Header)
	}
	var m struct {
		SID string `json:"sid"`
	}
	if err := json.Unmarshal(body, &m); err != nil || m.SID == "" {
		return "", badResponse()
	}
	return m.SID, nil
}

// badResponse is a 2xx whose body could not be read: Twilio probably
// accepted the message, so retrying could send it twice.
func badResponse() *channel.SendError {
	return &channel.SendError{Code: "bad_response", Message: "Twilio answered with something unreadable; the message may have been sent, so it is not retried automatically.", Permanent: true}
}

func invalid(msg string) *channel.SendError {
	return &channel.SendError{Code: "invalid_message", Message: msg, Permanent: true}
}

// form builds the Messages API request body.
func (c *Client) form(out channel.Outbound) (url.Values, error) {
	if c.AccountSID == "" || c.AuthToken == "" {
		return nil, &channel.SendError{Code: "not_configured", Message: "The Twilio channel has no account SID or auth token.", Permanent: true}
	}
	if c.From == "" && c.MessagingServiceSID == "" {
		return nil, &channel.SendError{Code: "not_configured", Message: "The Twilio channel has no sender number or messaging service.", Permanent: true}
	}
	switch {
	case strings.TrimSpace(out.To) == "":
		return nil, invalid("The message has no recipient.")
	case out.Template != nil:
		return nil, invalid("Templates cannot be sent on this Twilio channel.")
	case out.Text == "" && len(out.Media) == 0:
		return nil, invalid("The message has no text and no attachment.")
	case len([]rune(out.Text)) > MaxBody:
		return nil, invalid(fmt.Sprintf("The message is too long: Twilio allows %d characters.", MaxBody))
	case len(out.Media) > 10:
		return nil, invalid("Twilio allows at most 10 attachments per message.")
	}
	f := url.Values{"To": {out.To}}
	if c.MessagingServiceSID != "" {
		f.Set("MessagingServiceSid", c.MessagingServiceSID)
	} else {
		f.Set("From", c.From)
	}
	if out.Text != "" {
		f.Set("Body", out.Text)
	}
	for _, m := range out.Media {
		if m.URL == "" {
			return nil, invalid("Attachments on Twilio must be sent by URL.")
		}
		f.Add("MediaUrl", m.URL)
	}
	if c.StatusCallback != "" {
		f.Set("StatusCallback", c.StatusCallback)
	}
	return f, nil
}
