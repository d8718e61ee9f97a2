package zalo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/channel"

	"github.com/parleyhq/parley/internal/outbound"
)

// DefaultBaseURL is Zalo's Open API host.
const DefaultBaseURL = "https://openapi.zalo.me"

// csPath is the customer-service ("consultation") message endpoint of
// Message API V3. V2 is shut down (error -240).
const csPath = "/v3.0/oa/message/cs"

// MaxTextLength is the longest text Zalo accepts in one message, in
// characters.
const MaxTextLength = 2000

// Client sends customer-service messages for one Official Account.
type Client struct {
	BaseURL     string       // DefaultBaseURL in production; a zalotest server in tests
	AccessToken string       // the OA access token (valid ~25 h; see Refresh)
	HTTP        *http.Client // nil means a client with a 30 s timeout
}

var defaultHTTP = outbound.Strict().HTTPClient(30 * time.Second)

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTP
}

// Send sends one customer-service message and returns Zalo's message id,
// which later delivery/read receipts and oa_send_* echoes carry.
//
// What can be sent, following Zalo's Message V3 rules:
//   - text (at most MaxTextLength characters);
//   - one image, by a URL Zalo can fetch or by the attachment_id of an
//     image uploaded to Zalo (OutMedia.ProviderID), with the text as its
//     caption, using the "media" template.
//
// Other files, several media in one message, and templates are refused
// locally with a permanent *channel.SendError: split media into one
// message each before calling. ReplyToID is sent as recipient.message_id
// so Zalo treats the message as an answer to that customer message
// [secondary].
//
// Errors: a refusal by Zalo, or a local refusal, is a *channel.SendError
// (see IsTokenError for the access-token case). Any other error (network
// failure, a cancelled context, an answer that is not Zalo's JSON) means
// the outcome is unknown: the message may have been sent.
func (c *Client) Send(ctx context.Context, out channel.Outbound) (string, error) {
	body, serr := buildRequest(out)
	if serr != nil {
		return "", serr
	}
	if c.AccessToken == "" {
		return "", tokenError("no_token", "")
	}
	buf, err := json.Marshal(body)
	if err != nil {
		return "", fmt.Errorf("zalo: encode message: %w", err)
	}
	base := c.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+csPath, bytes.NewReader(buf))
	if err != nil {
		return "", fmt.Errorf("zalo: send: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	// Zalo takes the token in its own header, not Authorization.
	req.Header.Set("access_token", c.AccessToken)

	resp, err := c.http().Do(req)
	if err != nil {
		return "", fmt.Errorf("zalo: send: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("zalo: send: read answer: %w", err)
	}
	var ans struct {
		Error   *json.Number `json:"error"`
		Message string       `json:"message"`
		Data    struct {
			MessageID flexString `json:"message_id"`
		} `json:"data"`
	}
	jsonErr := json.Unmarshal(data, &ans)

	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		return "", &channel.SendError{
			Code:       "http_" + strconv.Itoa(resp.StatusCode),
			Message:    fmt.Sprintf("Zalo is unavailable right now (HTTP %d); the message will be retried.", resp.StatusCode),
			RetryAfter: retryAfter(resp.Header.Get("Retry-After"), 30*time.Second),
		}
	}
	if jsonErr != nil || ans.Error == nil {
		if resp.StatusCode >= 400 {
			return "", &channel.SendError{
				Code:      "http_" + strconv.Itoa(resp.StatusCode),
				Message:   fmt.Sprintf("Zalo refused the message (HTTP %d).", resp.StatusCode),
				Permanent: true,
			}
		}
		return "", fmt.Errorf("zalo: send: unexpected answer (HTTP %d): %.200q", resp.StatusCode, data)
	}
	code, err := ans.Error.Int64()
	if err != nil {
		return "", fmt.Errorf("zalo: send: unexpected error code %q", ans.Error.String())
	}
	if code != 0 {
		return "", errorFor(code, ans.Message)
	}
	// Success. A missing message_id is not an error: the message was sent
	// and sending again would duplicate it.
	return ans.Data.MessageID.String(), nil
}

// The request body of /v3.0/oa/message/cs.
type csRequest struct {
	Recipient csRecipient `json:"recipient"`
	Message   csMessage   `json:"message"`
}

type csRecipient struct {
	UserID    string `json:"user_id"`
	MessageID string `json:"message_id,omitempty"`
}

type csMessage struct {
	Text       string        `json:"text,omitempty"`
	Attachment *csAttachment `json:"attachment,omitempty"`
}

type csAttachment struct {
	Type    string    `json:"type"` // "template"
	Payload csPayload `json:"payload"`
}

type csPayload struct {
	TemplateType string      `json:"template_type"` // "media"
	Elements     []csElement `json:"elements"`
}

type csElement struct {
	MediaType    string `json:"media_type"` // "image"
	URL          string `json:"url,omitempty"`
	AttachmentID string `json:"attachment_id,omitempty"`
}

// buildRequest turns an Outbound into Zalo's request, or refuses it.
func buildRequest(out channel.Outbound) (*csRequest, *channel.SendError) {
	refuse := func(code, msg string) *channel.SendError {
		return &channel.SendError{Code: code, Message: msg, Permanent: true}
	}
	to := strings.TrimSpace(out.To)
	if to == "" {
		return nil, refuse("no_recipient", "This message has no Zalo recipient.")
	}
	if out.Template != nil {
		return nil, refuse("template_unsupported", "Zalo customer-service messages cannot use templates; send plain text.")
	}
	if n := utf8.RuneCountInString(out.Text); n > MaxTextLength {
		return nil, refuse("text_too_long", fmt.Sprintf("Zalo messages can be at most %d characters; this one has %d. Shorten it or split it.", MaxTextLength, n))
	}
	if len(out.Media) > 1 {
		return nil, refuse("too_many_media", "Zalo sends one image per message; send each file separately.")
	}
	req := &csRequest{
		Recipient: csRecipient{UserID: to, MessageID: strings.TrimSpace(out.ReplyToID)},
		Message:   csMessage{Text: out.Text},
	}
	if len(out.Media) == 1 {
		m := out.Media[0]
		if !isImage(m) {
			return nil, refuse("media_unsupported", "Parley can only send images to Zalo for now; this file type cannot be sent.")
		}
		if m.URL == "" && m.ProviderID == "" {
			return nil, refuse("media_missing", "The image has neither a URL nor a Zalo attachment id.")
		}
		el := csElement{MediaType: "image"}
		if m.ProviderID != "" {
			el.AttachmentID = m.ProviderID
		} else {
			el.URL = m.URL
		}
		req.Message.Attachment = &csAttachment{
			Type:    "template",
			Payload: csPayload{TemplateType: "media", Elements: []csElement{el}},
		}
		if req.Message.Text == "" {
			req.Message.Text = m.Caption
		}
	}
	if req.Message.Text == "" && req.Message.Attachment == nil {
		return nil, refuse("empty_message", "This message is empty.")
	}
	return req, nil
}

// isImage decides from the MIME type, or failing that the file name or
// URL's extension.
func isImage(m channel.OutMedia) bool {
	if m.MIMEType != "" {
		return strings.HasPrefix(strings.ToLower(m.MIMEType), "image/")
	}
	name := m.Filename
	if name == "" {
		name = m.URL
		if i := strings.IndexAny(name, "?#"); i >= 0 {
			name = name[:i]
		}
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".jpg", ".jpeg", ".png", ".gif", ".webp":
		return true
	}
	// An uploaded attachment id with no type given: Zalo's image upload
	// is the only upload this adapter knows, so trust it.
	return m.ProviderID != "" && name == ""
}

// Zalo's error codes for message sends [secondary: the official error
// table (phu-luc/ma-loi) as quoted by third parties].
const (
	CodeRateLimited      = -32  // API rate limit (4,000 requests/min per OA)
	CodeTokenInvalidV2   = -124 // access token invalid (older APIs)
	CodeInvalidParam     = -201 // a parameter is invalid
	CodeOutOfQuota       = -211 // the OA is out of quota
	CodeNotFollower      = -213 // the user does not follow the OA
	CodeTokenInvalid     = -216 // access token invalid
	CodeTokenExpired     = -220 // access token expired or revoked
	CodeNoInteraction7d  = -230 // user has not interacted with the OA in the past 7 days
	CodeInteractionGone  = -232 // interaction expired
	CodeTypeNotSupported = -233 // message type not supported
	CodeNightTime        = -234 // cannot be sent at night (22:00–06:00)
	CodeV2ShutDown       = -240 // Message API V2 is shut down
	CodeUserRestricted   = -244 // the user restricted this kind of message
	CodeAfter48hLegacy   = -305 // legacy: cannot reply after 48 hours
)

// errorFor maps a non-zero Zalo error code to a SendError for agents.
func errorFor(code int64, providerMsg string) *channel.SendError {
	c := strconv.FormatInt(code, 10)
	perm := func(msg string) *channel.SendError {
		return &channel.SendError{Code: c, Message: msg, Permanent: true}
	}
	switch code {
	case CodeNoInteraction7d, CodeInteractionGone, CodeAfter48hLegacy:
		return perm("Zalo only allows replies within 7 days of the customer's last interaction with the Official Account: the customer must write first.")
	case CodeTokenInvalid, CodeTokenExpired, CodeTokenInvalidV2:
		return tokenError(c, providerMsg)
	case CodeRateLimited:
		return &channel.SendError{Code: c, Message: "Zalo's rate limit was reached; the message will be retried shortly.", RetryAfter: time.Minute}
	case CodeNightTime:
		return &channel.SendError{Code: c, Message: "Zalo does not deliver this kind of message between 22:00 and 06:00 (Vietnam time); it will be retried in the morning.", RetryAfter: untilMorningVN(time.Now())}
	case CodeInvalidParam:
		return perm(withProvider("Zalo rejected the message as invalid", providerMsg))
	case CodeOutOfQuota:
		return perm("The Official Account has run out of Zalo message quota; top it up in Zalo OA Manager, then resend.")
	case CodeNotFollower:
		return perm("This customer does not follow the Official Account, so Zalo will not deliver the message.")
	case CodeTypeNotSupported:
		return perm("Zalo does not support this kind of message for this customer.")
	case CodeV2ShutDown:
		return perm("Zalo refused a request to its retired Message API V2; this is a Parley bug, please report it.")
	case CodeUserRestricted:
		return perm("The customer has chosen not to receive this kind of message from the Official Account.")
	}
	return perm(withProvider(fmt.Sprintf("Zalo refused the message (error %d)", code), providerMsg))
}

// tokenError is the error for an invalid, expired or missing access token:
// permanent for this token, and recognised by IsTokenError so the caller
// can refresh the token (or, if refreshing fails, ask for the inbox to be
// reconnected) and send again.
func tokenError(code, providerMsg string) *channel.SendError {
	return &channel.SendError{
		Code:      code,
		Message:   withProvider("Zalo did not accept the inbox's access token; reconnect the Zalo inbox if this persists", providerMsg),
		Permanent: true,
	}
}

// IsTokenError reports whether err is Zalo refusing the access token
// (-216, -220, -124, or no token at all). The caller should refresh the
// token (see Refresh) and retry once; if the refresh fails, the inbox must
// be reconnected.
func IsTokenError(err error) bool {
	se, ok := channel.AsSendError(err)
	if !ok {
		return false
	}
	switch se.Code {
	case "no_token", strconv.Itoa(CodeTokenInvalid), strconv.Itoa(CodeTokenExpired), strconv.Itoa(CodeTokenInvalidV2):
		return true
	}
	return false
}

// IsWindowClosed reports whether err is Zalo refusing a message because
// the customer has not interacted with the OA within 7 days.
func IsWindowClosed(err error) bool {
	se, ok := channel.AsSendError(err)
	if !ok {
		return false
	}
	switch se.Code {
	case strconv.Itoa(CodeNoInteraction7d), strconv.Itoa(CodeInteractionGone), strconv.Itoa(CodeAfter48hLegacy):
		return true
	}
	return false
}

func withProvider(msg, provider string) string {
	provider = strings.TrimSpace(provider)
	if provider == "" {
		return msg + "."
	}
	return fmt.Sprintf("%s: %s.", msg, strings.TrimSuffix(clip(provider, 300), "."))
}

// vietnam is UTC+7 with no daylight saving (fixed, so no tzdata needed).
var vietnam = time.FixedZone("ICT", 7*3600)

// untilMorningVN is how long from now until 06:00 Vietnam time, when
// Zalo's night-time restriction (22:00–06:00) ends.
func untilMorningVN(now time.Time) time.Duration {
	t := now.In(vietnam)
	if h := t.Hour(); h >= 6 && h < 22 {
		// Zalo says it is night but our clock says day: the clocks
		// disagree near a boundary, so try again soon.
		return 15 * time.Minute
	}
	morning := time.Date(t.Year(), t.Month(), t.Day(), 6, 0, 0, 0, vietnam)
	if !t.Before(morning) {
		morning = morning.AddDate(0, 0, 1)
	}
	return morning.Sub(t)
}

// retryAfter reads a Retry-After header given in seconds.
func retryAfter(h string, def time.Duration) time.Duration {
	if n, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && n > 0 && n < 86400 {
		return time.Duration(n) * time.Second
	}
	return def
}
