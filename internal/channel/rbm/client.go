package rbm

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/channel"

	"github.com/parleyhq/parley/internal/outbound"
)

// DefaultBaseURL is the global RBM endpoint (regional ones are
// https://REGION-rcsbusinessmessaging.googleapis.com).
const DefaultBaseURL = "https://rcsbusinessmessaging.googleapis.com"

// SendError codes this package sets itself (others are Google's
// canonical status names, such as "INVALID_ARGUMENT").
const (
	// CodeNotRCSCapable: RBM answered 404 — the number is not RCS-enabled,
	// the agent is not launched on the user's carrier, or an unlaunched
	// agent wrote to a non-tester. Send by SMS instead.
	CodeNotRCSCapable = "not_rcs_capable"
	// CodeExpired: a message sent with a TTL or ExpireTime was not
	// delivered in time and RBM withdrew it (a ServerEvent). Send by SMS.
	CodeExpired = "ttl_expired"
)

// Limits from the RBM reference.
const (
	MaxText        = 3072 // characters in contentMessage.text
	MaxSuggestions = 11
)

// FallBackToSMS reports whether err (from Send, or a Receipt's Error)
// means the customer cannot be reached by RCS for this message and it
// should go by SMS instead.
func FallBackToSMS(err error) bool {
	se, ok := channel.AsSendError(err)
	return ok && (se.Code == CodeNotRCSCapable || se.Code == CodeExpired)
}

// Client sends agent messages.
type Client struct {
	BaseURL string // DefaultBaseURL when empty
	// AgentID is sent as the agentId query parameter; required with
	// partner-level credentials, optional with agent-level ones.
	AgentID string
	// Token returns a current OAuth 2 access token (scope
	// https://www.googleapis.com/auth/rcsbusinessmessaging).
	Token func(ctx context.Context) (string, error)
	// TTL, when set, is the default time to live of every message.
	TTL time.Duration
	// HTTP is the client to use; one with a 30 s timeout when nil.
	HTTP *http.Client
}

// StaticToken is a Token func for a fixed access token.
func StaticToken(tok string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) { return tok, nil }
}

// Suggestion is a suggested reply chip shown under a message; tapping it
// sends a suggestionResponse with PostbackData.
type Suggestion struct {
	Text         string // shown on the chip (RBM allows 25 characters)
	PostbackData string // returned when tapped (up to 2048 characters)
}

// Options are per-send settings.
type Options struct {
	// MessageID is the RBM message id, a UUID. RBM silently ignores a
	// second message with an id it has seen, so passing a stable id (kept
	// with the outgoing message) makes retries after a timeout safe.
	// A random UUID is used when empty.
	MessageID string
	// TTL or ExpireTime (not both) bound how long RBM keeps trying to
	// deliver to an offline user (30 days otherwise); on expiry it revokes
	// the message and pushes TTL_EXPIRATION_REVOKED. TTL overrides the
	// client's default.
	TTL         time.Duration
	ExpireTime  time.Time
	Suggestions []Suggestion
}

var defaultHTTP = outbound.Strict().HTTPClient(30 * time.Second)

// Send sends out with the client's defaults; see SendWithOptions.
func (c *Client) Send(ctx context.Context, out channel.Outbound) (messageID string, err error) {
	return c.SendWithOptions(ctx, out, Options{})
}

// agentMessage is the request body (an AgentMessage).
type agentMessage struct {
	ContentMessage contentMessage `json:"contentMessage"`
	TTL            string         `json:"ttl,omitempty"`
	ExpireTime     string         `json:"expireTime,omitempty"`
}

type contentMessage struct {
	Text        string          `json:"text,omitempty"`
	ContentInfo *contentInfo    `json:"contentInfo,omitempty"`
	Suggestions []suggestionRep `json:"suggestions,omitempty"`
}

type contentInfo struct {
	FileURL string `json:"fileUrl"`
}

type suggestionRep struct {
	Reply struct {
		Text         string `json:"text"`
		PostbackData string `json:"postbackData"`
	} `json:"reply"`
}

// SendWithOptions sends out to the E.164 number out.To and returns the
// message id, which DELIVERED/READ events and expiry notices refer to.
//
// An RBM message carries text or one file, not both: out has Text, or a
// single Media with a URL RBM can fetch (sent as contentInfo.fileUrl).
// Templates and reply threading do not exist on RCS.
//
// Errors: a *channel.SendError when RBM refused (404 has Code
// CodeNotRCSCapable, see FallBackToSMS; 429 and 5xx are retryable; other
// 4xx permanent) or out cannot be sent; another error wrapping the cause
// when no answer came (network, ctx) or no token could be had.
func (c *Client) SendWithOptions(ctx context.Context, out channel.Outbound, opts Options) (messageID string, err error) {
	body, err := c.body(out, opts)
	if err != nil {
		return "", err
	}
	id := opts.MessageID
	if id == "" {
		id = newUUID()
	} else if !isUUID(id) {
		return "", invalid("The RCS message id must be a UUID.")
	}
	if c.Token == nil {
		return "", &channel.SendError{Code: "not_configured", Message: "The RCS channel has no access token source.", Permanent: true}
	}
	tok, err := c.Token(ctx)
	if err != nil {
		return "", fmt.Errorf("rbm: access token: %w", err)
	}
	base := c.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	q := url.Values{"messageId": {id}}
	if c.AgentID != "" {
		q.Set("agentId", c.AgentID)
	}
	endpoint := strings.TrimRight(base, "/") + "/v1/phones/" + url.PathEscape(out.To) + "/agentMessages?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("rbm: send: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("rbm: send: %w", err)
	}
	defer resp.Body.Close()
	rb, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return "", httpError(resp.StatusCode, rb, resp.Header)
	}
	var ok struct {
		Name string `json:"name"`
	}
	if rerr != nil || json.Unmarshal(rb, &ok) != nil {
		return "", &channel.SendError{Code: "bad_response", Message: "RBM answered with something unreadable; the message may have been sent. Resending with the same message id is safe.", Permanent: true}
	}
	return id, nil
}

func invalid(msg string) *channel.SendError {
	return &channel.SendError{Code: "invalid_message", Message: msg, Permanent: true}
}

func (c *Client) body(out channel.Outbound, opts Options) ([]byte, error) {
	var m agentMessage
	switch {
	case !isE164(out.To):
		return nil, invalid("RCS needs the customer's number in international format (e.g. +14155550100).")
	case out.Template != nil:
		return nil, invalid("Templates cannot be sent by RCS.")
	case out.Text != "" && len(out.Media) > 0, len(out.Media) > 1:
		return nil, invalid("An RCS message carries text or one attachment: send them separately.")
	case len(out.Media) == 1:
		if u, err := url.Parse(out.Media[0].URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, invalid("Attachments on RCS must be sent by a public URL.")
		}
		m.ContentMessage.ContentInfo = &contentInfo{FileURL: out.Media[0].URL}
	case out.Text == "":
		return nil, invalid("The message has no text and no attachment.")
	case utf8.RuneCountInString(out.Text) > MaxText:
		return nil, invalid(fmt.Sprintf("The message is too long: RCS allows %d characters.", MaxText))
	default:
		m.ContentMessage.Text = out.Text
	}
	if len(opts.Suggestions) > MaxSuggestions {
		return nil, invalid(fmt.Sprintf("RCS allows at most %d suggestions.", MaxSuggestions))
	}
	for _, s := range opts.Suggestions {
		if s.Text == "" {
			return nil, invalid("A suggestion needs a text.")
		}
		var r suggestionRep
		r.Reply.Text, r.Reply.PostbackData = s.Text, s.PostbackData
		if r.Reply.PostbackData == "" {
			r.Reply.PostbackData = s.Text
		}
		m.ContentMessage.Suggestions = append(m.ContentMessage.Suggestions, r)
	}
	ttl := c.TTL
	if opts.TTL != 0 {
		ttl = opts.TTL
	}
	switch {
	case opts.TTL < 0:
		return nil, invalid("The TTL cannot be negative.")
	case opts.TTL > 0 && !opts.ExpireTime.IsZero():
		return nil, invalid("Give either a TTL or an expiry time, not both.")
	case !opts.ExpireTime.IsZero():
		m.ExpireTime = opts.ExpireTime.UTC().Format(time.RFC3339Nano)
	case ttl > 0:
		m.TTL = formatDuration(ttl)
	}
	return json.Marshal(m)
}

// formatDuration writes d as a protobuf Duration in JSON: seconds with
// up to 9 fractional digits and an "s" suffix.
func formatDuration(d time.Duration) string {
	s := strconv.FormatInt(int64(d/time.Second), 10)
	if ns := d % time.Second; ns != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%09d", ns), "0")
	}
	return s + "s"
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

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'):
			return false
		}
	}
	return true
}

// httpError maps a non-2xx answer. Google's error body is
// {"error":{"code":404,"message":"…","status":"NOT_FOUND"}}.
func httpError(status int, body []byte, h http.Header) *channel.SendError {
	var e struct {
		Error struct {
			Message string `json:"message"`
			Status  string `json:"status"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	code := e.Error.Status
	if code == "" {
		code = "http_" + strconv.Itoa(status)
	}
	detail := strings.TrimSpace(e.Error.Message)
	if detail != "" {
		detail = " (" + detail + ")"
	}
	switch {
	case status == http.StatusNotFound:
		return &channel.SendError{Code: CodeNotRCSCapable, Message: "The customer's phone cannot receive RCS from this agent (not RCS-capable, or the agent is not launched on their carrier); send by SMS instead.", Permanent: true}
	case status == http.StatusTooManyRequests:
		return &channel.SendError{Code: code, Message: "RBM is rate limiting this agent; the message will be retried.", RetryAfter: retryAfter(h.Get("Retry-After"), time.Now())}
	case status >= 500:
		return &channel.SendError{Code: code, Message: "RBM is having trouble (HTTP " + strconv.Itoa(status) + "); the message will be retried.", RetryAfter: retryAfter(h.Get("Retry-After"), time.Now())}
	case status == http.StatusUnauthorized:
		return &channel.SendError{Code: code, Message: "Google rejected the access token: check the RCS channel's service account credentials." + detail, Permanent: true}
	case status == http.StatusForbidden:
		return &channel.SendError{Code: code, Message: "The RCS agent is not allowed to send this (agent not launched, number not a tester, or missing permission)." + detail, Permanent: true}
	case status == http.StatusBadRequest:
		return &channel.SendError{Code: code, Message: "RBM refused the message as invalid; the customer's device may not support it." + detail, Permanent: true}
	}
	return &channel.SendError{Code: code, Message: "RBM refused the message (HTTP " + strconv.Itoa(status) + ")." + detail, Permanent: true}
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(min(s, 86400)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), 24*time.Hour)
	}
	return 0
}
