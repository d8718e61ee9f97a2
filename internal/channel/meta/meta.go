// Package meta holds what Meta's two messaging products, the WhatsApp
// Business Cloud API and the Messenger Platform, share on the wire:
//
//   - the GET webhook verification handshake (hub.mode, hub.verify_token,
//     hub.challenge), see [VerifyChallenge];
//   - the X-Hub-Signature-256 check over the raw POST body, see
//     [CheckSignature] and [Sign];
//   - posting JSON to the Graph API and decoding its error envelope, see
//     [Post] and [GraphError].
//
// It knows nothing of either product's payloads: packages whatsapp and
// messenger do that, and map Graph error codes to channel.SendError.
package meta

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/channel"

	"github.com/parleyhq/parley/internal/outbound"
)

// ErrHandshake is returned by VerifyChallenge when the verification
// request must be refused: answer 403 and echo nothing.
var ErrHandshake = errors.New("meta: webhook verification refused")

// VerifyChallenge checks Meta's webhook verification request, sent as
//
//	GET <callback>?hub.mode=subscribe&hub.verify_token=<token>&hub.challenge=<challenge>
//
// whenever the callback URL or verify token is set in the App Dashboard.
// It returns the challenge to echo as the raw 200 body when hub.mode is
// "subscribe" and hub.verify_token equals verifyToken (compared in
// constant time); otherwise ErrHandshake, which the webhook answers with
// 403. An empty verifyToken never matches: an inbox without a token is
// not ready to be verified.
func VerifyChallenge(q url.Values, verifyToken string) (string, error) {
	if q.Get("hub.mode") != "subscribe" {
		return "", fmt.Errorf("%w: hub.mode is not \"subscribe\"", ErrHandshake)
	}
	got := q.Get("hub.verify_token")
	if verifyToken == "" || subtle.ConstantTimeCompare([]byte(got), []byte(verifyToken)) != 1 {
		return "", fmt.Errorf("%w: verify token does not match", ErrHandshake)
	}
	challenge := q.Get("hub.challenge")
	if challenge == "" {
		return "", fmt.Errorf("%w: no hub.challenge", ErrHandshake)
	}
	return challenge, nil
}

// SignatureHeader is the header Meta signs webhook POSTs with.
const SignatureHeader = "X-Hub-Signature-256"

// Sign returns the X-Hub-Signature-256 value for body: "sha256=" and the
// lowercase hex HMAC-SHA256 of the raw body keyed with the app secret.
// Tests and fakes use it to sign the payloads they send.
func Sign(appSecret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// CheckSignature checks header (the X-Hub-Signature-256 value) against
// the raw request body as received, before any JSON decoding: Meta signs
// the bytes on the wire and a re-encoding would not match. The MAC is
// compared in constant time. A missing or malformed header, a wrong MAC
// or an empty app secret (which anyone could sign with) all give
// channel.ErrBadSignature. The legacy SHA-1 X-Hub-Signature header is not
// accepted.
func CheckSignature(appSecret string, body []byte, header string) error {
	if appSecret == "" {
		return fmt.Errorf("%w: no app secret configured", channel.ErrBadSignature)
	}
	const prefix = "sha256="
	if len(header) <= len(prefix) || !strings.EqualFold(header[:len(prefix)], prefix) {
		return fmt.Errorf("%w: missing or malformed %s", channel.ErrBadSignature, SignatureHeader)
	}
	got, err := hex.DecodeString(strings.TrimSpace(header[len(prefix):]))
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: malformed %s", channel.ErrBadSignature, SignatureHeader)
	}
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write(body)
	if !hmac.Equal(got, m.Sum(nil)) {
		return fmt.Errorf("%w: signature does not match", channel.ErrBadSignature)
	}
	return nil
}

// GraphError is a refusal from the Graph API: its error envelope
//
//	{"error":{"message":…,"type":…,"code":…,"error_subcode":…,
//	          "error_data":{"details":…},"fbtrace_id":…}}
//
// together with the HTTP status and any Retry-After. When the body is not
// a Graph envelope, Code is 0 and Message holds the start of the body.
type GraphError struct {
	HTTPStatus int
	Code       int
	Subcode    int
	Type       string
	Message    string
	Details    string // error_data.details (WhatsApp), often the clearest text
	FBTraceID  string
	RetryAfter time.Duration // from a Retry-After header, if any
}

func (e *GraphError) Error() string {
	return fmt.Sprintf("graph api: HTTP %d, code %d: %s", e.HTTPStatus, e.Code, e.Text())
}

// Text is the most useful human text the provider gave: the details when
// present, else the message.
func (e *GraphError) Text() string {
	switch {
	case e.Details != "" && e.Message != "" && e.Details != e.Message:
		return e.Message + ": " + e.Details
	case e.Details != "":
		return e.Details
	}
	return e.Message
}

// DecodeGraphError reads a non-2xx Graph response. It never fails: what
// cannot be decoded is kept as text.
func DecodeGraphError(status int, hdr http.Header, body []byte) *GraphError {
	ge := &GraphError{HTTPStatus: status, RetryAfter: parseRetryAfter(hdr.Get("Retry-After"))}
	var env struct {
		Error *struct {
			Message   string `json:"message"`
			Type      string `json:"type"`
			Code      int    `json:"code"`
			Subcode   int    `json:"error_subcode"`
			FBTraceID string `json:"fbtrace_id"`
			ErrorData struct {
				Details string `json:"details"`
			} `json:"error_data"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &env) == nil && env.Error != nil {
		e := env.Error
		ge.Code, ge.Subcode, ge.Type, ge.Message, ge.FBTraceID = e.Code, e.Subcode, e.Type, e.Message, e.FBTraceID
		ge.Details = e.ErrorData.Details
		return ge
	}
	text := strings.TrimSpace(string(body))
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	if text == "" {
		text = http.StatusText(status)
	}
	ge.Message = text
	return ge
}

func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// maxResponse bounds how much of a Graph response is read.
const maxResponse = 1 << 20

// Response is a Graph API answer: a 2xx body, or the decoded error.
type Response struct {
	Status int
	Body   []byte
	Err    *GraphError // set when Status is not 2xx
}

// Post sends payload as JSON to url with "Authorization: Bearer token"
// (the token is never put in the URL, so it stays out of access logs)
// and reads the answer. The returned error is only for failures to talk
// to the API at all (network, context cancelled or timed out); a refusal
// by the API is a Response with Err set.
func Post(ctx context.Context, hc *http.Client, url, token string, payload any) (*Response, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("meta: encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("meta: build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	if hc == nil {
		hc = outbound.Strict().HTTPClient(0)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("meta: post: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("meta: read response: %w", err)
	}
	r := &Response{Status: resp.StatusCode, Body: data}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		r.Err = DecodeGraphError(resp.StatusCode, resp.Header, data)
	}
	return r, nil
}

// UnknownError fills e, for a Graph error code the product does not know,
// from the HTTP status alone: 5xx and 429 retry (after serverBackoff and
// rateBackoff, unless retryAfter says otherwise), 401 means the inbox must
// be reconnected, anything else is permanent. The provider's text is kept
// so agents see what Meta said. product names the provider in messages.
func UnknownError(e *channel.SendError, product string, code, httpStatus int, providerText string, serverBackoff, rateBackoff, retryAfter time.Duration) {
	msg := providerText
	if msg == "" {
		msg = "no details given"
	}
	retry := func(d time.Duration) {
		e.Permanent, e.RetryAfter = false, d
		if retryAfter > 0 {
			e.RetryAfter = retryAfter
		}
	}
	switch {
	case httpStatus >= 500:
		e.Message = product + " had a temporary problem (" + msg + "); the message will be retried."
		retry(serverBackoff)
	case httpStatus == 429:
		e.Message = product + " asked to slow down (" + msg + "); the message will be retried."
		retry(rateBackoff)
	case httpStatus == 401:
		e.Message = product + " rejected the inbox's credentials (" + msg + "). An admin must reconnect the inbox."
		e.Permanent = true
	default:
		e.Message = product + " refused the message: " + msg
		e.Permanent = true
	}
	if code == 0 {
		e.Code = "unknown"
		if httpStatus != 0 {
			e.Code = "http_" + strconv.Itoa(httpStatus)
		}
	}
}

// GraphURL is Meta's Graph API, and GraphVersion the API version Parley
// speaks to it (WhatsApp and Messenger clients use both by default).
const (
	GraphURL     = "https://graph.facebook.com"
	GraphVersion = "v23.0"
)
